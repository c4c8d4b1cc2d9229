"""rdd-alignment: the spiking network and its weight-inference rules (models/rdd, rules/rdd.py)
against the NumPy loop, the drive, the presets, the figure from a synthetic result, and the
paper-scale runs (slow)."""

import json

import numpy as np
import pytest
from brian2 import Hz, ms, second

from analysis.io import RunResult
from conftest import cli, spikerules
from models.common.errors import ModelError
from models.rdd import AlignmentParams
from models.rdd.network import (drive_schedule, effective_weights, forward_weights,
                                rdd_feedback, simulate_feedback)
from models.rdd.params import RULES
from models.rdd.reference import loop_keywords, simulate

SIZES = (20, 10, 6)

#: the network, drive and rules of rdd-alignment's defaults, on Brian2's runtime with NumPy code
#: (nothing to compile; the C++ project is tested below)
RUNTIME = dict(AlignmentParams(device="numpy").feedback_keywords(), rules_used=RULES)


@pytest.fixture(scope="module")
def small_run():
    """6 s of a three-layer network on Brian2's runtime (NumPy code), drive spikes recorded."""
    weights = forward_weights(np.random.default_rng(3), SIZES, "guerguiev")
    out = simulate_feedback(weights=weights, duration=6 * second, seed=2, record_drive=True,
                            progress=False, **RUNTIME)
    return weights, out


@pytest.mark.parametrize("plain", [False, True])
def test_brian2_rules_match_the_numpy_loop(small_run, plain):
    """Same drive spikes: same spikes in every layer, same estimates of every rule."""
    weights, out = small_run
    spikes, est = simulate(
        plain=plain, weights_hat=[effective_weights(w, "guerguiev") for w in weights],
        driven_layer=out["driven_layer"].astype(int), drive_on=out["drive_on"], n_steps=6000,
        drive=out["drive"], initial=out["initial"], **loop_keywords(AlignmentParams()))
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
    next. 840,000 driven neuron-steps; every bound is 4.5 standard errors."""
    from scipy.stats import poisson

    sizes, lam = (1400, 2, 2), 0.2
    weights = forward_weights(np.random.default_rng(1), sizes, "guerguiev")
    out = simulate_feedback(weights=weights, duration=6 * second, seed=5, record_drive=True,
                            progress=False, **RUNTIME)
    np.testing.assert_array_equal(out["driven_layer"][:30], 0)  # the first half: layer 0
    drive = out["drive"][:3000, :1400].reshape(30, 100, 1400)  # (block, step, neuron)
    on = out["drive_on"][:30, :1400].astype(bool)               # (block, neuron)
    assert np.all(drive[~on[:, None, :].repeat(100, axis=1)] == 0)
    counts = drive.transpose(0, 2, 1)[on]                      # (driven neuron-blocks, step)
    n = counts.size
    assert n == 30 * 280 * 100

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
    """(The sizes and length of ``small_run``, other weights: the same compiled code.)"""
    sizes = SIZES
    weights = forward_weights(np.random.default_rng(1), sizes, "guerguiev")
    rng = np.random.default_rng(5)
    initial = {}
    for l, shape in enumerate(zip(sizes[:-1], sizes[1:])):
        initial.update({f"{name}{l}{part}": rng.standard_normal(shape)
                        for name, part in [("rdd", "_m_above"), ("rdd", "_c_above"),
                                           ("rdd", "_m_below"), ("rdd", "_c_below"),
                                           ("stdwi", ""), ("mirror", "")]})
    out = simulate_feedback(weights=weights, duration=6 * second, seed=1, initial=initial,
                            progress=False, **dict(RUNTIME, eta_rdd=0.0, eta_stdwi=0.0,
                                                   eta_mirror=0.0))
    assert out["spikes"][1][0].size > 50 and out["spikes"][2][0].size > 20
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


def test_the_network_preset_fills_what_is_left_at_none_and_given_values_win():
    """As `--set network=ahmad --set dt=0.5ms`: Ahmad et al.'s network with a coarser step."""
    p = AlignmentParams().with_text({"network": "ahmad", "dt": "0.5ms"})
    assert p.sizes is None and p.dt == 0.5 * ms
    used = p.resolved()
    assert (used.layer_sizes, used.dt, used.g_L, used.g_D, used.alpha, used.refractory) == (
        (100, 10), 0.5 * ms, 50 * Hz, 50 * Hz, 12.0, 0 * ms)
    assert used.to_json()["sizes"] == "100,10" and used.to_json()["dt"] == "0.5 ms"
    assert AlignmentParams().resolved().to_json()["g_D"] == "600/second"
    listing = "\n".join(AlignmentParams.describe())  # `spikerules list rdd-alignment`
    assert "guerguiev 1 ms; ahmad 0.25 ms" in listing and "guerguiev 64,32" in listing


