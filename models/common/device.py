"""The one place that selects where a model runs.

Targets
-------
``runtime``
    Brian2's runtime device with Cython code generation.
``cpp`` (default)
    ``cpp_standalone``: the model is generated as a C++ project, compiled once and run.
``cuda``
    ``cuda_standalone`` from brian2cuda (installed separately, see README).
``numpy``
    Brian2's runtime device with NumPy code generation: nothing is compiled, so it starts at
    once and runs slower per step. Not a target of the command line; the tests use it for
    small networks, and ``SPIKERULES_TARGET=numpy`` sends every :class:`Simulation` there
    (how the tests run the model scripts without a compiler's minutes).

A model drives a run through one :class:`Simulation`::

    with Simulation("balanced-coding", target="cpp", seed=1, code_params={...}) as sim:
        G = NeuronGroup(...)               # build the network (the device is selected)
        sim.set_values(G.v, v0)            # values that depend on the seed
        net = sim.network(G, S, ...)
        sim.run(net, 10 * second)          # a few runs: each one generates new code objects
        sim.finish()                       # standalone: build (cached) and run

Standalone projects are cached under ``$SPIKERULES_CACHE`` (default
``~/.cache/spikerules``), one directory per (model, target, parameters that change the code,
Brian2 version). Everything that depends only on the seed or on swept parameter values
(initial weights, input arrays, the RNG seed, ``(shared, constant)`` parameters) is passed with
``device.run(run_args=...)``, so a second run with another seed recompiles nothing. Each cache
entry holds numbered *slots*; a process takes the first slot nobody holds (an exclusive file
lock), so two runs in parallel never share a directory. While no slot of an entry has been
built, its first builds take turns (another file lock): the first compiles, the others wait and
start from a copy of its slot, so parallel runs of a sweep compile each project once per cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.common.errors import DeviceError
from models.common import code_reuse, network_loop, noise, precompiled

TARGETS = ("runtime", "cpp", "cuda")
TARGET_HELP = "runtime (Brian2 Cython runtime), cpp (C++ standalone, default), cuda (brian2cuda)"
#: targets on Brian2's runtime device (code generated for Cython, or for NumPy)
RUNTIME_TARGETS = ("runtime", "numpy")


def cache_root() -> Path:
    return Path(os.environ.get("SPIKERULES_CACHE", Path.home() / ".cache" / "spikerules"))


def gpu_available() -> bool:
    """True when ``nvidia-smi`` lists at least one GPU."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return False
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def nvcc_available() -> bool:
    return shutil.which("nvcc") is not None


#: how to install the CUDA target for this Python (brian2cuda 1.0b1 needs brian2 2.10.1,
#: which needs Python >= 3.12; on 3.11 the alpha 1.0a7 runs with brian2 2.9.0)
CUDA_INSTALL = ("pip install -e '.[cuda]'" if sys.version_info >= (3, 12) else
                "pip install -e '.[cuda]' && pip install --no-deps brian2cuda==1.0a7")


def _configure_cuda(has_gpu: bool) -> None:
    """Preferences that make brian2cuda (1.0a7 with brian2 2.9, 1.0b1 with brian2 2.10; the
    same preference names) build with CUDA 13 (see docs/design.md)."""
    from brian2 import prefs

    cpp_args = [a for a in prefs.codegen.cpp.extra_compile_args_gcc if not a.startswith("-std=")]
    prefs.codegen.cpp.extra_compile_args_gcc = cpp_args + ["-std=c++17"]
    nvcc_args = list(prefs.devices.cuda_standalone.cuda_backend.extra_compile_args_nvcc)
    prefs.devices.cuda_standalone.cuda_backend.extra_compile_args_nvcc = [
        a for a in nvcc_args if not a.startswith("-std=")
    ] + ["-std=c++17"]
    try:  # cuRAND headers and library from the nvidia-curand wheel, when installed
        import nvidia  # namespace package of the NVIDIA wheels

        for base in nvidia.__path__:
            # nvidia-curand 10.4 (CUDA 13) installs nvidia/cu13/; nvidia-curand-cu12, nvidia/curand/
            for sub in ("cu13", "curand"):
                inc, lib = Path(base, sub, "include"), Path(base, sub, "lib")
                if (inc / "curand.h").exists():
                    prefs.codegen.cpp.include_dirs += [str(inc)]
                    prefs.codegen.cpp.library_dirs += [str(lib)]
                    prefs.codegen.cpp.runtime_library_dirs += [str(lib)]
                    so = lib / "libcurand.so"
                    if not so.exists():
                        versioned = sorted(lib.glob("libcurand.so.*"))
                        if versioned:
                            try:
                                so.symlink_to(versioned[-1].name)
                            except OSError:
                                pass
    except ImportError:
        pass
    # Brian2 runs `make -j` without a limit: dozens of nvcc processes at once run out of memory
    prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    if not has_gpu:
        prefs.devices.cuda_standalone.cuda_backend.detect_gpus = False
        prefs.devices.cuda_standalone.cuda_backend.gpu_id = 0
        prefs.devices.cuda_standalone.cuda_backend.compute_capability = 9.0


