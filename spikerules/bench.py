"""``spikerules bench``: wall time of each model's simulation loop, per target and against NumPy.

For each benchmark the same network (size, simulated time, seed) runs on Brian2's ``runtime``
(Cython), on ``cpp_standalone``, on ``cuda_standalone`` where a GPU is present, and as a plain
NumPy loop, all in one process. Brian2's loop is timed as Brian2 times it (code generation and
compilation excluded; the C++ build time is reported apart). ``--scaling`` repeats this over
three to four orders of magnitude of network size (balanced-coding to N = 100,000, rdd to
10,000 -> 2,500) and draws wall time against size on log-log axes. Each loop runs
``--repeat`` times (default 3), NumPy and the targets taking turns, and a row gives the
median: on a shared host one run of each can put the ratios anywhere within a factor 1.7.
First, :func:`draw_costs` times one Gaussian draw of each generator (Brian2's ``randn`` and
``models.common.noise``'s ``gauss``) on each target, and NumPy's, and :func:`event_costs` one
synaptic event (a spike reaching one synapse) on each target and in NumPy. With them each row
sets the cost of a step against the step's unavoidable work, its floor: the draws the model
makes for every neuron in every step plus the step's synaptic events, at those unit costs.

Benchmarks
----------
``balanced-coding``
    The efficient balanced network of ``models.balanced_coding`` with frozen optimal weights
    (Omega = -F^T F - mu I), voltage and threshold noise on, 2-D smoothed-noise input. The
    table's network holds the N x N matrix; the scaling runs the low-rank recurrence
    (``recurrence=lowrank``) from N = 30 to 100,000, and its NumPy loop takes Omega's column
    from F at each spike.
``rdd``
    The feedback phase of ``models.rdd.network`` (RDD rule only), two layers, with the
    authors' weight scaling; the scaling goes to 10,000 -> 2,500 (25 million synapses).

Each row reports the loop time, wall time per simulated second, the cost of a step against
its floor, synaptic events per second and, on C++, the simulation's peak resident memory (on
the runtime target the process's peak so far, an upper bound: every point runs in this
process). The NumPy loops run up to the size
``numpy_max`` of each benchmark (beyond it the N x N or fan-in products take minutes per point).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from brian2 import second

from models.common.device import Simulation, gpu_available


# -- random draws ---------------------------------------------------------------------------

#: the Gaussian generators timed by :func:`draw_costs`: name -> the code of one draw
GENERATORS = {"brian2 randn": "randn()",
              "gauss, one by one": None,       # noise.draw(0): the whole draw where it is used
              "gauss (fast)": None}            # noise.normal("fast", 0): as the models draw


def _brian_draw_loop(code, target, n, steps):
    """Loop time of ``x = code`` for ``n`` neurons over ``steps`` steps."""
    from brian2 import NeuronGroup, ms

    from models.common import noise

    with Simulation("bench-draws", target=target, seed=1,
                    code_params=dict(code=code, n=n, steps=steps)) as sim:
        g = NeuronGroup(n, "x : 1\n" + noise.variables("fast", (0,)), name="g")
        g.run_regularly(f"x = {code}", name="g_draw")
        if "noise_0" in code:  # the step's draws, made at its start
            noise.prepare(sim, g, "fast", 0)
        else:
            g.noise_key = noise.key(sim.seed)
        sim.run(sim.network(g), steps * 0.1 * ms)
        sim.finish()
        return sim.timings["loop_s"]


def draw_costs(targets, *, n=10_000, steps=2_000, log=print):
    """ns per standard normal draw of each generator on each target and of NumPy: the loop
    time of ``x = draw`` minus that of ``x = 0.5`` (the loop and the store), per draw."""
    from models.common import noise

    rows, draws = [], n * steps
    for target in [t for t in targets if t in ("runtime", "cpp")]:
        base = _brian_draw_loop("0.5", target, n, steps)
        codes = dict(GENERATORS, **{"gauss, one by one": noise.draw(0),
                                    "gauss (fast)": noise.normal("fast", 0)})
        for name, code in codes.items():
            loop = _brian_draw_loop(code, target, n, steps)
            rows.append(dict(generator=name, target=target, ns_per_draw=(loop - base) / draws * 1e9))
    rng, index = np.random.default_rng(1), np.arange(n)
    for name, draw in (("numpy standard_normal", lambda s: rng.standard_normal(n)),
                       ("gauss (fast)", lambda s: noise.gauss_numpy(1, 0, index, s))):
        t0 = time.perf_counter()
        for s in range(steps // 10):
            draw(s)
        rows.append(dict(generator=name, target="numpy",
                         ns_per_draw=(time.perf_counter() - t0) / (draws // 10) * 1e9))
    for r in rows:
        log(f"draw: {r['generator']:22s} {r['target']:8s} {r['ns_per_draw']:7.2f} ns")
    return rows


def _brian_event_loop(target, n_pre, n_post, steps, synapses):
    """Loop time of ``n_pre`` neurons spiking in every step, with all-to-all synapses onto
    ``n_post`` neurons (``v_post += w``) or without them."""
    from brian2 import NeuronGroup, Synapses, ms

    with Simulation("bench-events", target=target, seed=1,
                    code_params=dict(n_pre=n_pre, n_post=n_post, steps=steps,
                                     synapses=synapses)) as sim:
        pre = NeuronGroup(n_pre, "x : 1", threshold="True", reset="", name="pre")
        post = NeuronGroup(n_post, "v : 1", name="post")
        objects = [pre, post]
        if synapses:
            pathway = Synapses(pre, post, "w : 1", on_pre="v_post += w", name="pathway")
            pathway.connect()
            pathway.w = 1e-3
            objects.append(pathway)
        sim.run(sim.network(*objects), steps * 0.1 * ms)
        sim.finish()
        return sim.timings["loop_s"]


def event_costs(targets, *, n_pre=10, n_post=1000, steps=2_000, log=print):
    """ns per synaptic event on each target: the loop time of ``n_pre`` neurons that spike in
    every step onto ``n_post`` through all-to-all synapses (spike queue and ``v_post += w``)
    minus that without the synapses, per event; NumPy: ``v += w[:, k]`` for each spike ``k``
    (as the NumPy loops deliver a spike), per element."""
    events = n_pre * n_post * steps
    rows = []
    for target in [t for t in targets if t in ("runtime", "cpp")]:
        loops = [_brian_event_loop(target, n_pre, n_post, steps, s) for s in (False, True)]
        rows.append(dict(target=target, ns_per_event=(loops[1] - loops[0]) / events * 1e9))
    w, v = np.full((n_post, n_pre), 1e-3), np.zeros(n_post)
    t0 = time.perf_counter()
    for _ in range(steps):
        for k in range(n_pre):
            v += w[:, k]
    rows.append(dict(target="numpy", ns_per_event=(time.perf_counter() - t0) / events * 1e9))
    for r in rows:
        log(f"synaptic event          {r['target']:8s} {r['ns_per_event']:7.2f} ns")
    return rows


def unit_costs(draws, events):
    """{target: (ns per draw, ns per synaptic event)}: the models' generator on each target
    (``gauss`` fast on Brian2's targets, ``standard_normal`` in NumPy)."""
    per_draw = {r["target"]: r["ns_per_draw"] for r in draws
                if r["generator"] == ("numpy standard_normal" if r["target"] == "numpy"
                                      else "gauss (fast)")}
    return {r["target"]: (per_draw[r["target"]], r["ns_per_event"]) for r in events
            if r["target"] in per_draw}


# -- balanced-coding ----------------------------------------------------------------------

def balanced_params(n, duration, seed=1):
    """balanced-coding's parameter record for the benchmark: its defaults at size ``n``, for
    ``duration`` seconds, learning off (the network's weights are frozen at their optimum)."""
    from models.balanced_coding import Params

    return Params(n_neurons=n, duration=duration * second, seed=seed, eps_o=0.0, eps_f=0.0,
                  alpha=1.0, beta=1.0)


def balanced_setup(p, lowrank=False):
    """F, the optimal Omega (None for the low-rank network) and the input (steps, M) of the
    benchmark, from the seed."""
    from models.balanced_coding.network import initial_weights, optimal_recurrent
    from models.common.signals import smoothed_white_noise

    rng = np.random.default_rng(p.seed)
    f = initial_weights(rng, p.n_inputs, p.n_neurons, recurrent=False)
    inputs = smoothed_white_noise(rng, p.steps(p.duration), p.n_inputs,
                                  amplitude=p.input_amplitude,
                                  smoothing_steps=float(p.input_smoothing / p.dt),
                                  block_steps=p.steps(p.input_block))
    return f, None if lowrank else optimal_recurrent(f, p.mu), inputs


def brian_balanced_coding(n, duration, target, seed=1, *, noise=True, lowrank=False):
    from models.balanced_coding.experiment import rule_parameters
    from models.balanced_coding.network import run_frozen

    p = balanced_params(n, duration, seed).replace(
        recurrence="lowrank" if lowrank else "dense", learn=not lowrank)
    f, omega, inputs = balanced_setup(p, lowrank)
    rules = rule_parameters(p) if noise else dict(rule_parameters(p), sigma_v=0.0, sigma_t=0.0)
    code = dict(n=n, steps=len(inputs), **({"recurrence": "lowrank"} if lowrank else {}))
    with Simulation("bench-balanced-coding", target=target, seed=seed,
                    code_params=code) as sim:
        spikes = run_frozen(sim=sim, f=f, omega=omega, stimulus=inputs, dt=p.dt, **rules)
        spike_i, spike_t = np.asarray(spikes.i[:]), np.asarray(spikes.t[:] / p.dt)
    # each spike reaches the N neurons through the recurrent weights
    return dict(sim.timings, spikes=len(spike_i), synaptic_events=len(spike_i) * n,
                spike_steps=np.rint(spike_t).astype(int), spike_neurons=spike_i)


def numpy_balanced_coding(n, duration, seed=1, *, noise=True, lowrank=False):
    from models.balanced_coding.reference import algorithm1

    p = balanced_params(n, duration, seed)
    f, omega, inputs = balanced_setup(p, lowrank)
    t0 = time.perf_counter()
    steps, neurons, _, _ = algorithm1(
        f, omega, inputs, dt=float(p.dt / second), lam=float(p.lam * second),
        threshold=p.threshold, mu=p.mu, sigma_v=p.sigma_v if noise else 0.0,
        sigma_t=p.sigma_t if noise else 0.0, rng=np.random.default_rng(seed), learn=False)
    return dict(loop_s=time.perf_counter() - t0, spikes=len(steps), synaptic_events=len(steps) * n,
                spike_steps=steps, spike_neurons=neurons)


# -- rdd ----------------------------------------------------------------------------------

def rdd_params(sizes, target="cpp"):
    """rdd-alignment's parameter record for the benchmark: its defaults (the RDD paper's
    network) at layer sizes ``sizes``, the RDD rule only."""
    from models.rdd import AlignmentParams

    return AlignmentParams(sizes=",".join(map(str, sizes)), rules="rdd", device=target)


def _rdd_weights(sizes, seed):
    from models.rdd.network import forward_weights

    return forward_weights(np.random.default_rng([seed, 1]), sizes, "guerguiev")


def brian_rdd(sizes, duration, target, seed=1):
    from models.rdd.network import simulate_feedback

    p = rdd_params(sizes, target)
    out = simulate_feedback(weights=_rdd_weights(sizes, seed), duration=duration * second,
                            seed=seed, rules_used=p.rule_names, progress=False,
                            **p.feedback_keywords())
    return dict(out["timings"], **_rdd_counts(out["spikes"], sizes))


def _rdd_counts(spikes, sizes):
    """Spikes and synaptic events of an rdd run: every spike of an upstream layer reaches the
    whole next layer. ``spikes``: (indices, times) per layer."""
    events = sum(i.size * n_next for (i, _), n_next in zip(spikes[:-1], sizes[1:]))
    return dict(spikes=int(sum(i.size for i, _ in spikes)), synaptic_events=int(events))


def numpy_rdd(sizes, duration, seed=1, plain=True):
    from models.rdd.network import drive_schedule, effective_weights
    from models.rdd.reference import loop_keywords, simulate

    p = rdd_params(sizes)
    keywords = loop_keywords(p)
    n_blocks = int(round(duration / 0.1))
    driven, drive_on = drive_schedule(np.random.default_rng(seed), sizes, n_blocks,
                                      p.drive_fraction)
    t0 = time.perf_counter()
    spikes, _ = simulate(
        weights_hat=[effective_weights(w, p.network) for w in _rdd_weights(sizes, seed)],
        driven_layer=driven.astype(int), drive_on=drive_on,
        n_steps=n_blocks * keywords["steps_per_block"], rng=np.random.default_rng(seed),
        plain=plain, **keywords)
    return dict(loop_s=time.perf_counter() - t0, **_rdd_counts(spikes, sizes))


#: name -> (Brian2 run, NumPy run, size of the table, sizes of the scaling, simulated s of
#: the table, simulated s of each scaling point, keywords of the scaling runs, the largest
#: size the NumPy loop runs, the time step in s, the draws of every step at a size: the
#: balanced network's voltage noise, one per neuron; rdd draws only per drive event)
BENCHMARKS = {
    "balanced-coding": dict(brian=brian_balanced_coding, numpy=numpy_balanced_coding,
                            size=1000, sizes=(30, 100, 300, 1000, 3000, 10000, 30000, 100000),
                            duration=20.0, scaling_duration=5.0, label="N",
                            scaling_keywords=dict(lowrank=True), numpy_max=100000,
                            dt_s=1e-3, draws_per_step=lambda n: n),
    "rdd": dict(brian=brian_rdd, numpy=numpy_rdd, size=(1600, 384),
                sizes=((100, 24), (400, 96), (1600, 384), (3200, 768), (6400, 1600),
                       (10000, 2500)),
                duration=10.0, scaling_duration=2.0, label="input layer N",
                scaling_keywords={}, numpy_max=3200, dt_s=1e-3, draws_per_step=lambda sizes: 0),
}


def available_targets():
    """runtime and cpp everywhere; cuda where brian2cuda, nvcc and a GPU are present."""
    targets = ["runtime", "cpp"]
    try:
        import brian2cuda  # noqa: F401
    except ImportError:
        return targets
    from models.common.device import nvcc_available

    if nvcc_available() and gpu_available():
        targets.append("cuda")
    return targets


def machine():
    return {"machine": platform.machine(), "processor": platform.processor() or None,
            "cpus": os.cpu_count(), "python": platform.python_version()}


def _size_value(size):
    return size if np.isscalar(size) else size[0]


def bench_point(name, size, duration, targets, *, seed=1, log=print, costs=None, repeat=1,
                **keywords):
    """Rows (one per target and one for NumPy up to its size) of one benchmark at one size;
    ``keywords`` go to both runs (the scaling's ``lowrank``); ``costs`` (:func:`unit_costs`)
    give each row the floor of a step.

    Each loop runs ``repeat`` times, NumPy and the targets taking turns, so that a slow spell
    of a shared host falls on all of them alike; a row's ``loop_s`` is the median of its runs
    (``loop_runs_s``: all of them, in order), its other values those of the first run (the
    build, as the others reuse it)."""
    from models.common.device import peak_memory_mb

    spec = BENCHMARKS[name]
    with_numpy = _size_value(size) <= spec.get("numpy_max", np.inf)
    runs = {target: [] for target in (["numpy"] if with_numpy else []) + list(targets)}
    for _ in range(repeat):
        for target, outs in runs.items():
            if target == "numpy":
                outs.append(spec["numpy"](size, duration, seed, **keywords))
            else:
                out = spec["brian"](size, duration, target, seed, **keywords)
                out.setdefault("sim_peak_memory_mb",
                               peak_memory_mb() if target == "runtime" else None)
                outs.append(out)
    rows = []
    for target, outs in runs.items():
        first, loops = outs[0], [out["loop_s"] for out in outs]
        rows.append(dict(model=name, size=size, target=target, simulated_s=duration,
                         build_s=first.get("build_s"), loop_s=float(np.median(loops)),
                         loop_runs_s=loops, spikes=first["spikes"],
                         synaptic_events=first["synaptic_events"],
                         peak_memory_mb=first.get("sim_peak_memory_mb")))
    by_target = {r["target"]: r for r in rows}
    numpy = by_target.get("numpy")
    steps = duration / spec["dt_s"]
    for r in rows:
        r["simulated_s_per_wall_s"] = duration / r["loop_s"]
        r["wall_s_per_simulated_s"] = r["loop_s"] / duration
        r["step_us"] = r["loop_s"] / steps * 1e6
        if costs and r["target"] in costs:
            ns_draw, ns_event = costs[r["target"]]
            r["floor_us"] = (spec["draws_per_step"](size) * ns_draw
                             + r["synaptic_events"] / steps * ns_event) / 1e3
        if numpy is not None:
            r["speedup_vs_numpy"] = numpy["loop_s"] / r["loop_s"]
        if "runtime" in by_target:
            r["speedup_vs_runtime"] = by_target["runtime"]["loop_s"] / r["loop_s"]
        if r.get("synaptic_events") is not None:
            r["synaptic_events_per_s"] = r["synaptic_events"] / r["loop_s"]
    for r in rows:
        log(format_row(r))
    return rows


def format_row(r):
    size = "->".join(map(str, r["size"])) if not np.isscalar(r["size"]) else str(r["size"])
    build = f"build {r['build_s']:6.1f} s" if r.get("build_s") is not None else " " * 14
    events = (f"{r['synaptic_events_per_s'] / 1e6:7.2f} M syn. events/s"
              if r.get("synaptic_events_per_s") is not None else "")
    vs_runtime = (f"{r['speedup_vs_runtime']:6.1f}x runtime"
                  if r.get("speedup_vs_runtime") is not None else "")
    vs_numpy = (f"{r['speedup_vs_numpy']:6.2f}x numpy" if r.get("speedup_vs_numpy") is not None
                else " " * 12)
    memory = (f"  {r['peak_memory_mb']:8.0f} MB peak" if r.get("peak_memory_mb") is not None
              else "")
    floor = (f" (floor {r['floor_us']:7.2f} us, {r['step_us'] / r['floor_us']:4.1f}x)"
             if r.get("floor_us") else " " * 25)
    runs = r.get("loop_runs_s") or [r["loop_s"]]
    spread = (f" ({min(runs):.3f}-{max(runs):.3f}, {len(runs)} runs)" if len(runs) > 1
              else "")
    return (f"{r['model']:16s} {size:>10s} {r['target']:8s} loop {r['loop_s']:8.3f} s{spread}"
            f"  {build}  {r['wall_s_per_simulated_s']:8.4f} s per sim. s  step {r['step_us']:8.2f} us"
            f"{floor}  {vs_numpy}  {vs_runtime:15s} {r['spikes']:8d} spikes  {events}{memory}")


def run_benchmarks(names, *, targets=None, scaling=False, out=None, log=print, repeat=1):
    """The table (and with ``scaling`` the size sweep and its plot); returns all rows.
    ``repeat``: runs of each loop (:func:`bench_point`)."""
    targets = list(targets or available_targets())
    log(f"targets: {', '.join(targets)}, numpy; machine: {machine()}")
    draws = draw_costs(targets, log=log)
    events = event_costs(targets, log=log)
    costs = unit_costs(draws, events)
    rows = []
    for name in names:
        spec = BENCHMARKS[name]
        rows += bench_point(name, spec["size"], spec["duration"], targets, log=log, costs=costs,
                            repeat=repeat)
    scaling_rows = []
    if scaling:
        for name in names:
            spec = BENCHMARKS[name]
            for size in spec["sizes"]:
                scaling_rows += bench_point(name, size, spec["scaling_duration"], targets,
                                            log=log, costs=costs, repeat=repeat,
                                            **spec.get("scaling_keywords", {}))
    if out:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as fh:
            json.dump({"machine": machine(), "draws": draws, "events": events, "results": rows,
                       "scaling": scaling_rows}, fh, indent=2, default=_json_default)
        if scaling_rows:
            scaling_figure(scaling_rows, names, out.with_suffix(".png"))
            log(f"plot: {out.with_suffix('.png')}")
    return rows + scaling_rows


def _json_default(x):
    if isinstance(x, (np.integer, np.floating)):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    raise TypeError(type(x))


TARGET_COLORS = {"numpy": "0.5", "runtime": "tab:orange", "cpp": "tab:blue", "cuda": "tab:green"}


def scaling_figure(rows, names, path):
    """One log-log panel of loop wall time against size per benchmark, a line per target."""
    import matplotlib.pyplot as plt

    from figures.plotting import wall_time_scaling

    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        for target in TARGET_COLORS:
            sizes, seconds = sizes_of(rows, name, target)
            if sizes.size:
                wall_time_scaling(ax, sizes, seconds, label=target, color=TARGET_COLORS[target])
        duration = BENCHMARKS[name]["scaling_duration"]
        ax.set_xlabel(BENCHMARKS[name]["label"])
        ax.set_title(f"{name}: {duration:g} s simulated", fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def sizes_of(rows, name, target):
    """(sizes, loop seconds) of one benchmark and target, for tables and plots."""
    sel = [r for r in rows if r["model"] == name and r["target"] == target]
    return (np.array([_size_value(r["size"]) for r in sel], dtype=float),
            np.array([r["loop_s"] for r in sel]))
