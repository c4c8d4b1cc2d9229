"""The RDD network and its weight-inference rules (models/rdd_network.py, rules/rdd.py)."""

import json

import numpy as np
import pytest
from brian2 import ms, second

from conftest import spikerules
from models import rdd_numpy
from models.rdd_network import (
    drive_schedule,
    effective_weights,
    forward_weights,
    rdd_feedback,
    simulate_feedback,
)

SIZES = (20, 10, 6)


@pytest.fixture(scope="module")
def small_run():
    """6 s of a three-layer network on the Cython runtime, drive spikes recorded."""
    weights = forward_weights(np.random.default_rng(3), SIZES, "guerguiev")
    out = simulate_feedback(weights=weights, duration=6 * second, seed=2, device="runtime",
                            record_drive=True, snapshot_interval=None, progress=False)
    return weights, out


@pytest.mark.parametrize("plain", [False, True])
def test_brian2_rules_match_the_numpy_loop(small_run, plain):
    """Same drive spikes: same spikes in every layer, same estimates of every rule."""
    weights, out = small_run
    spikes, est = rdd_numpy.simulate(
        plain=plain,
        weights_hat=[effective_weights(w, "guerguiev") for w in weights],
        driven_layer=out["driven_layer"].astype(int), drive_on=out["drive_on"],
        steps_per_block=100, n_steps=6000, dt=1e-3, g_L=100.0, g_D=600.0, alpha=4.0,
        refractory_steps=3, drive=out["drive"], initial=out["initial"])
    for (bi, bt), (ni, nt) in zip(out["spikes"], spikes):
        np.testing.assert_array_equal(bi, ni)
        np.testing.assert_allclose(bt, nt, atol=1e-12)
    assert [i.size > 20 for i, _ in out["spikes"]] == [True, True, True]
    for name, value in out["final"].items():
        np.testing.assert_allclose(value, est[name], rtol=1e-9, atol=1e-15, err_msg=name)
    # every rule learned something in the first pair of layers
    for name in ("rdd0_beta", "stdwi0", "mirror0"):
        assert np.abs(out["final"][name] - out["initial"].get(name, 0)).max() > 1e-4, name


def test_driven_layer_gets_its_drive_and_the_upstream_layer_is_silent(small_run):
    _, out = small_run
    blocks = out["driven_layer"]
    assert list(np.unique(blocks)) == [0, 1]                  # layers 0 and 1 in turn
    assert np.all(np.diff(blocks) >= 0)
    drive = out["drive"].reshape(60, 100, -1).sum(axis=1)      # per 100-ms block
    assert np.all(drive[out["drive_on"] == 0] == 0)
    # 200 Hz x 0.1 s on the chosen 20 %: 20 drive spikes per block on average
    assert drive[out["drive_on"] == 1].mean() == pytest.approx(20, rel=0.1)
    i0, t0 = out["spikes"][0]
    assert np.all(t0[t0 > 3.05] < 3.1)                         # layer 0 falls silent


def test_drive_counts_are_poisson_per_step():
    """The event-driven drive gives, on every driven neuron and step, the counts of
    poisson(drive_rate dt) (lam = 0.2): the distribution, and no memory from one step to the
    next. 800,000 driven neuron-steps; every bound is 4.5 standard errors."""
    from scipy.stats import poisson

    sizes, lam = (200, 2), 0.2
    weights = forward_weights(np.random.default_rng(1), sizes, "guerguiev")
    out = simulate_feedback(weights=weights, duration=20 * second, seed=5, device="runtime",
                            rules_used=("rdd",), record_drive=True, snapshot_interval=None,
                            progress=False)
    drive = out["drive"][:, :200].reshape(200, 100, 200)       # (block, step, neuron)
    on = out["drive_on"][:, :200].astype(bool)                 # (block, neuron)
    assert np.all(drive[~on[:, None, :].repeat(100, axis=1)] == 0)
    counts = drive.transpose(0, 2, 1)[on]                      # (driven neuron-blocks, step)
    n = counts.size
    assert n == 200 * 40 * 100

    def close(observed, p, what):
        assert abs(observed - p) < 4.5 * np.sqrt(p * (1 - p) / n), (what, observed, p)

    for k in (0, 1, 2):
        close(np.mean(counts == k), poisson.pmf(k, lam), f"P(count = {k})")
    close(np.mean(counts >= 3), poisson.sf(2, lam), "P(count >= 3)")
    assert counts.mean() == pytest.approx(lam, abs=4.5 * np.sqrt(lam / n))
    # after a step with drive, the next step has drive with the same probability
    hit = counts > 0
    both, first = np.sum(hit[:, 1:] & hit[:, :-1]), np.sum(hit[:, :-1])
    p_hit = 1 - np.exp(-lam)
    assert abs(both / first - p_hit) < 4.5 * np.sqrt(p_hit * (1 - p_hit) / first)

