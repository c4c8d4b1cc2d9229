"""`spikerules figures --quick` writes each figure's PNG and metrics.json."""

import json

import pytest

from conftest import spikerules


@pytest.mark.parametrize("name, key", [("balanced-learning", "coding_error_final"),
                                       ("predictive-dynamics", "tracking_error")])
def test_quick_figure(name, key, tmp_path, cache_dir):
    proc = spikerules("figures", name, "--quick", "--out", tmp_path, cache=cache_dir)
    png = tmp_path / name / f"{name}.png"
    assert str(png) in proc.stdout
    assert png.stat().st_size > 30_000
    metrics = json.loads((tmp_path / name / "metrics.json").read_text())
    assert metrics[key] is not None and metrics[key] < 0.1
    assert (tmp_path / name / "run" / "spikes.npz").exists()
