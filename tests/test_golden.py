"""Golden runs (slow): every model's quick run on cpp gives the metrics, spikes, traces and
weights recorded before the reshaping of issue 17 (tests/golden/cpp-quick.json), bit for bit
with the NumPy they were recorded with; with another NumPy, spikes and weights bit for bit and
the rest as tests/golden.py says. One case per model is in the smoke selection (-m smoke)."""

import json
from pathlib import Path

import pytest

from golden import CASES, SMOKE, differences, run_case, same_numpy

STORED = json.loads((Path(__file__).parent / "golden" / "cpp-quick.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.smoke) if c in SMOKE else c
                                  for c in CASES])
def test_the_quick_run_gives_the_recorded_numbers(case, tmp_path, cache_dir):
    actual = run_case(case, tmp_path / "run")
    assert differences(STORED[case], actual, case.split()[0], same_numpy(STORED)) == []