def _owned_runtime_reads(device) -> None:
    """Make reads of dynamic arrays on Brian2's runtime device return arrays that own their data.

    From Brian2 2.10 on, the runtime device keeps monitors' and synapses' dynamic arrays in C++
    (``brian2.memory.cythondynamicarray``), and ``M.i[:]`` is a NumPy view of that memory that
    does not keep it alive: once the monitor is gone, the values read are garbage (measured:
    the first spike indices of a SpikeMonitor after the network was freed). Brian2's
    ``device_override`` hook ``variableview_get_with_index_array`` (reads only) gives a copy
    instead. Brian2 2.9's dynamic arrays are NumPy arrays (views keep them alive): untouched.
    """
    try:
        from brian2.memory import cythondynamicarray  # noqa: F401  (Brian2 >= 2.10)
    except ImportError:
        return
    from brian2.core.variables import DynamicArrayVariable, VariableView

    read = VariableView.get_with_index_array.original_function

    def variableview_get_with_index_array(view, item):
        values = read(view, item)
        if (isinstance(view.variable, DynamicArrayVariable) and isinstance(values, np.ndarray)
                and not values.flags.owndata):
            return values.copy()
        return values

    device.variableview_get_with_index_array = variableview_get_with_index_array


@functools.cache
def _cython_event_loop_is_named_i() -> bool:
    """True where Brian2's Cython template of on_pre/on_post code loops over the step's events
    with a variable named ``i`` (Brian2 2.10.1; 2.9 names it ``_spiking_synapse_idx``)."""
    try:
        from brian2.codegen.runtime.cython_rt import CythonCodeObject

        env = CythonCodeObject.templater.env
        source = env.loader.get_source(env, "synapses.pyx")[0]
    except Exception:  # another layout of Brian2's templates: nothing known to check
        return False
    return re.search(r"\bcdef\s+size_t\s+i\b", source) is not None


def _refuse_code_reading_i(net) -> None:
    """Refuse synaptic event code that reads ``i`` on the Cython runtime where that is wrong.

    Brian2 2.10.1's ``synapses.pyx`` counts the step's queued events in a loop variable ``i``,
    and the generated code assigns the synapse's presynaptic index to a variable of the same
    name: code reading ``i`` moves the counter, and events are skipped (or repeated) without an
    error. Minimal case: 5 neurons of which 0, 3 and 4 fire, one synapse each onto one neuron,
    on_pre code ``n_post += 1 + 0 * v_pre`` and ``last_post = i``: n is 2 instead of 3. ``i_pre``
    is the same number under another name (what models.common.arbitration uses).
    """
    import brian2
    from brian2.synapses.synapses import SynapticPathway
    from brian2.utils.stringtools import get_identifiers

    seen, stack = set(), list(net.objects)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.extend(getattr(obj, "contained_objects", ()))
        if isinstance(obj, SynapticPathway) and "i" in get_identifiers(obj.code):
            raise DeviceError(
                f"{obj.name}: event code that reads 'i' runs wrongly on Brian2 "
                f"{brian2.__version__}'s Cython runtime (its event loop variable is named i); "
                "write i_pre instead")


