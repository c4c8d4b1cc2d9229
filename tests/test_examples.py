"""Every model script of examples/ runs at its quick setting.

In the default run the scripts run in this process on Brian2's runtime with NumPy code
(``SPIKERULES_TARGET=numpy``: nothing to compile, so nine scripts take seconds, not the
minutes of nine C++ builds); ``-m slow`` runs each as its own process on the C++ target it
names, as a user does.
"""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


def test_every_model_has_a_short_script():
    from spikerules.registry import MODEL_PACKAGES

    assert {p.stem.replace("_", "-") for p in EXAMPLES} == set(MODEL_PACKAGES)
    for path in EXAMPLES:
        lines = path.read_text().splitlines()
        assert len(lines) <= 75, f"{path.name}: {len(lines)} lines"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_script_runs_at_its_quick_setting(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKERULES_TARGET", "numpy")
    monkeypatch.setattr(sys, "argv", [str(path), "--quick"])
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    assert plt.get_fignums()  # it drew its figure
    plt.close("all")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_script_runs_as_a_program_on_its_own_target(path, tmp_path, cache_dir):
    env = dict(os.environ, MPLBACKEND="Agg", SPIKERULES_CACHE=cache_dir)
    env.pop("SPIKERULES_TARGET", None)
    proc = subprocess.run([sys.executable, str(path), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
