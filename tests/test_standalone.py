"""The same model on the Cython runtime and on C++ standalone, and the build cache."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import spikerules
from models.common.device import Simulation, cache_root

#: balanced-coding's quick run: the project other tests of the session compile too
BALANCED_QUICK = ["--quick"]
PREDICTIVE_SHORT = ["--duration", "0.3s", "--set", "n_neurons=40"]
RDD_SHORT = ["--duration", "1s", "--set", "sizes=30,12,5"]


def _load(run):
    with np.load(run / "spikes.npz") as sp:
        spikes = {k: sp[k] for k in sp.files}
    return spikes, json.loads((run / "metrics.json").read_text())


#: one Cython build in the default run; each further model is a build of minutes (slow)
SLOW = pytest.mark.slow


@pytest.mark.parametrize("model, args", [
    pytest.param("balanced-coding", BALANCED_QUICK, marks=pytest.mark.smoke),
    pytest.param("predictive-dynamics", PREDICTIVE_SHORT, marks=SLOW),
    pytest.param("rdd-alignment", RDD_SHORT, marks=SLOW),
])
def test_runtime_and_cpp_give_identical_spikes(model, args, tmp_path, cache_dir):
    runs = {}
    for device in ("runtime", "cpp"):
        runs[device] = tmp_path / device
        spikerules("run", model, "--device", device, "--seed", "4", *args, "--out",
                   runs[device], cache=cache_dir)
    spikes_rt, metrics_rt = _load(runs["runtime"])
    spikes_cpp, metrics_cpp = _load(runs["cpp"])
    assert spikes_rt.keys() == spikes_cpp.keys()
    for key in spikes_rt:
        np.testing.assert_array_equal(spikes_rt[key], spikes_cpp[key], err_msg=key)
    assert sum(v.size for k, v in spikes_rt.items() if k.endswith("_i")) > 100
    for key, value in metrics_rt.items():
        if not key.endswith(("_s", "_mb")) and value is not None:  # times, memory
            assert metrics_cpp[key] == pytest.approx(value, rel=1e-9), key


ERBP_SHORT = ["--set", "n_train=6", "--set", "n_test=3", "--set", "epochs=1", "--set",
              "sample=25ms", "--set", "settle=5ms", "--set", "baseline_epochs=1"]


@pytest.mark.slow  # the runtime build of the eRBP network takes minutes of Cython compilation
def test_erbp_runtime_and_cpp_give_identical_spikes(tmp_path, cache_dir):
    test_runtime_and_cpp_give_identical_spikes("erbp", ERBP_SHORT, tmp_path, cache_dir)


@pytest.mark.parametrize("model, args, project", [
    ("balanced-coding", BALANCED_QUICK, "balanced-coding"),
    pytest.param("predictive-dynamics", PREDICTIVE_SHORT, "predictive-dynamics", marks=SLOW),
    pytest.param("rdd-alignment", RDD_SHORT, "rdd-network", marks=SLOW),
])
def test_new_seed_reuses_the_compiled_project(model, args, project, tmp_path, cache_dir):
    """Other seeds pass everything through run_args: no object file is recompiled.

    balanced-coding's learning project has three clocks: this also checks that the generated
    main.cpp does not depend on the order of a set of clocks (models.common.device.StableClock).
    """
    spikerules("run", model, *args, "--seed", "1", "--out", tmp_path / "s1", cache=cache_dir)
    objects = {p: p.stat().st_mtime_ns for p in Path(cache_dir).rglob("*.o")
               if f"{project}-" in str(p)}
    assert objects
    for seed in (2, 3):
        spikerules("run", model, *args, "--seed", seed, "--out", tmp_path / f"s{seed}",
                   cache=cache_dir)
        assert {p: p.stat().st_mtime_ns for p in objects} == objects, f"seed {seed} recompiled"
    spikes_1, _ = _load(tmp_path / "s1")
    spikes_2, _ = _load(tmp_path / "s2")
    key = next(k for k in spikes_1 if k.endswith("_t"))
    assert not np.array_equal(spikes_1[key], spikes_2[key])


def test_parallel_runs_never_share_a_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKERULES_CACHE", str(tmp_path))
    first = Simulation("m", target="cpp", code_params={"n": 1})
    second = Simulation("m", target="cpp", code_params={"n": 1})
    other = Simulation("m", target="cpp", code_params={"n": 2})
    a, b = first._take_slot(), second._take_slot()
    assert a != b and a.parent == b.parent
    assert other._take_slot().parent != a.parent  # code parameters are in the key
    first.release()
    assert Simulation("m", target="cpp", code_params={"n": 1})._take_slot() == a  # reused
    assert str(cache_root()) == str(tmp_path)


@pytest.mark.slow  # a project of its own; tests/test_predictive_dynamics.py tracks at --quick
def test_predictive_dynamics_tracks_the_oscillator(tmp_path, cache_dir):
    """Acceptance: the default run tracks the damped oscillator with error <= 0.05."""
    spikerules("run", "predictive-dynamics", "--out", tmp_path / "pd", cache=cache_dir)
    _, metrics = _load(tmp_path / "pd")
    assert metrics["tracking_error"] <= 0.05
    assert metrics["max_spikes_per_step"] == 1
    assert 1 < metrics["rate_mean_hz"] < 50


def test_progress_pieces_give_the_same_run_and_the_whole_loop_time(cache_dir):
    """A C++ run with progress lines goes in ten pieces: the same spikes as one run, and
    loop_s is the wall time of all ten pieces (Brian2 alone reports the CPU time of the last
    piece: a tenth), a little less than the time measured around the binary (run_s), which
    adds the start (reading the arrays) and the end (writing the results). The generated loop
    reads no clock per step (models.common.network_loop)."""
    from brian2 import ms, second

    out = {}
    for report in (None, "text"):
        with Simulation("progress-pieces", target="cpp", seed=3,
                        code_params=dict(report=report)) as sim:
            g, mon = _noisy_group()
            sim.run(sim.network(g, mon), 2 * second, report=report)
            sim.finish()
            out[report] = (np.asarray(mon.i[:]), np.asarray(mon.t[:] / ms), sim.timings["loop_s"])
            loop, around = sim.timings["loop_s"], sim.timings["run_s"]
            assert 0.6 * around < loop < around, (report, loop, around)
            source = (sim.directory / "network.cpp").read_text()
            assert "(current - start)/" not in source  # brian2 2.9's clock read per step
            assert "_last_run_time += elapsed_realtime" in source  # the runs add up
    (i1, t1, loop1), (i10, t10, loop10) = out[None], out["text"]
    assert i1.size > 10_000
    np.testing.assert_array_equal(i1, i10)
    np.testing.assert_array_equal(t1, t10)
    assert 0.4 < loop10 / loop1 < 2.5, (loop10, loop1)
    # another duration: the run lengths are run arguments, so nothing is compiled again,
    # and the first second is the first second of the 2-s run
    with Simulation("progress-pieces", target="cpp", seed=3,
                    code_params=dict(report="text")) as sim:
        g, mon = _noisy_group()
        sim.run(sim.network(g, mon), 1 * second, report="text")
        sim.finish()
        assert not sim.timings["compiled"]
        first = t10 < 1000
        np.testing.assert_array_equal(np.asarray(mon.i[:]), i10[first])
        np.testing.assert_array_equal(np.asarray(mon.t[:] / ms), t10[first])
        # the binary again for a shorter time: its ten pieces cut anew (some of no step)
        for duration in (0.5 * second, 0.3 * ms):
            sim.rerun(3, duration)
            first = t10 < duration / ms
            np.testing.assert_array_equal(np.asarray(mon.i[:]), i10[first])
            np.testing.assert_array_equal(np.asarray(mon.t[:] / ms), t10[first])


def test_a_rerun_cuts_its_pieces_like_the_first_run():
    """``Simulation.rerun(seed, duration)``: as many pieces as the first run, on whole steps,
    the same lengths for the same duration; a simulation of two runs refuses."""
    from brian2 import ms, second

    from models.common.errors import DeviceError

    sim = Simulation("recut")
    sim._runs, sim._step_s = 1, 1e-4
    sim._run_lengths = [0.2] * 10
    assert sim._recut(2 * second) == [2000 * 1e-4] * 10  # as _run_with_progress cuts them
    lengths = sim._recut(0.7 * ms)  # 7 steps in 10 pieces
    assert len(lengths) == 10 and np.allclose(sum(lengths), 7e-4, rtol=0, atol=1e-15)
    assert sorted(set(np.round(np.asarray(lengths) / 1e-4).astype(int))) == [0, 1]
    sim._runs = 2
    with pytest.raises(DeviceError, match="one run, not 2"):
        sim._recut(1 * second)


def _noisy_group():
    """2000 noisy integrate-and-fire neurons and their spike monitor (call after activate);
    ``x`` decays by 0.5 % a step (test_cpp_flushes_subnormals_to_zero)."""
    from brian2 import NeuronGroup, SpikeMonitor

    g = NeuronGroup(2000, "dv/dt = (1.5 - v) / (10 * ms) + 0.3 * xi / sqrt(ms) : 1\nx : 1",
                    threshold="v > 1", reset="v = 0", method="euler", name="g")
    g.run_regularly("x = 0.995 * x", name="g_decay")
    return g, SpikeMonitor(g, name="mon")


def test_every_file_compiles_with_the_precompiled_header(cache_dir):
    """The makefile force-includes the header and no .gch is left after the build; a .gch made
    with the makefile's flags is what GCC then reads (-H marks it with '!'), not the headers.
    (The project of the test above, reused.)"""
    import shutil
    import subprocess

    from brian2 import ms

    from models.common import precompiled

    if not shutil.which("g++"):
        pytest.skip("no g++")
    with Simulation("progress-pieces", target="cpp", seed=3,
                    code_params=dict(report=None)) as sim:
        g, mon = _noisy_group()
        sim.run(sim.network(g, mon), 1 * ms)
        sim.finish()
    project, gch = sim.directory, sim.directory / f"{precompiled.HEADER}.gch"
    assert f"-include {precompiled.HEADER}" in (project / "makefile").read_text()
    assert (project / precompiled.HEADER).is_file() and not gch.exists()
    precompiled._precompile(project)
    try:
        report = subprocess.run(
            ["g++", *precompiled.compile_flags(project), *precompiled.FLAGS, "-H", "-c",
             "code_objects/g_stateupdater_codeobject.cpp", "-o", "/dev/null"],
            cwd=project, capture_output=True, text=True, check=True)
    finally:
        gch.unlink()
    assert f"! ./{precompiled.HEADER}.gch\n" in report.stderr, report.stderr[:2000]


def test_runs_share_code_objects():
    """Brian2 generates every code object again for every run(); the device keeps one per
    distinct code (models.common.code_reuse), also when objects are switched off and on."""
    from brian2 import NeuronGroup, SpikeMonitor, ms
    from brian2.devices.device import get_device

    with Simulation("code-reuse", target="cpp", build_only=True) as sim:
        g = NeuronGroup(10, "dv/dt = -v / (10 * ms) : 1", threshold="v > 1", reset="v = 0",
                        name="g")
        mon = SpikeMonitor(g, name="mon")
        net = sim.network(g, mon)
        for active in (True, True, False, True):
            mon.active = active
            sim.run(net, 1 * ms)
        device = get_device()
        names = sorted(device.code_objects)
        runs = [line for func, args in device.main_queue if func == "run_network"
                for line in args[1] if ".add(" in line]
    assert names == ["g_spike_resetter_codeobject", "g_spike_thresholder_codeobject",
                     "g_stateupdater_codeobject", "mon_codeobject"], names
    assert sum("_run_mon_codeobject" in line for line in runs) == 3  # not in the third run
    assert all(any(n in line for n in names) for line in runs if "NULL" not in line)


def test_runtime_refuses_event_code_that_reads_i():
    """Brian2 2.10.1's Cython event loop is named ``i``: on_pre code that reads ``i`` would skip
    events silently (it made the judge of balanced-coding miss candidates), so the runtime
    target refuses it; the judge reads ``i_pre``. Nothing is compiled."""
    from brian2 import NeuronGroup, Synapses, ms

    from models.common.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                           one_spike_per_step_judge)
    from models.common.device import _cython_event_loop_is_named_i, _refuse_code_reading_i
    from models.common.errors import DeviceError

    if not _cython_event_loop_is_named_i():
        pytest.skip("this Brian2's Cython event loop does not use the name i")
    with Simulation("event-code-i", target="runtime", seed=1) as sim:
        g = NeuronGroup(4, "s : 1\n" + JUDGE_VARIABLES, threshold=JUDGE_THRESHOLD,
                        events=dict(JUDGE_EVENTS), name="g")
        _refuse_code_reading_i(sim.network(g, *one_spike_per_step_judge(g, score_expression="s")))
        h = NeuronGroup(1, "last : 1", name="h")
        syn = Synapses(g, h, on_pre="last_post = i", name="reads_i")
        with pytest.raises(DeviceError, match="reads_i_pre.*write i_pre"):
            sim.run(sim.network(g, h, syn), 1 * ms)


def test_runtime_reads_outlive_the_network():
    """Spike indices read on the runtime device stay valid after the network is freed (Brian2
    2.10 hands out views of C++ memory; models.common.device makes such reads copies)."""
    import gc

    from brian2 import NeuronGroup, SpikeMonitor, ms

    def spikes():
        with Simulation("runtime-reads", target="numpy", seed=1) as sim:
            g = NeuronGroup(20, "dv/dt = (3 - v) / (10 * ms) : 1", threshold="v > 1",
                            reset="v = 0", method="euler", name="g")
            g.v = "rand()"
            mon = SpikeMonitor(g, name="mon")
            sim.run(sim.network(g, mon), 20 * ms)
            i = np.asarray(mon.i[:])
        return i, i.copy()

    i, kept = spikes()
    gc.collect()
    _ = [np.ones(1000) for _ in range(200)]  # reuse freed memory
    assert i.size > 50
    np.testing.assert_array_equal(i, kept)


def test_rerun_needs_a_finished_cpp_run():
    """``Simulation.rerun`` runs a built binary again: elsewhere it refuses with one line."""
    from models.common.device import Simulation
    from models.common.errors import DeviceError

    for sim in (Simulation("rerun-test", target="numpy"), Simulation("rerun-test")):
        with pytest.raises(DeviceError, match="rerun needs a finished cpp run"):
            sim.rerun(2)


def test_cpp_flushes_subnormals_to_zero(cache_dir):
    """A quantity that decays by 0.5 % a step from 1e-300 leaves the normal numbers after
    about 3,500 steps. With IEEE subnormals (NumPy) it never reaches zero: it sinks to
    m 2^-1074 with m < 100, which rounds back to itself, and each multiplication by it is
    slow. The C++ binary flushes it to 0 (models.common.network_loop.SUBNORMALS_TO_ZERO) on
    x86-64. (The project of the progress-pieces test, reused: ``x`` of ``_noisy_group``.)"""
    import platform

    from brian2 import second

    ieee = 1e-300
    for _ in range(10_000):
        ieee = 0.995 * ieee
    assert 0 < ieee < 100 * 2.0**-1074
    with Simulation("progress-pieces", target="cpp", seed=3,
                    code_params=dict(report=None)) as sim:
        g, mon = _noisy_group()
        sim.set_values(g.x, np.full(2000, 1e-300))
        sim.run(sim.network(g, mon), 1 * second)  # 10,000 steps of 0.1 ms
        sim.finish()
        final = np.asarray(g.x[:])
    if platform.machine() in ("x86_64", "AMD64"):
        assert np.all(final == 0.0)
