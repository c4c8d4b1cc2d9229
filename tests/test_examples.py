"""Every model script of examples/ runs at its quick setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


def test_every_model_has_a_script():
    from spikerules.registry import MODEL_PACKAGES

    assert {p.stem.replace("_", "-") for p in EXAMPLES} == set(MODEL_PACKAGES)
    for path in EXAMPLES:
        lines = path.read_text().splitlines()
        assert len(lines) <= 75, f"{path.name}: {len(lines)} lines"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_script_runs_at_its_quick_setting(path, tmp_path, cache_dir):
    env = dict(os.environ, MPLBACKEND="Agg", SPIKERULES_CACHE=cache_dir)
    proc = subprocess.run([sys.executable, str(path), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
