"""Golden runs: the same seed must give the same numbers, spikes and weights.

A digest of a run directory keeps every metric that is not a timing (exact floats) and, for
every array of spikes.npz, traces.npz and weights.npz, its dtype, shape and SHA-256. Refactors
that must keep the science identical compare digests taken before and after::

    python tests/golden.py record tests/golden/cpp-quick.json     # runs every case (cpp)
    python tests/golden.py compare tests/golden/cpp-quick.json    # runs again and compares
    python tests/golden.py record-new tests/golden/cpp-quick.json # records new cases only

``tests/test_golden.py`` (marked slow) runs the comparison against the committed digests.
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


def differences(expected, actual):
    """Lines naming every metric and array that differ (empty when identical)."""
    lines = []
    for part in ("metrics", "arrays"):
        a, b = expected[part], actual[part]
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
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
    with tempfile.TemporaryDirectory() as tmp:
        for k, case in enumerate(cases):
            if command == "compare" and case not in stored:
                print(f"not recorded: {case}", flush=True)
                failed += 1
                continue
            results[case] = run_case(case, Path(tmp) / f"case{k}")
            if command == "compare":
                diff = differences(stored[case], results[case])
                failed += bool(diff)
                print(f"{'DIFFERENT' if diff else 'identical'}: {case}", flush=True)
                for line in diff[:20]:
                    print("   ", line)
            else:
                print(f"recorded: {case}", flush=True)
    if command == "record":
        old = dict(stored)
        old.update(results)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