@functools.cache
def _stable_clock_class():
    from brian2 import Clock

    class StableClock(Clock):
        """A ``Clock`` whose hash depends on its name only.

        Brian2 keeps a network's clocks in a set and writes their start times into the
        standalone ``main.cpp`` in set order. With Brian2's identity hashes that order changes
        from process to process, so ``main.cpp`` changes and make recompiles it on every run
        (about 8 s). Name hashes make the generated code identical, and a rerun compiles nothing.
        """

        # Brian2 honours only properties in the class's own __dict__ when attributes are set
        dt = Clock.dt
        dt_ = Clock.dt_

        def __hash__(self):
            # Brian2's instance tracking hashes the object in __new__, before it has a name
            # (its weak reference keeps that first hash, so the switch below is safe)
            name = self.__dict__.get("_name")
            return zlib.crc32(name.encode()) if name else object.__hash__(self)

    return StableClock


#: file in a build slot whose project has been built once (the slot can then seed others:
#: later builds in it only rewrite files whose content changed, i.e. none within one entry)
BUILT = ".built"
#: the lengths of a cpp project's run() calls, in seconds (float64), read by main.cpp
RUN_LENGTHS = "spikerules_run_lengths.bin"


def _drop_clock_resets(device) -> None:
    """Remove the clock settings Brian2 writes into main.cpp before every run but the first.

    Before each run Brian2 sets every clock to where the runs so far end (``timestep``,
    ``t``), as literals. The C++ loop leaves each clock there already (its ``set_interval``
    computes the same step from the same end time), so they change nothing; with the run
    lengths read at run time they are dropped, since they would tie main.cpp to the lengths.
    """
    from brian2 import Clock

    names = {device.get_array_name(v, access_data=False): v for v in device.arrays}
    started, kept = False, []
    for func, args in device.main_queue:
        var = names.get(args[0]) if func == "set_by_single_value" else None
        if (started and var is not None and isinstance(getattr(var, "owner", None), Clock)
                and var.name in ("timestep", "t")):
            continue
        started = started or func == "run_network"
        kept.append((func, args))
    device.main_queue[:] = kept


def _read_run_lengths(count: int) -> str:
    """main.cpp code that reads the ``count`` run lengths (see Simulation._length_as_run_arg)."""
    return f"""std::vector<double> _spikerules_run_lengths;
{{
    std::ifstream _f("{RUN_LENGTHS}", std::ios::binary);
    double _d;
    while (_f.read(reinterpret_cast<char*>(&_d), sizeof(double)))
        _spikerules_run_lengths.push_back(_d);
    if (_spikerules_run_lengths.size() != {count}) {{
        std::cerr << "{RUN_LENGTHS}: expected {count} run lengths" << std::endl;
        return 1;
    }}
}}"""


def _seed_slot(slot: Path, entry: Path) -> None:
    """Fill an empty slot with a copy of a built sibling, so that make finds nothing to do.

    Parallel runs of one model (a sweep) each need their own directory; copying the compiled
    project, with its time stamps, spares every slot after the first a full compilation.
    """
    for other in sorted(entry.glob("slot-*")):
        if other != slot and (other / BUILT).exists():
            # not what a run writes or deletes while the sibling may be running
            transient = ("results", ".lock", BUILT, PEAK_FILE, RUN_LENGTHS, "init_*.dat*")
            shutil.copytree(other, slot, symlinks=True, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(*transient))
            return


@contextlib.contextmanager
def _first_build_turn(slot: Path):
    """Hold the entry's build lock while ``slot`` has never been built.

    Parallel runs of one project (a sweep starting on a cold cache) would otherwise each
    compile it in their own slot. Holding the lock, a slot that is still unbuilt is first
    filled from a sibling that another run built meanwhile, so only the first run compiles.
    """
    if (slot / BUILT).exists():
        yield
        return
    with open(slot.parent / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file is closed
        if not (slot / BUILT).exists():
            _seed_slot(slot, slot.parent)
        yield


#: the C++ binary runs under this Python line, which writes the binary's peak resident memory
#: (kB) and its CPU time (user + system, s) to PEAK_FILE in the project directory: the
#: simulation's own, apart from Python's and the compiler's (CPU time, unlike the loop's wall
#: time, hardly changes when other processes share the cores)
PEAK_FILE = "peak_rss_kb"
PEAK_WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
                "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                f"open({PEAK_FILE!r}, 'w').write(f'{{u.ru_maxrss}} {{u.ru_utime + u.ru_stime}}'); "
                "sys.exit(code)")


def peak_memory_mb():
    """The largest resident memory (MB) of this process and of any child it waited for (a
    standalone simulation, or the compiler where it ran): Linux reports kB."""
    import resource

    return max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


