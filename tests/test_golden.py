"""Golden runs (slow): every model's quick run on cpp gives the metrics, spikes, traces and
weights recorded before the reshaping of issue 17 (tests/golden/cpp-quick.json), bit for bit
with the NumPy and BLAS kernel they were recorded with; with another, spikes bit for bit and
the rest as tests/golden.py says. One case per model is in the smoke selection (-m smoke)."""

import json
from pathlib import Path

import pytest

from golden import CASES, SMOKE, differences, run_case, same_blas, same_numpy

STORED = json.loads((Path(__file__).parent / "golden" / "cpp-quick.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.smoke) if c in SMOKE else c
                                  for c in CASES])
def test_the_quick_run_gives_the_recorded_numbers(case, tmp_path, cache_dir):
    actual = run_case(case, tmp_path / "run")
    assert differences(STORED[case], actual, case.split()[0], same_numpy=same_numpy(STORED),
                       same_blas=same_blas(STORED)) == []


def test_another_blas_kernel_leaves_out_the_weights_but_never_the_spikes():
    """Another CPU (another OpenBLAS kernel) moves the inputs, hence the weights, in the last
    bits: they are left out, metrics compared to METRIC_RTOL, spikes still bit for bit."""
    expected = {"metrics": {"error": 0.5}, "arrays": {"spikes/i": ["int32", [3], "a"],
                                                      "weights/w": ["float64", [3], "b"]}}
    moved = {"metrics": {"error": 0.5 + 1e-15}, "arrays": {"spikes/i": ["int32", [3], "a"],
                                                           "weights/w": ["float64", [3], "c"]}}
    assert differences(expected, moved, "balanced-coding", same_blas=False) == []
    assert len(differences(expected, moved, "balanced-coding", same_numpy=False)) == 1  # w
    assert len(differences(expected, moved, "balanced-coding")) == 2
    other_spikes = {"metrics": moved["metrics"], "arrays": dict(moved["arrays"],
                                                                **{"spikes/i": ["int32", [3], "d"]})}
    assert len(differences(expected, other_spikes, "balanced-coding", same_blas=False)) == 1
