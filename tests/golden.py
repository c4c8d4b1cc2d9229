"""Golden runs: the same seed must give the same numbers, spikes and weights.

A digest of a run directory keeps every metric that is not a timing (exact floats) and, for
every array of spikes.npz, traces.npz and weights.npz, its dtype, shape and SHA-256. Refactors
that must keep the science identical compare digests taken before and after::

    python tests/golden.py record tests/golden/cpp-quick.json     # runs every case (cpp)
    python tests/golden.py compare tests/golden/cpp-quick.json    # runs again and compares
    python tests/golden.py record-new tests/golden/cpp-quick.json # records new cases only

``tests/test_golden.py`` (marked slow) runs the comparison against the committed digests; one
case per model is also in the smoke selection (``-m smoke``).

The digests were recorded with the NumPy and the BLAS kernel named under ``_recorded_with``.
With both, every case must be identical, bit for bit (Python 3.11 with brian2 2.9.0, and Python
3.12 with brian2 2.10.1 given the same NumPy). Otherwise (:func:`differences` with ``same_numpy``
or ``same_blas`` False) spikes must still be identical, metrics equal to ``METRIC_RTOL``, the
traces that NumPy's linear algebra computes (``LINALG``) are left out, and of a network that
NumPy trains (``NUMPY_TRAINED``) only Brian2's re-simulation of the NumPy readout is checked:

- another NumPy build brings another BLAS/LAPACK (numpy 2.5.5 bundles OpenBLAS 0.3.34, 2.3.5
  bundled 0.3.30), and what NumPy's linear algebra computes moves in the last bits; with the
  same BLAS kernel the weights must still be identical;
- another CPU can make OpenBLAS pick another kernel (``Haswell`` on AVX2, ``SkylakeX`` or
  ``Cooperlake`` on AVX-512), whose dot product rounds differently. ``np.convolve``, which
  smooths the models' input signals, calls it, so the inputs, and with them the learned
  weights, move in the last bits (the spikes stayed the same, except in the networks NumPy
  trains, which have their own comparison); the weights and the other traces are then left
  out too. The committed digests were recorded on an AVX-512 machine before the kernel was
  named; recorded again on an AVX-512 Xeon whose OpenBLAS picked ``SkylakeX``, all 19 cases
  were identical, bit for bit, so that kernel is now named with them (on ``Haswell``, an AVX2
  machine, all 19 pass the comparison without weights). For a refactor, record the digests
  of the commit before on the machine at hand and compare with those.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

#: the runs compared: spikerules run arguments (cpp, quick settings, a few variants)
#: models with Gaussian noise run with Brian2's generator (rng=brian2: the numbers recorded
#: before models.common.noise) and with the fast one (the default since)
CASES = (
    "balanced-coding --quick --set rng=brian2",
    "balanced-coding --quick --set learn=0 --set rng=brian2",
    "balanced-coding --quick --seed 2 --set rng=brian2",
    "balanced-coding --quick",
    "balanced-coding --quick --seed 2",
    "balanced-ei --quick --set rng=brian2",
    "balanced-ei --quick",
    "erbp --quick",
    "gradient-autoencode --quick",
    "gradient-xor --quick",
    "predictive-dynamics --set rng=brian2",
    "predictive-dynamics --quick --set system=differentiator --set rng=brian2",
    "predictive-dynamics",
    "rdd-alignment --quick",
    "rdd-alignment --quick --set network=ahmad",
    "rdd-training --quick",
    "supervised-dynamics --quick --set rng=brian2",
    "supervised-dynamics --quick",
    "supervised-dynamics --quick --set system=integrator",
)

#: one case per model: its quick run (predictive-dynamics has no --quick settings of its own)
SMOKE = (
    "balanced-coding --quick",
    "balanced-ei --quick",
    "erbp --quick",
    "gradient-autoencode --quick",
    "gradient-xor --quick",
    "predictive-dynamics",
    "rdd-alignment --quick",
    "rdd-training --quick",
    "supervised-dynamics --quick",
)

#: traces that NumPy's linear algebra (its bundled BLAS/LAPACK) computes from the spikes and
#: weights of a run: least-squares decoders and their readouts (balanced-coding), input currents
#: as matrix products (balanced-ei), correlations of the estimates (rdd-alignment). Another NumPy
#: build moves them in the last bits (numpy 2.3.5 -> 2.5.5: the metrics by at most 1e-14)
LINALG = re.compile(r"^traces/(coding_error|decoder_|xhat_|balance_correlation|"
                    r"(excitatory|inhibitory)_mean|\w+_pearson_r$)")

#: models whose network NumPy trains (Adam on the exact gradient) before Brian2 re-simulates it:
#: over the training steps last-bit differences grow into another trained network (other
#: spikes, losses), so with another NumPy only the metric named here is checked: Brian2's
#: re-simulation against the NumPy readout, relative (at most 1e-9)
NUMPY_TRAINED = {"gradient-autoencode": "brian2_readout_rel_diff",
                 "gradient-xor": "brian2_readout_rel_diff"}

#: metrics (floats) agree to this with another NumPy
METRIC_RTOL = 1e-9

#: the key of the golden file that names what its digests were recorded with
RECORDED_WITH = "_recorded_with"

#: metrics that are wall times or build facts, not results
TIMING = re.compile(r"(^|_)(build_s|compiled|loop_s|run_s|wall_s|learn_s|train_s|"
                    r"train_s_per_iteration|spiking_s|peak_memory_mb|simulated_s|cpu_s)$")


def digest(rundir):
    """{'metrics': {...}, 'arrays': {file/key: [dtype, shape, sha256]}} of a run directory."""
    rundir = Path(rundir)
    metrics = json.loads((rundir / "metrics.json").read_text())
    arrays = {}
    for stem in ("spikes", "traces", "weights"):
        path = rundir / f"{stem}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                for key in sorted(data.files):
                    a = np.ascontiguousarray(data[key])
                    arrays[f"{stem}/{key}"] = [str(a.dtype), list(a.shape),
                                               hashlib.sha256(a.tobytes()).hexdigest()]
    return {"metrics": {k: v for k, v in sorted(metrics.items()) if not TIMING.search(k)},
            "arrays": arrays}


def run_case(case, out):
    """Run one case with the installed command line; returns its digest."""
    cmd = [sys.executable, "-m", "spikerules", "run", *shlex.split(case), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{proc.stdout}\n{proc.stderr}")
    return digest(out)


def blas():
    """NumPy's BLAS and the kernel it picked for this CPU, e.g. ``openblas Haswell``."""
    from threadpoolctl import threadpool_info

    for library in threadpool_info():
        if library.get("user_api") == "blas":
            return f"{library['internal_api']} {library.get('architecture')}"
    return "unknown"