@dataclass
class Simulation:
    """Selects the Brian2 device for one model run and carries its seed-dependent values.

    Parameters
    ----------
    model : str
        Model name (part of the cache key).
    target : {"runtime", "cpp", "cuda", "numpy"}
        Where Brian2 runs; the environment variable ``SPIKERULES_TARGET`` overrides it.
    seed : int
        Seed of Brian2's random number generator (noise in the equations).
    code_params : dict
        Everything that changes the generated code (sizes, dt, durations, schedules).
    build_only : bool
        Standalone targets: generate and compile the project, do not run it.
    profile : bool
        Time every code object (``brian2.profiling_summary(net)`` after ``finish``).
    """

    model: str
    target: str = "cpp"
    seed: int = 1
    code_params: dict = field(default_factory=dict)
    build_only: bool = False
    profile: bool = False
    timings: dict = field(default_factory=dict)

    def __post_init__(self):
        override = os.environ.get("SPIKERULES_TARGET")
        if override and override != self.target:
            print(f"spikerules: {self.model}: SPIKERULES_TARGET={override} replaces the target "
                  f"{self.target}", flush=True)
            self.target = override
        if self.target not in TARGETS + RUNTIME_TARGETS:
            raise DeviceError(f"unknown device '{self.target}'; accepted: {TARGET_HELP}")
        self._run_args = {}
        self._seed_group = None
        self._started = False
        self._progress_started = False
        self._run_lengths = []  # cpp: the duration of every run() call, read by main.cpp
        self._runs, self._step_s = 0, None  # run() calls, and the time step (s) they ran with
        self._lock_file = None
        self.directory: Path | None = None

    @property
    def standalone(self) -> bool:
        return self.target not in RUNTIME_TARGETS

    # -- set-up ---------------------------------------------------------------------------
    def activate(self) -> None:
        """Select and reset the Brian2 device; call before creating any Brian2 object."""
        import brian2
        from brian2 import ms, prefs, set_device
        from brian2.devices.device import get_device, reinit_devices

        reinit_devices()
        self._noise_functions = noise.functions()  # the fast noise, known to every model's code
        if self.target in RUNTIME_TARGETS:
            set_device("runtime")
            _owned_runtime_reads(get_device())
            prefs.codegen.target = "cython" if self.target == "runtime" else "numpy"
            brian2.seed(self.seed)
        elif self.target == "cpp":
            set_device("cpp_standalone", build_on_run=False)
            prefs.devices.cpp_standalone.openmp_threads = 0
            network_loop.install(get_device())  # no clock read per step; wall-time loops
            code_reuse.install(get_device())  # one code object per distinct code, not per run
            precompiled.install(get_device())  # headers parsed once per build, not per file
        else:
            try:
                import brian2cuda  # noqa: F401  (registers the cuda_standalone device)
            except ImportError as exc:
                raise DeviceError(f"the cuda device needs brian2cuda: {CUDA_INSTALL}") from exc
            has_gpu = gpu_available()
            if not has_gpu and not self.build_only:
                raise DeviceError(
                    "no GPU found (nvidia-smi lists none); use --set build_only=1 to generate "
                    "and compile the CUDA project without running it"
                )
            if not nvcc_available():
                raise DeviceError("the cuda device needs nvcc on the PATH (CUDA toolkit)")
            set_device("cuda_standalone", build_on_run=False)
            _configure_cuda(has_gpu)
            brian2.seed(self.seed)  # brian2cuda seeds cuRAND in generated code
        # every object created from now on uses this clock unless it names another one;
        # the device's own clock is kept alive: its variables stay in Brian2's array cache.
        # Not on cuda: brian2cuda's synapse templates name `defaultclock` in the generated code
        # (and a cuda project is keyed by its seed anyway).
        if self.target != "cuda":
            self._device_clock = get_device().defaultclock
            get_device().defaultclock = self.clock(0.1 * ms, name="spikerules_clock")
        if self.target == "cpp":
            # the seed is a run argument, so a new seed reuses the compiled project
            self._seed_group = brian2.NeuronGroup(
                1, "rng_seed : integer (shared, constant)", name="spikerules_seed"
            )
            self._set_run_arg(self._seed_group.rng_seed, np.array([self.seed]))

    def clock(self, dt, name):
        """A clock for objects that run less often than the time step (monitors)."""
        return _stable_clock_class()(dt=dt, name=name)

    def set_values(self, variable_view, values) -> None:
        """Give a state variable (``G.v``, ``S.w``) seed-dependent initial values, or a
        :meth:`timed_array` new values (cpp, before :meth:`rerun`).

        On standalone targets the values travel as ``run_args``; the generated code is the
        same for every seed.
        """
        if self.target == "cpp":
            self._set_run_arg(variable_view, values)  # keeps units: Brian2 checks them
        else:
            variable_view[:] = values

    def _set_run_arg(self, key, values) -> None:
        """The run argument of a ``VariableView`` or ``TimedArray``, replacing an earlier one.
        Kept by name: two views of one variable are equal only element by element."""
        name = (key.group_name, key.name) if hasattr(key, "group_name") else key
        self._run_args[name] = (key, values)

    def timed_array(self, values, dt, name):
        """A ``TimedArray`` whose values may change with the seed without recompiling."""
        from brian2 import TimedArray

        if self.target == "cpp":
            placeholder = TimedArray(np.zeros_like(values), dt=dt, name=name)
            self._set_run_arg(placeholder, values)
            return placeholder
        return TimedArray(values, dt=dt, name=name)

    def network(self, *objects):
        from brian2 import Network

        net = Network(*objects)
        if self._seed_group is not None:
            net.add(self._seed_group)
        return net

    def run(self, net, duration, report=None, report_period=None, namespace=None) -> None:
        """``net.run``; on C++ standalone the first call applies the run arguments and seed.

        ``namespace`` holds the external names the equations use (TimedArrays, functions);
        ``gauss``, ``gauss_fast`` and ``gauss_fix`` (``models.common.noise``) are always
        there. On cpp the length of the run is a run argument (a new duration recompiles
        nothing).
        """
        from brian2 import defaultclock, device, second

        if self.target == "cpp" and not self._started:
            self._shared_constants_as_run_args()
            device.apply_run_args()
            seed_array = device.get_array_name(self._seed_group.variables["rng_seed"])
            device.insert_code("main", network_loop.SUBNORMALS_TO_ZERO)
            device.insert_code(
                "main",
                f"for (int _i=0; _i<1; _i++) "
                f"brian::_random_generators[_i].seed((unsigned long){seed_array}[0] + _i);",
            )
        if self.target == "runtime" and _cython_event_loop_is_named_i():
            _refuse_code_reading_i(net)
        self._started = True
        self._runs += 1
        self._step_s = float(defaultclock.dt_)
        kwargs = {"namespace": {**self._noise_functions, **(namespace or {})},
                  "profile": self.profile}
        if report is not None and self.target == "cpp":
            self._run_with_progress(net, duration, kwargs)
            return
        # on cuda no report at all (see _run_with_progress; progress lines untested there)
        if report is not None and not self.standalone:
            kwargs.update(report=report, report_period=report_period or 10 * second)
        net.run(duration, **kwargs)
        self._length_as_run_arg(net)
        if not self.standalone:  # the loop after code generation, as Brian2 timed it
            self.timings["loop_s"] = float(device._last_run_time)

    def _length_as_run_arg(self, net) -> int | None:
        """On cpp, make the ``run()`` just queued read its length from a file at run time.

        Brian2 writes ``net.run(12.5, ...)`` into main.cpp, so every new duration would
        recompile main.cpp; the lengths go to ``RUN_LENGTHS`` instead (written by
        :meth:`finish`). Returns the index of this run's length (None off cpp).
        """
        from brian2 import device

        if self.target != "cpp":
            return None
        lines = next(args[1] for func, args in reversed(device.main_queue)
                     if func == "run_network")
        prefix = f"{net.name}.run("
        k = len(self._run_lengths)
        for n, line in enumerate(lines):
            if line.startswith(prefix):
                value, rest = line[len(prefix):].split(",", 1)
                self._run_lengths.append(float(value))
                lines[n] = f"{prefix}_spikerules_run_lengths[{k}],{rest}"
                return k
        raise DeviceError(f"this Brian2 queues runs differently: no '{prefix}' line found")

    def _run_with_progress(self, net, duration, kwargs, chunks=10) -> None:
        """A standalone run in ``chunks`` pieces, each followed by a progress line.

        Brian2's own ``report`` makes the generated loop read the process CPU clock before
        every code object of every step; on virtual machines that is a system call
        (``clock_gettime``) each time, and it made long runs several times slower. Pieces
        ending on whole time steps give the same simulation as one run. The loop time
        (``loop_s``) covers all pieces: our ``network.cpp`` adds up the runs' wall times
        (``models.common.network_loop``). The lines are computed from the pieces' lengths at
        run time (they are run arguments).
        """
        from brian2 import device, second

        dt = self._step_s  # set by run()
        total = int(round(float(duration / second) / dt))
        if not self._progress_started:
            device.insert_code("main", "std::time_t _spikerules_t0 = std::time(nullptr);")
            self._progress_started = True
        ends = sorted({total * k // chunks for k in range(1, chunks + 1)} - {0})
        first = len(self._run_lengths)
        last = first + len(ends) - 1
        done = 0
        for end in ends:
            net.run((end - done) * dt * second, **kwargs)
            done = end
            k = self._length_as_run_arg(net)
            device.insert_code("main", f"""{{
    double _done = 0, _whole = 0;
    for (int _k = {first}; _k <= {last}; _k++) {{
        _whole += _spikerules_run_lengths[_k];
        if (_k <= {k}) _done += _spikerules_run_lengths[_k];
    }}
    std::cout << "spikerules: {self.model}: " << (int)(100 * _done / _whole + 1e-9)
              << "% of " << _whole << " s simulated, "
              << (std::time(nullptr) - _spikerules_t0) << " s since the first report"
              << std::endl;
}}""")

    def _shared_constants_as_run_args(self) -> None:
        """Move the values given to ``(shared, constant)`` parameters into the run arguments.

        Brian2 writes ``G.lam = 50/second`` into main.cpp as a constant, so a new value would
        recompile main.cpp and keep one cache slot busy recompiling in a sweep. Moved to
        ``run_args`` (set before the first ``run``), every value shares one compiled project.
        Values given with :meth:`set_values` come later and win.
        """
        from brian2 import Clock, Quantity, device
        from brian2.core.variables import VariableView

        names = {device.get_array_name(v, access_data=False): v for v in device.arrays}
        queue = [(func, args, names.get(args[0]) if func == "set_by_single_value" else None)
                 for func, args in device.main_queue]
        # Brian2 repeats the clocks' dt assignments once more from the second device of a
        # process on; only the last one of each clock counts (nothing reads dt in between)
        last_dt = {args[0]: k for k, (_, args, var) in enumerate(queue)
                   if isinstance(getattr(var, "owner", None), Clock)}
        moved, kept = {}, []
        for k, (func, args, var) in enumerate(queue):
            if var is not None and last_dt.get(args[0], k) != k:
                continue
            value = device.array_cache.get(var) if var is not None else None
            owner = getattr(var, "owner", None)
            if value is not None and var.scalar and var.constant and owner is not None:
                view = getattr(owner, var.name, None)
                if isinstance(view, VariableView):
                    moved[var] = (view, Quantity(np.array(value), dim=var.dim))
                    continue
            kept.append((func, args))
        device.main_queue[:] = kept
        given, self._run_args = self._run_args, {}
        for view, value in list(moved.values()) + list(given.values()):
            self._set_run_arg(view, value)

    # -- build and run --------------------------------------------------------------------
    def cache_key(self) -> str:
        import brian2

        blob = json.dumps(
            {
                "model": self.model,
                "target": self.target,
                "brian2": brian2.__version__,
                "python": sys.version_info[:2],
                "code": {k: str(v) for k, v in sorted(self.code_params.items())},
                "seed": self.seed if self.target == "cuda" else None,
                # profiling adds code around every code object (absent: the keys of before)
                **({"profile": True} if self.profile else {}),
            },
            sort_keys=True,
        )
        return hashlib.sha1(blob.encode()).hexdigest()[:12]

    def _take_slot(self) -> Path:
        entry = cache_root() / "standalone" / f"{self.model}-{self.target}-{self.cache_key()}"
        entry.mkdir(parents=True, exist_ok=True)
        for n in range(1000):
            slot = entry / f"slot-{n}"
            slot.mkdir(exist_ok=True)
            fh = open(slot / ".lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            self._lock_file = fh
            if not (slot / BUILT).exists():
                _seed_slot(slot, entry)
            return slot
        raise DeviceError(f"no free build slot under {entry}")

    def finish(self) -> None:
        """Standalone: build (reusing the cached project) and run with the run arguments."""
        if not self.standalone:
            return
        from brian2 import device

        self.directory = self._take_slot()
        if self._run_lengths:
            _drop_clock_resets(device)
            device.main_queue.insert(0, ("insert_code", _read_run_lengths(len(self._run_lengths))))
        marker, binary = self.directory / BUILT, self.directory / "main"
        with _first_build_turn(self.directory):  # the wait is not part of build_s
            before = binary.stat().st_mtime_ns if binary.exists() else None
            t0 = time.perf_counter()
            device.build(directory=str(self.directory), compile=True, run=False,
                         with_output=False)
            marker.touch()
        self.timings["build_s"] = time.perf_counter() - t0
        # make relinks the binary only when something changed
        self.timings["compiled"] = before is None or binary.stat().st_mtime_ns != before
        what = "compiled" if self.timings["compiled"] else "reused the compiled project"
        print(f"spikerules: {self.model} [{self.target}]: {what} "
              f"({self.timings['build_s']:.1f} s)", flush=True)
        if self.build_only:
            return
        self._run_binary()

    def rerun(self, seed: int, duration=None) -> None:
        """cpp, after :meth:`finish`: run the compiled project again, with ``seed`` and the
        values given to :meth:`set_values` since. Nothing is built: the network, its code and
        its monitors are those of the first run, and they read this run's results. For a
        chain of runs of one network with new inputs and states (learning segments).

        ``duration``: run for this long instead (a simulation of one ``run()``, in progress
        pieces or not; arrays sized for the first run, such as a ``TimedArray``, keep their
        size)."""
        from brian2.core.variables import VariableView

        from models.common import noise

        if self.target != "cpp" or self.directory is None or self.build_only:
            raise DeviceError("rerun needs a finished cpp run")
        self.seed = seed
        self._set_run_arg(self._seed_group.rng_seed, np.array([seed]))
        for view, _ in list(self._run_args.values()):
            if isinstance(view, VariableView) and view.name == "noise_key":
                self._set_run_arg(view, np.array([noise.key(seed)]))
        if duration is not None:
            self._run_lengths = self._recut(duration)
        self._run_binary()

    def _recut(self, duration) -> list[float]:
        """The run lengths (s) of this simulation's one run for another ``duration``: as many
        pieces as the first run, on whole steps, cut as :meth:`_run_with_progress` cuts them."""
        from brian2 import second

        if self._runs != 1:
            raise DeviceError(f"rerun for another duration needs a simulation of one run, "
                              f"not {self._runs}")
        total = int(round(float(duration / second) / self._step_s))
        chunks = len(self._run_lengths)
        ends = [total * k // chunks for k in range(chunks + 1)]
        return [(b - a) * self._step_s for a, b in zip(ends, ends[1:])]

    def _run_binary(self) -> None:
        """Run the built project with the run arguments; the timings of that run."""
        from brian2 import device

        if self._run_lengths:  # read by main.cpp (see _length_as_run_arg)
            np.asarray(self._run_lengths, dtype=np.float64).tofile(self.directory / RUN_LENGTHS)
        peak_file = self.directory / PEAK_FILE
        if self.target == "cpp":
            from brian2 import prefs

            peak_file.unlink(missing_ok=True)
            prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", PEAK_WRAPPER,
                                                         "./main"]
        t0 = time.perf_counter()
        try:
            device.run(
                directory=str(self.directory),
                results_directory="results",
                with_output=True,
                run_args=dict(self._run_args.values()),
            )
        finally:  # Brian2 keeps every run's values (init_*.dat): 32 MB a run for some models
            for path in (self.directory / "static_arrays").glob("init_*.dat*"):
                path.unlink(missing_ok=True)
        self.timings["run_s"] = time.perf_counter() - t0
        if peak_file.exists():
            peak_kb, cpu_s = peak_file.read_text().split()
            self.timings["sim_peak_memory_mb"] = int(peak_kb) / 1024
            self.timings["sim_cpu_s"] = float(cpu_s)
        loop = getattr(device, "_last_run_time", None)  # the network loop, as Brian2 timed it
        if loop is not None:
            self.timings["loop_s"] = float(loop)

    def release(self) -> None:
        """Give the build slot back (the compiled project stays in the cache)."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self):
        self.activate()
        return self

    def __exit__(self, *exc):
        self.release()
        return False
