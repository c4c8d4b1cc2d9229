"""Every figure declares runs the models accept; `spikerules figures` makes them and draws.

Each figure's drawing is tested from a synthetic result in its model's test file; here the
declarations are checked against the models, and one cheap figure goes from runs to PNG.
"""

import json

import pytest

from conftest import spikerules
from figures import ALIASES, FIGURES
from spikerules.registry import load_figure, load_model
from spikerules.settings import make_params


@pytest.mark.parametrize("name", list(FIGURES))
def test_a_figure_declares_runs_the_models_accept(name):
    canonical, module = load_figure(name)
    assert canonical == name and module.DESCRIPTION and callable(module.draw)
    labels = [run.label for run in module.RUNS]
    assert len(set(labels)) == len(labels)
    for run in module.RUNS:
        model = load_model(run.model)
        for quick in (False, True):
            settings = dict(run.settings, **((run.quick or {}) if quick else run.full))
            make_params(model, settings=settings, quick=quick and run.quick is None)


def test_aliases_name_figures():
    assert ALIASES == {"balanced-learning": "balanced-coding"}
    assert load_figure("balanced-learning")[0] == "balanced-coding"


def test_a_quick_figure_runs_its_model_and_keeps_the_run(tmp_path, cache_dir):
    proc = spikerules("figures", "predictive-dynamics", "--quick", "--out", tmp_path,
                      cache=cache_dir)
    png = tmp_path / "predictive-dynamics" / "predictive-dynamics.png"
    assert str(png) in proc.stdout and png.stat().st_size > 30_000
    metrics = json.loads((png.parent / "metrics.json").read_text())
    assert metrics["tracking_error"] < 0.1
    params = json.loads((png.parent / "run" / "params.json").read_text())
    assert params["model"] == "predictive-dynamics" and params["duration"] == "2 second"


@pytest.mark.slow  # every model's quick runs
@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_is_redrawn_from_its_run_directories(name, tmp_path, cache_dir):
    """`figures NAME --quick` makes the runs; `figures NAME --from` draws the same figure and
    the same metrics from them without simulating."""
    spikerules("figures", name, "--quick", "--out", tmp_path / "made", cache=cache_dir)
    made = tmp_path / "made" / name
    proc = spikerules("figures", name, "--from", made, "--out", tmp_path / "redrawn")
    assert "compiled" not in proc.stdout and "reused" not in proc.stdout
    redrawn = tmp_path / "redrawn" / name
    assert (redrawn / f"{name}.png").stat().st_size > 30_000
    assert (json.loads((redrawn / "metrics.json").read_text())
            == json.loads((made / "metrics.json").read_text()))
