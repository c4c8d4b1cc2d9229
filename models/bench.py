"""``spikerules bench``: wall time of a model's simulation loop against a plain NumPy loop.

Each benchmark runs the Brian2 C++ standalone project (build timed separately, then the
network loop as Brian2's generated code times it) and a NumPy implementation of the same
network, rules and simulated time in the same process, and reports the ratio.
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np
from brian2 import second


def bench_rdd(*, sizes=(1600, 384), duration=10.0, seed=1, device="cpp"):
    """The RDD feedback phase (RDD rule only) at the authors' largest layer sizes."""
    from models import rdd_numpy
    from models.rdd_network import (drive_schedule, effective_weights, forward_weights,
                                    simulate_feedback)

    weights = forward_weights(np.random.default_rng([seed, 1]), sizes, "guerguiev")
    t0 = time.perf_counter()
    out = simulate_feedback(weights=weights, duration=duration * second, seed=seed,
                            device=device, rules_used=("rdd",), snapshot_interval=None,
                            progress=False)
    brian_total = time.perf_counter() - t0
    timings = out["timings"]
    n_spikes = sum(i.size for i, _ in out["spikes"])
    synaptic_events = sum(i.size for i, _ in out["spikes"][:-1]) * sizes[-1]

    n_blocks = int(round(duration / 0.1))
    driven, drive_on = drive_schedule(np.random.default_rng(seed), sizes, n_blocks, 0.2)
    numpy_s, numpy_spikes = {}, {}
    for style in ("plain", "event"):
        t0 = time.perf_counter()
        spikes, _ = rdd_numpy.simulate(
            weights_hat=[effective_weights(w, "guerguiev") for w in weights],
            driven_layer=driven.astype(int), drive_on=drive_on, steps_per_block=100,
            n_steps=n_blocks * 100, dt=1e-3, g_L=100.0, g_D=600.0, alpha=4.0,
            refractory_steps=3, rules=("rdd",), rng=np.random.default_rng(seed),
            plain=style == "plain")
        numpy_s[style] = time.perf_counter() - t0
        numpy_spikes[style] = int(sum(i.size for i, _ in spikes))
    loop_s = timings.get("loop_s", timings.get("run_s", brian_total))
    return {
        "model": "rdd-alignment (feedback phase, RDD rule)",
        "sizes": list(sizes),
        "simulated_s": duration,
        "device": device,
        "build_s": timings.get("build_s"),
        "loop_s": loop_s,
        "numpy_loop_s": numpy_s["plain"],
        "speedup_vs_numpy": numpy_s["plain"] / loop_s,
        "numpy_event_driven_loop_s": numpy_s["event"],
        "speedup_vs_event_driven_numpy": numpy_s["event"] / loop_s,
        "simulated_s_per_wall_s": duration / loop_s,
        "synaptic_events_per_s": synaptic_events / loop_s,
        "spikes_brian2": int(n_spikes),
        "spikes_numpy": numpy_spikes["plain"],
        "spikes_numpy_event_driven": numpy_spikes["event"],
    }


BENCHMARKS = {"rdd": bench_rdd}


def machine():
    import os

    return {"machine": platform.machine(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version()}


def run_benchmarks(names, out=None):
    rows = []
    for name in names:
        row = BENCHMARKS[name]()
        rows.append(row)
        print(f"{name}: sizes {row['sizes']}, {row['simulated_s']:g} s simulated: "
              f"Brian2 {row['device']} loop {row['loop_s']:.2f} s (build {row['build_s']:.1f} s),"
              f" plain NumPy loop {row['numpy_loop_s']:.1f} s -> {row['speedup_vs_numpy']:.1f}x"
              f" (event-driven NumPy {row['numpy_event_driven_loop_s']:.1f} s -> "
              f"{row['speedup_vs_event_driven_numpy']:.1f}x); "
              f"{row['simulated_s_per_wall_s']:.1f} simulated s per wall s, "
              f"{row['synaptic_events_per_s'] / 1e6:.1f} M synaptic events/s")
    if out:
        with open(out, "w") as fh:
            json.dump({"machine": machine(), "results": rows}, fh, indent=2)
    return rows