@pytest.mark.parametrize("values, message", [
    (dict(sizes="64"), "sizes needs at least two positive layer sizes, got '64'"),
    (dict(sizes="64,x"), "sizes takes layer sizes like 64,32"),
    (dict(rules="rdd,foo"), "rules takes a comma-separated subset of rdd,stdwi,mirror"),
    (dict(network="huh"), "network must be one of guerguiev, ahmad"),
    (dict(dt=0.3 * ms), "must be a multiple of dt"),
    (dict(duration=40 * ms), "duration must be at least one block"),
    (dict(window=0.2 * ms), "window (0.2 ms) must be at least one time step"),
])
def test_bad_values_are_refused_with_one_line(values, message):
    with pytest.raises(ModelError) as info:
        AlignmentParams(**values)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_block_must_be_a_whole_number_of_steps():
    weights = forward_weights(np.random.default_rng(1), (4, 2), "guerguiev")
    with pytest.raises(ModelError, match="multiple of dt"):
        simulate_feedback(weights=weights, duration=1 * second, seed=1, block=100.5 * ms,
                          **RUNTIME)


@pytest.mark.parametrize("setting, message", [
    ("sizes=64", "at least two"),
    ("network=huh", "network must be one of"),
    ("rules=rdd,foo", "rules takes"),
    ("window=3", "units of"),
])
def test_bad_settings_exit_2_with_one_line(setting, message, tmp_path, capsys):
    status, _, err = cli(capsys, "run", "rdd-alignment", "--set", setting, "--out",
                         tmp_path / "x")
    assert status == 2
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.slow  # compiling the C++ project takes over 2 minutes on 2 cores
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
    # params.json records the values the preset gave
    params = json.loads((tmp_path / "run" / "params.json").read_text())
    assert (params["sizes"], params["dt"], params["refractory"]) == ("64,32", "1 ms", "3 ms")


def test_the_figure_draws_from_synthetic_results():
    """The figure reads only what the model writes: small made-up runs are enough."""
    from figures.rdd_alignment import RUNS, draw

    rng = np.random.default_rng(0)
    t = np.arange(11.0)
    results = {}
    for run in RUNS:
        traces = {"snapshot_t": t}
        for rule in ("rdd", "stdwi", "mirror"):
            traces.update({f"{rule}0_angle_deg": np.linspace(90, 30, 11),
                           f"{rule}0_sign_agreement": np.linspace(0.5, 0.9, 11),
                           f"{rule}0_pearson_r": np.linspace(0, 0.9, 11)})
        metrics = dict(fa_angle_deg=90.0, fa_sign_agreement=0.5, fa_pearson_r=0.0,
                       rdd_angle_deg=30.0, rdd_sign_agreement=0.9, rdd_pearson_r=0.9)
        w = rng.standard_normal((8, 16))
        results[run.label] = RunResult("rdd-alignment", {}, metrics=metrics, traces=traces,
                                       weights={"W0": w, "rdd0": w.T})
    fig = draw(results, title="synthetic")
    assert len(fig.axes) == 3 * len(RUNS)


# -- paper scale (slow) --------------------------------------------------------------------

def _alignment(tmp_path, cache_dir, *args):
    spikerules("run", "rdd-alignment", "--seed", "1", *args, "--out", tmp_path / "run",
               cache=cache_dir)
    return json.loads((tmp_path / "run" / "metrics.json").read_text())


@pytest.mark.slow
def test_rdd_alignment_64_32(tmp_path, cache_dir):
    """Issue 3: angle <= 27 deg after 60 s (the authors' code: 27.5 deg / 0.92)."""
    m = _alignment(tmp_path, cache_dir, "--set", "sizes=64,32", "--duration", "60s")
    assert m["rdd_angle_deg"] <= 27
    assert abs(m["fa_angle_deg"] - 90) < 5


@pytest.mark.slow
def test_rdd_sign_agreement_64_32(tmp_path, cache_dir):
    """The authors' code reached 0.92; seed 1 reaches 0.934 (seeds 2, 3: 0.926, 0.929)."""
    m = _alignment(tmp_path, cache_dir, "--set", "sizes=64,32", "--duration", "60s")
    assert m["rdd_sign_agreement"] >= 0.92


@pytest.mark.slow
def test_rdd_alignment_256_128(tmp_path, cache_dir):
    m = _alignment(tmp_path, cache_dir, "--set", "sizes=256,128", "--duration", "60s")
    assert m["rdd_angle_deg"] <= 36


@pytest.mark.slow
def test_weight_inference_on_ahmads_network(tmp_path, cache_dir):
    m = _alignment(tmp_path, cache_dir, "--set", "network=ahmad", "--duration", "200s")
    assert m["stdwi_pearson_r"] >= 0.95
    assert m["mirror_pearson_r"] >= 0.95
    assert m["rdd_pearson_r"] >= 0.75
    assert abs(m["fa_pearson_r"]) < 0.1


def test_large_networks_state_their_memory_and_refuse_what_would_not_fit(capsys, tmp_path):
    """10,000 -> 2,500 (25 million synapses): the estimate is stated before the run; a run
    whose recorded estimates alone would need hundreds of GB exits 2 with one line, before
    anything is built or written."""
    p = AlignmentParams(sizes="10000,2500", rules="rdd", duration=10 * second)
    parts = p.memory_parts()
    assert parts["recorded estimates"] == 2 * 8 * 12 * 25_000_000  # 12 snapshots, kept twice
    assert "recorded estimates 4.8 GB" in p.memory_statement()
    assert AlignmentParams().memory_statement() == ""  # 64 -> 32: nothing worth stating
    status, out, err = cli(capsys, "run", "rdd-alignment", "--set", "sizes=10000,2500",
                           "--duration", "2000s", "--out", tmp_path / "run")
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "recorded estimates" in err and "GB" in err
    assert not (tmp_path / "run").exists()
