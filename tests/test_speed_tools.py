"""bench, sweep and the one-pass arbitration they rely on."""

import json

import numpy as np
import pytest
from brian2 import NeuronGroup, SpikeMonitor, ms, second

from conftest import spikerules
from models import balanced_numpy
from models.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                one_spike_per_step_judge)
from models.balanced_coding import run_frozen
from models.bench import BALANCED, _balanced_setup, bench_point, format_row
from models.device import Simulation
from models.sweep import parse_seeds, point_name, split_values


@pytest.mark.parametrize("scores, winner", [
    ([-0.3, 0.2, 0.7, 0.1], 2),       # the largest score
    ([0.5, -0.1, 0.5, 0.5], 0),       # a tie goes to the lower index
    ([-0.1, 0.0, -0.2, -1.0], 1),     # a score of exactly 0 fires
    ([-0.1, -0.2, -0.3, -0.4], None),  # nobody above threshold: nobody fires
])
def test_the_judge_fires_argmax_once(scores, winner):
    with Simulation("judge-test", target="runtime") as sim:
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
    f, omega, inputs = _balanced_setup(40, 1.0, seed=2)
    p = BALANCED
    with Simulation("bench-equality", target="runtime", seed=1) as sim:
        spikes = run_frozen(sim=sim, f=f, omega=omega, stimulus=inputs, dt=1 * ms,
                            lam=p["lam"] / second, threshold=p["threshold"], sigma_v=0.0,
                            sigma_t=0.0, eps_o=0.0, eps_f=0.0, alpha=1.0, beta=1.0, mu=p["mu"])
        i_b, t_b = np.asarray(spikes.i[:]), np.asarray(spikes.t[:] / ms)
    steps, neurons = balanced_numpy.simulate(f, omega, inputs, dt=1e-3, lam=p["lam"],
                                             threshold=p["threshold"])
    assert len(steps) > 50
    np.testing.assert_array_equal(np.rint(t_b).astype(int), steps)
    np.testing.assert_array_equal(i_b, neurons)


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


def test_a_sweep_compiles_once_and_reuses_the_project(tmp_path):
    """Seeds and a swept learning rate are run arguments: one compilation for all points."""
    out = tmp_path / "sweep"
    proc = spikerules("sweep", "balanced-coding", "--quick", "--duration", "1s", "--seeds",
                      "1-2", "--set", "eps_f=1e-4,1e-2", "--jobs", "2", "--out", out,
                      cache=tmp_path / "cache")
    log = proc.stdout
    assert "projects compiled: 2 (in 1 of 4 points)" in log, log
    rows = json.loads((out / "summary.json").read_text())
    assert [r["compiled"] for r in rows] == [2, 0, 0, 0]
    assert all(r["ok"] for r in rows)
    for r in rows:  # every point wrote its run directory
        assert (out / r["point"] / "metrics.json").exists()
    by = {(r["seed"], r["eps_f"]): r for r in rows}
    # the swept value reached the compiled project: a 100x larger rate learns differently
    assert by[(1, "1e-4")]["weight_distance_final"] != by[(1, "1e-2")]["weight_distance_final"]
    # and the seed did too
    assert by[(1, "1e-4")]["coding_error_initial"] != by[(2, "1e-4")]["coding_error_initial"]
