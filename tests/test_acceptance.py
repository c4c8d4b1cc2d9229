"""Paper-scale acceptance runs (marked slow: minutes to an hour; run with -m slow)."""

import json

import pytest

from conftest import spikerules


def _metrics(run):
    return json.loads((run / "metrics.json").read_text())


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
