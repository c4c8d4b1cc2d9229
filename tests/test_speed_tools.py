"""bench and the one-pass arbitration it relies on (sweeps: test_sweep.py)."""

import numpy as np
import pytest
from brian2 import NeuronGroup, SpikeMonitor, ms, second

from models.common.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                       one_spike_per_step_judge)
from models.common.device import Simulation
from spikerules.bench import (bench_point, brian_balanced_coding, event_costs, format_row,
                              numpy_balanced_coding, unit_costs)


@pytest.mark.parametrize("scores, winner", [
    ([-0.3, 0.2, 0.7, 0.1], 2),       # the largest score
    ([0.5, -0.1, 0.5, 0.5], 0),       # a tie goes to the lower index
    ([-0.1, 0.0, -0.2, -1.0], 1),     # a score of exactly 0 fires
    ([-0.1, -0.2, -0.3, -0.4], None),  # nobody above threshold: nobody fires
])
def test_the_judge_fires_argmax_once(scores, winner):
    with Simulation("judge-test", target="numpy") as sim:
        g = NeuronGroup(8, "s : 1 (constant)\n" + JUDGE_VARIABLES, threshold=JUDGE_THRESHOLD,
                        events=dict(JUDGE_EVENTS), name="g")
        g.s = np.concatenate([scores, np.array(scores)[::-1]])  # two copies of 4 neurons
        objs = one_spike_per_step_judge(g, score_expression="s", block_size=4)
        mon = SpikeMonitor(g)
        net = sim.network(g, objs, mon)
        sim.run(net, 1 * ms)
    fired = np.asarray(mon.i[:])
    if winner is None:
        assert fired.size == 0
        return
    # every step, one spike per copy; the reversed copy has its own argmax
    second = 4 + int(np.argmax(np.array(scores)[::-1]))
    assert fired.size == 2 * 10
    assert set(fired.tolist()) == {winner, second}


@pytest.mark.parametrize("lowrank", [False, True])
def test_bench_runs_the_same_network_as_its_numpy_loop(lowrank):
    """With the noise off, Brian2's frozen balanced network and the NumPy loop of the benchmark
    give the same spikes: the timing compares like with like (the scaling's low-rank network
    against the loop that takes Omega's column from F)."""
    brian = brian_balanced_coding(40, 1.0, "numpy", seed=2, noise=False, lowrank=lowrank)
    numpy = numpy_balanced_coding(40, 1.0, seed=2, noise=False, lowrank=lowrank)
    assert numpy["spikes"] > 50
    np.testing.assert_array_equal(brian["spike_steps"], numpy["spike_steps"])
    np.testing.assert_array_equal(brian["spike_neurons"], numpy["spike_neurons"])


@pytest.mark.slow  # a Cython build of its own (over a minute from an empty cache)
def test_bench_point_reports_every_target_against_numpy():
    rows = bench_point("balanced-coding", 30, 0.5, ["runtime"], log=lambda *_: None)
    assert [r["target"] for r in rows] == ["numpy", "runtime"]
    numpy_row, runtime = rows
    assert numpy_row["speedup_vs_numpy"] == 1.0
    assert runtime["loop_s"] > 0 and runtime["synaptic_events"] == runtime["spikes"] * 30
    assert runtime["speedup_vs_numpy"] == pytest.approx(numpy_row["loop_s"] / runtime["loop_s"])
    # the two implementations are driven alike: spike counts within 20 %
    assert abs(runtime["spikes"] - numpy_row["spikes"]) <= 0.2 * numpy_row["spikes"]
    assert "x numpy" in format_row(runtime)


def test_a_step_is_set_against_its_floor_of_draws_and_synaptic_events():
    """floor = draws per step x ns per draw + synaptic events per step x ns per event; the
    NumPy loop alone here (no build), with made-up unit costs."""
    rows = bench_point("balanced-coding", 30, 0.5, [], log=lambda *_: None,
                       costs={"numpy": (10.0, 2.0)})
    (r,) = rows
    steps = 500  # 0.5 s at 1 ms
    assert r["synaptic_events"] == r["spikes"] * 30 > 0
    assert r["floor_us"] == pytest.approx((30 * 10.0 + r["synaptic_events"] / steps * 2.0) / 1e3)
    assert r["step_us"] == pytest.approx(r["loop_s"] / steps * 1e6)
    assert r["wall_s_per_simulated_s"] == pytest.approx(r["loop_s"] / 0.5)
    assert "floor" in format_row(r) and "s per sim. s" in format_row(r)
    events = event_costs([], steps=20, log=lambda *_: None)  # NumPy's: v += w[:, k]
    assert [e["target"] for e in events] == ["numpy"] and events[0]["ns_per_event"] > 0
    draws = [dict(generator="numpy standard_normal", target="numpy", ns_per_draw=9.0),
             dict(generator="gauss (fast)", target="numpy", ns_per_draw=99.0),
             dict(generator="gauss (fast)", target="cpp", ns_per_draw=3.0),
             dict(generator="brian2 randn", target="cpp", ns_per_draw=30.0)]
    events = [dict(target="numpy", ns_per_event=1.5), dict(target="cpp", ns_per_event=0.5)]
    assert unit_costs(draws, events) == {"numpy": (9.0, 1.5), "cpp": (3.0, 0.5)}


def test_each_loop_runs_repeat_times_taking_turns_and_a_row_gives_the_median(monkeypatch):
    """With made-up loops: NumPy and the targets alternate, the median of each one's runs is
    its loop time and the ratios are taken between medians; the first run's build stays."""
    from spikerules import bench

    calls, loops = [], {"numpy": [3.0, 9.0, 4.0], "runtime": [2.0, 2.2, 8.0],
                        "cpp": [0.5, 0.4, 0.1]}

    def run(target):
        calls.append(target)
        return dict(loop_s=loops[target][calls.count(target) - 1], spikes=7,
                    synaptic_events=70, build_s=5.0 if calls.count(target) == 1 else 0.0)

    spec = dict(bench.BENCHMARKS["balanced-coding"],
                numpy=lambda size, duration, seed: run("numpy"),
                brian=lambda size, duration, target, seed: run(target))
    monkeypatch.setitem(bench.BENCHMARKS, "made-up", spec)
    rows = bench.bench_point("made-up", 10, 1.0, ["runtime", "cpp"], repeat=3,
                             log=lambda *_: None)
    assert calls == ["numpy", "runtime", "cpp"] * 3
    numpy_row, runtime, cpp = rows
    assert [r["loop_s"] for r in rows] == [4.0, 2.2, 0.4]
    assert cpp["loop_runs_s"] == [0.5, 0.4, 0.1] and cpp["build_s"] == 5.0
    assert cpp["speedup_vs_numpy"] == pytest.approx(10.0)
    assert cpp["speedup_vs_runtime"] == pytest.approx(5.5)
    assert "(0.100-0.500, 3 runs)" in bench.format_row(cpp)
