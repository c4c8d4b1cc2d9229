"""Paper-scale acceptance runs (marked slow: minutes to an hour; run with -m slow)."""

import json

import pytest

from conftest import spikerules


def _metrics(run):
    return json.loads((run / "metrics.json").read_text())


@pytest.mark.slow
def test_balanced_coding_500s_reaches_the_paper_numbers(tmp_path, cache_dir):
    """Issue 2: coding error <= 0.007 (from ~0.1), ErrC <= 0.02 (from ~1), rate down >= 40 %."""
    spikerules("run", "balanced-coding", "--duration", "500s", "--seed", "1", "--out",
               tmp_path / "run", cache=cache_dir)
    m = _metrics(tmp_path / "run")
    assert 0.05 < m["coding_error_initial"] < 0.2
    assert m["coding_error_final"] <= 0.007
    assert m["weight_distance_initial"] > 0.8
    assert m["weight_distance_final"] <= 0.02
    assert m["rate_final_hz"] <= 0.6 * m["rate_initial_hz"]
    assert m["max_spikes_per_step"] == 1
    assert m["cv_isi_median"] > 0


@pytest.mark.slow
def test_balanced_coding_paper_length(tmp_path, cache_dir):
    """The full 14,000 s of the paper runs and keeps what 500 s reached."""
    spikerules("run", "balanced-coding", "--duration", "14000s", "--seed", "1", "--out",
               tmp_path / "run", cache=cache_dir, timeout=7200)
    m = _metrics(tmp_path / "run")
    assert m["coding_error_final"] <= 0.007
    assert m["weight_distance_final"] <= 0.02


def _alignment(tmp_path, *args):
    spikerules("run", "rdd-alignment", "--seed", "1", *args, "--out", tmp_path / "run")
    return _metrics(tmp_path / "run")


@pytest.mark.slow
def test_rdd_alignment_64_32(tmp_path, cache_dir):
    """Issue 3: angle <= 27 deg after 60 s (the authors' code: 27.5 deg / 0.92)."""
    m = _alignment(tmp_path, "--set", "sizes=64,32", "--duration", "60s")
    assert m["rdd_angle_deg"] <= 27
    assert abs(m["fa_angle_deg"] - 90) < 5


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="seed 1 reaches 0.913 (seeds 2, 3: 0.927, 0.924); "
                   "the authors' code reached 0.92")
def test_rdd_sign_agreement_64_32(tmp_path, cache_dir):
    m = _alignment(tmp_path, "--set", "sizes=64,32", "--duration", "60s")
    assert m["rdd_sign_agreement"] >= 0.92


@pytest.mark.slow
def test_rdd_alignment_256_128(tmp_path, cache_dir):
    m = _alignment(tmp_path, "--set", "sizes=256,128", "--duration", "60s")
    assert m["rdd_angle_deg"] <= 36


@pytest.mark.slow
def test_weight_inference_on_ahmads_network(tmp_path, cache_dir):
    m = _alignment(tmp_path, "--set", "network=ahmad", "--duration", "200s")
    assert m["stdwi_pearson_r"] >= 0.95
    assert m["mirror_pearson_r"] >= 0.95
    assert m["rdd_pearson_r"] >= 0.75
    assert abs(m["fa_pearson_r"]) < 0.1


@pytest.mark.slow
def test_rdd_training_orders_bp_rdd_fa(tmp_path, cache_dir):
    """Issue 3: BP <= RDD < FA in test error (3 seeds); RDD feedback below 45 deg."""
    spikerules("run", "rdd-training", "--out", tmp_path / "run", cache=cache_dir)
    m = _metrics(tmp_path / "run")
    assert m["test_error_bp"] <= m["test_error_rdd"] < m["test_error_fa"]
    assert m["rdd_angle_deg_hidden1"] < 45 and m["rdd_angle_deg_hidden2"] < 45
    assert m["fa_angle_deg_hidden1"] > 70


@pytest.mark.slow
@pytest.mark.parametrize("system", ["oscillator", "integrator"])
def test_supervised_dynamics_learns_the_system(system, tmp_path, cache_dir):
    """Issue 4: after the default 600 s, K = 0 reproduces the system; weights near targets."""
    spikerules("run", "supervised-dynamics", "--seed", "1", "--set", f"system={system}",
               "--out", tmp_path / "run", cache=cache_dir)
    m = _metrics(tmp_path / "run")
    assert m["autonomous_error"] <= 0.1 < m["autonomous_error_initial"]
    assert m["fast_weight_distance_initial"] > 0.9 and m["fast_weight_distance"] <= 0.1
    assert m["slow_weight_distance_initial"] == 1.0 and m["slow_weight_distance"] <= 0.2
    # no ping-pong: no neuron above 100 Hz, in the tests or anywhere in learning
    assert m["rate_max_hz"] < 100 and m["rate_max_learning_hz"] < 100
    assert m["balance_correlation_median"] > 0.9


@pytest.mark.slow
def test_balanced_ei_800s(tmp_path, cache_dir):
    """Issue 5: errors below 0.05 (from ~0.4), E rate below 10 Hz, CV > 0.7, Fano > 0.5."""
    spikerules("run", "balanced-ei", "--duration", "800s", "--seed", "1", "--out",
               tmp_path / "run", cache=cache_dir, timeout=7200)
    m = _metrics(tmp_path / "run")
    assert m["coding_error_e_initial"] > 0.3
    assert m["coding_error_e_final"] < 0.05 and m["coding_error_i_final"] < 0.05
    assert m["rate_e_final_hz"] < 10
    assert m["cv_isi_median"] > 0.7 and m["fano_median"] > 0.5
    assert m["balance_correlation_median"] > 0.8


@pytest.mark.slow
def test_erbp_learns_digits(tmp_path, cache_dir):
    """Issue 7: 64-100-10 on digits, default epochs: test error <= 8 % and within 3 points of
    the NumPy feedback-alignment network of the same size."""
    spikerules("run", "erbp", "--seed", "1", "--out", tmp_path / "run", cache=cache_dir)
    m = _metrics(tmp_path / "run")
    assert m["test_error_initial"] > 0.7  # chance is 0.9
    assert m["test_error_erbp"] <= 0.08
    assert m["test_error_erbp"] <= m["test_error_fa"] + 0.03
    assert m["test_error_bp"] <= m["test_error_fa"] + 0.01


@pytest.mark.slow
def test_gradient_autoencode(tmp_path, cache_dir):
    """Issue 8: the auto-encoder's NMSE falls at least 10x from initialisation, and the
    Brian2 (C++) re-simulation gives the NumPy readout."""
    spikerules("run", "gradient-autoencode", "--seed", "1", "--out", tmp_path / "run",
               cache=cache_dir)
    m = _metrics(tmp_path / "run")
    assert m["nmse_initial"] / m["nmse_final"] >= 10
    assert m["brian2_readout_max_diff"] < 1e-9 and m["brian2_spikes_identical"]


@pytest.mark.slow
def test_gradient_xor(tmp_path, cache_dir):
    """Issue 8: delayed-memory XOR, at least 95 % correct in each condition (100 test trials
    each), and the Brian2 (C++) re-simulation gives the NumPy readout and decisions."""
    spikerules("run", "gradient-xor", "--seed", "1", "--out", tmp_path / "run", cache=cache_dir)
    m = _metrics(tmp_path / "run")
    assert m["accuracy_min"] >= 0.95
    assert m["brian2_readout_max_diff"] < 1e-9 and m["brian2_same_decisions"]
