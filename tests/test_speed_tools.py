"""bench, sweep and the one-pass arbitration they rely on."""

import json

import numpy as np
import pytest
from brian2 import NeuronGroup, SpikeMonitor, ms, second

from conftest import spikerules
from models.common.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                       one_spike_per_step_judge)
from models.common.device import Simulation
from spikerules.bench import bench_point, brian_balanced_coding, format_row, numpy_balanced_coding
from spikerules.sweep import parse_seeds, point_name, split_values


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


def test_bench_runs_the_same_network_as_its_numpy_loop():
    """With the noise off, Brian2's frozen balanced network and the NumPy loop of the benchmark
    give the same spikes: the timing compares like with like."""
    brian = brian_balanced_coding(40, 1.0, "numpy", seed=2, noise=False)
    numpy = numpy_balanced_coding(40, 1.0, seed=2, noise=False)
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


def test_seed_and_value_lists():
    assert parse_seeds("1-4,7,3") == [1, 2, 3, 4, 7]
    assert split_values("eps_f=1e-4, 2e-4") == ("eps_f", ["1e-4", "2e-4"])
    assert split_values("sizes=64,32|256,128") == ("sizes", ["64,32", "256,128"])
    assert point_name(2, {"lam": "40/second"}) == "seed2-lam=40_second"


def test_a_sweep_compiles_once_and_reuses_the_project(tmp_path, cache_dir):
    """Seeds and a swept learning rate are run arguments: one compilation for all points
    (none if an earlier test of the session compiled the same projects)."""
    out = tmp_path / "sweep"
    proc = spikerules("sweep", "balanced-coding", "--quick", "--seeds", "1-2", "--set",
                      "eps_f=1e-4,1e-2", "--jobs", "2", "--out", out, cache=cache_dir)
    rows = json.loads((out / "summary.json").read_text())
    assert [r["compiled"] for r in rows][1:] == [0, 0, 0], proc.stdout
    assert rows[0]["compiled"] in (0, 2)
    assert all(r["ok"] for r in rows)
    for r in rows:  # every point wrote its run directory
        assert (out / r["point"] / "metrics.json").exists()
    by = {(r["seed"], r["eps_f"]): r for r in rows}
    # the swept value reached the compiled project: a 100x larger rate learns differently
    assert by[(1, "1e-4")]["weight_distance_final"] != by[(1, "1e-2")]["weight_distance_final"]
    # and the seed did too
    assert by[(1, "1e-4")]["coding_error_initial"] != by[(2, "1e-4")]["coding_error_initial"]
