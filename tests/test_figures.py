"""`spikerules figures --quick` writes each figure's PNG and metrics.json."""

import json

import pytest

from conftest import spikerules


@pytest.mark.parametrize("name, key, bound, run", [
    ("balanced-learning", "coding_error_final", 0.1, "run"),
    ("predictive-dynamics", "tracking_error", 0.1, "run"),
    ("rdd-alignment", "64x32_rdd_angle_deg", 60, "run-sizes-64x32"),
    ("rdd-training", "rdd_angle_deg_final", 80, "run"),
    ("supervised-dynamics", "integrator_fast_weight_distance", 0.9, "run-integrator"),
    ("balanced-ei", "coding_error_e_initial", 0.6, "run"),
    ("erbp", "test_error_erbp", 0.8, "run-erbp"),  # chance: 0.9
    ("gradient-snn", "autoencode_nmse_final", 0.8, "run-gradient-xor"),  # initial: 1
])
def test_quick_figure(name, key, bound, run, tmp_path, cache_dir):
    proc = spikerules("figures", name, "--quick", "--out", tmp_path, cache=cache_dir)
    png = tmp_path / name / f"{name}.png"
    assert str(png) in proc.stdout
    assert png.stat().st_size > 30_000
    metrics = json.loads((tmp_path / name / "metrics.json").read_text())
    assert metrics[key] is not None and metrics[key] < bound
    assert (tmp_path / name / run / "params.json").exists()