def test_drive_schedule_draws_exactly_the_fraction():
    driven, on = drive_schedule(np.random.default_rng(0), (50, 30, 10), 9, 0.2)
    np.testing.assert_array_equal(driven, [0, 0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(on[:5, :50].sum(axis=1), 10)
    np.testing.assert_array_equal(on[5:, 50:80].sum(axis=1), 6)
    assert on[:5, 50:].sum() == 0 and on[5:, :50].sum() == 0 and on[:, 80:].sum() == 0


def test_zero_learning_rates_keep_every_estimate():
    weights = forward_weights(np.random.default_rng(1), (40, 10), "guerguiev")
    rng = np.random.default_rng(5)
    initial = {f"rdd0_{p}": rng.standard_normal((40, 10))
               for p in ("m_above", "c_above", "m_below", "c_below")}
    initial.update(stdwi0=rng.standard_normal((40, 10)), mirror0=rng.standard_normal((40, 10)))
    out = simulate_feedback(weights=weights, duration=1 * second, seed=1, device="runtime",
                            eta_rdd=0.0, eta_stdwi=0.0, eta_mirror=0.0, initial=initial,
                            snapshot_interval=None, progress=False)
    assert out["spikes"][1][0].size > 50
    for name, value in initial.items():
        np.testing.assert_array_equal(out["final"][name], value, err_msg=name)


def test_rdd_feedback_rescales_to_the_fa_spread_and_keeps_fa_where_unestimated():
    rng = np.random.default_rng(0)
    y_fa = rng.standard_normal((8, 4))
    beta = 1e-3 * rng.standard_normal((8, 4))
    beta[0, 0] = 0.0
    y = rdd_feedback(beta, y_fa)
    assert y[0, 0] == y_fa[0, 0]
    mask = beta != 0
    np.testing.assert_allclose(y[mask], beta[mask] * np.std(y_fa) / np.std(beta[mask]))
    np.testing.assert_array_equal(rdd_feedback(np.zeros((8, 4)), y_fa), y_fa)


def test_weights_are_inferred_on_cpp(tmp_path, cache_dir):
    """Seeded: 20 s on the 64 -> 32 network. All three rules align, FA does not."""
    spikerules("run", "rdd-alignment", "--duration", "20s", "--seed", "1",
               "--out", tmp_path / "run", cache=cache_dir)
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    # measured (seed 1): RDD 33 deg / 0.87, STDWI r 0.93, mirror r 0.87, FA 90 deg
    assert m["rdd_angle_deg"] < 40 and m["rdd_sign_agreement"] > 0.82
    assert m["stdwi_pearson_r"] > 0.85 and m["mirror_pearson_r"] > 0.8
    assert abs(m["fa_angle_deg"] - 90) < 5 and abs(m["fa_pearson_r"]) < 0.1
    assert 3 < m["rate_layer0_hz"] < 15 and 60 < m["rate_layer1_hz"] < 200
    with np.load(tmp_path / "run" / "traces.npz") as tr:
        angle = tr["rdd0_angle_deg"]
        np.testing.assert_allclose(tr["snapshot_t"], np.arange(21))
    assert angle[0] == pytest.approx(m["fa_angle_deg"])  # before any window: Y = FA
    assert angle[-1] == pytest.approx(m["rdd_angle_deg"])
    assert angle[-1] < angle[5] < angle[1]


@pytest.mark.parametrize("setting, message", [
    ("sizes=64", "at least two"),
    ("network=huh", "network takes"),
    ("rules=rdd,foo", "rules takes"),
    ("window=3", "units of"),
])
def test_bad_settings_exit_2_with_one_line(setting, message, tmp_path):
    proc = spikerules("run", "rdd-alignment", "--set", setting, "--out", tmp_path / "x",
                      check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_block_must_be_a_whole_number_of_steps():
    from models.registry import ParameterError

    weights = forward_weights(np.random.default_rng(1), (4, 2), "guerguiev")
    with pytest.raises(ParameterError, match="multiple of dt"):
        simulate_feedback(weights=weights, duration=1 * second, device="runtime",
                          block=100.5 * ms)
