"""Golden runs (slow): every model's quick run on cpp gives the metrics, spikes, traces and
weights recorded before the reshaping of issue 17 (tests/golden/cpp-quick.json), bit for bit."""

import json
from pathlib import Path

import pytest

from golden import CASES, differences, run_case

STORED = json.loads((Path(__file__).parent / "golden" / "cpp-quick.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_the_quick_run_gives_the_recorded_numbers(case, tmp_path, cache_dir):
    assert differences(STORED[case], run_case(case, tmp_path / "run")) == []