def environment():
    """What a digest depends on besides the code: Python, Brian2, NumPy and its BLAS kernel."""
    import brian2

    return {"python": ".".join(map(str, sys.version_info[:3])), "brian2": brian2.__version__,
            "numpy": np.__version__, "blas": blas()}


def same_numpy(stored):
    """True when this NumPy is the one the stored digests were recorded with."""
    return stored.get(RECORDED_WITH, {}).get("numpy") == np.__version__


def same_blas(stored):
    """True when NumPy's BLAS picked the kernel of the recording (see the module docstring)."""
    return stored.get(RECORDED_WITH, {}).get("blas") == blas()


def _close(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= METRIC_RTOL * max(abs(a), abs(b)) or (a != a and b != b)
    return a == b


def differences(expected, actual, model=None, same_numpy=True, same_blas=True):
    """Lines naming every metric and array that differ (empty when identical).

    With ``same_numpy`` or ``same_blas`` False (another NumPy or BLAS kernel than the
    recording's; ``model``, the case's first word, needed): see the module docstring."""
    lines = []
    exact = same_numpy and same_blas
    if not exact and model in NUMPY_TRAINED:
        key = NUMPY_TRAINED[model]
        for part in ("metrics", "arrays"):
            if set(expected[part]) != set(actual[part]):
                lines.append(f"{part}: {sorted(expected[part])} -> {sorted(actual[part])}")
        value = actual["metrics"].get(key)
        if not (isinstance(value, float) and value <= METRIC_RTOL):
            lines.append(f"metrics {key}: {value} (above {METRIC_RTOL})")
        return lines
    for part in ("metrics", "arrays"):
        a, b = expected[part], actual[part]
        for key in sorted(set(a) | set(b)):
            if exact:
                differ = a.get(key) != b.get(key)
            elif part == "metrics":
                differ = key not in a or key not in b or not _close(a[key], b[key])
            else:
                compared = not LINALG.search(key) and (same_blas or key.startswith("spikes/"))
                differ = key not in a or key not in b or a[key] != b[key] and compared
            if differ:
                lines.append(f"{part} {key}: {a.get(key)} -> {b.get(key)}")
    return lines


def main(argv):
    if len(argv) < 2 or argv[0] not in ("record", "record-new", "compare"):
        print(__doc__)
        return 2
    command, path, only = argv[0], Path(argv[1]), argv[2:]
    cases = [c for c in CASES if not only or c.split()[0] in only]
    stored = json.loads(path.read_text()) if path.exists() else {}
    if command == "record-new":
        cases, command = [c for c in cases if c not in stored], "record"
    results, failed = {}, 0
    numerics = dict(same_numpy=same_numpy(stored), same_blas=same_blas(stored))
    if command == "compare" and not all(numerics.values()):
        recorded = stored.get(RECORDED_WITH, {})
        kept = "spikes and weights" if numerics["same_blas"] else "spikes"
        print(f"numpy {np.__version__} with {blas()} here, {recorded.get('numpy')} with "
              f"{recorded.get('blas')} recorded: {kept} compared bit for bit, metrics to "
              f"{METRIC_RTOL:g}, NumPy's linear algebra left out (see the module docstring)",
              flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for k, case in enumerate(cases):
            if command == "compare" and case not in stored:
                print(f"not recorded: {case}", flush=True)
                failed += 1
                continue
            results[case] = run_case(case, Path(tmp) / f"case{k}")
            if command == "compare":
                diff = differences(stored[case], results[case], case.split()[0], **numerics)
                failed += bool(diff)
                print(f"{'DIFFERENT' if diff else 'identical'}: {case}", flush=True)
                for line in diff[:20]:
                    print("   ", line)
            else:
                print(f"recorded: {case}", flush=True)
    if command == "record":
        old = dict(stored)
        old.update(results)
        if set(results) == set(CASES):  # all recorded anew: with this Python, Brian2, NumPy
            old[RECORDED_WITH] = environment()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
