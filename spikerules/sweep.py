"""``spikerules sweep``: one model over seeds and parameter values, in parallel processes.

Every point is an ordinary ``spikerules run`` in its own process, writing its own run
directory. Seeds, initial weights, inputs and ``(shared, constant)`` parameters reach a
compiled C++ project as ``run_args``, so points that differ only in those reuse one project:
the first point compiles it, and the others start from a copy of the compiled build slot (see
``models.common.device``), where make finds nothing to do. Each point's log says which it did.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from spikerules import UsageError
from spikerules.registry import load_model
from spikerules.settings import make_params

#: printed by models.common.device after each standalone build; the sweep reads it from point logs
BUILD_LINE = re.compile(r"^spikerules: (?P<project>\S+) \[(?P<target>\w+)\]: "
                        r"(?P<what>compiled|reused the compiled project)", re.M)


def parse_seeds(text):
    """'1-8', '1,3,5' or '1-4,9' -> [1, 2, ...] (each seed once, in order)."""
    seeds = []
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise UsageError(f"--seeds takes ranges like 1-8 or 1,3,5, got '{text}'")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            raise UsageError(f"--seeds range {part} runs backwards")
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    return seeds


def split_values(setting):
    """'NAME=V1,V2' -> (NAME, [V1, V2]); with '|' in the values, '|' separates them instead
    (for values that contain commas themselves: 'sizes=64,32|256,128')."""
    if "=" not in setting:
        raise UsageError(f"--set takes NAME=VALUE[,VALUE...], got '{setting}'")
    name, text = setting.split("=", 1)
    values = [v.strip() for v in text.split("|" if "|" in text else ",")]
    if any(v == "" for v in values):
        raise UsageError(f"--set {name}: empty value in '{text}'")
    return name.strip(), values


def sweep_points(model, settings, seeds):
    """All combinations: [(seed, {name: value text})], checked against the model's parameters."""
    record = load_model(model)
    axes = [split_values(s) for s in settings]
    names = [n for n, _ in axes]
    if len(set(names)) != len(names):
        raise UsageError("a parameter appears twice in --set")
    for name, values in axes:  # every value must parse (exit 2 before anything runs)
        for value in values:
            make_params(record, settings=[f"{name}={value}"])
    points = []
    for seed in seeds:
        for combo in itertools.product(*[values for _, values in axes]):
            points.append((seed, dict(zip(names, combo))))
    return points


def point_name(seed, values):
    parts = [f"seed{seed}"] + [f"{k}={v}" for k, v in values.items()]
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", "-".join(parts))


def _run_point(model, seed, values, out_dir, *, device, duration, quick):
    cmd = [sys.executable, "-m", "spikerules", "run", model, "--device", device,
           "--seed", str(seed), "--out", str(out_dir)]
    if duration is not None:
        cmd += ["--duration", str(duration)]
    if quick:
        cmd.append("--quick")
    for k, v in values.items():
        cmd += ["--set", f"{k}={v}"]
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    log = proc.stdout + proc.stderr
    (out_dir / "log.txt").write_text(log)
    builds = [(m["project"], m["what"]) for m in BUILD_LINE.finditer(log)]
    return dict(returncode=proc.returncode, wall_s=time.perf_counter() - t0, builds=builds,
                last_line=(log.strip().splitlines() or [""])[-1])


def run_sweep(model, *, settings=(), seeds=(1,), device="cpp", duration=None, quick=False,
              out=None, jobs=None, log=print):
    """Run every point; returns the summary rows (also written to OUT/summary.csv/.json)."""
    record = load_model(model)
    points = sweep_points(model, settings, seeds)
    out = Path(out or f"sweeps/{model}")
    out.mkdir(parents=True, exist_ok=True)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    log(f"sweep {model}: {len(points)} points on {device}, {jobs} in parallel -> {out}")
    results = [None] * len(points)

    def run(k):
        seed, values = points[k]
        res = _run_point(model, seed, values, out / point_name(seed, values), device=device,
                         duration=duration, quick=quick)
        results[k] = res
        built = ", ".join(f"{p}: {w}" for p, w in res["builds"]) or "no standalone project"
        status = "ok" if res["returncode"] == 0 else f"FAILED (exit {res['returncode']})"
        log(f"  [{k + 1}/{len(points)}] {point_name(seed, values)}: {status} in "
            f"{res['wall_s']:.1f} s; {built}")
        if res["returncode"] != 0:
            log(f"      {res['last_line']}")

    # the first point alone builds the projects every later point reuses
    run(0)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(run, range(1, len(points))))

    rows = []
    for (seed, values), res in zip(points, results):
        row = dict(point=point_name(seed, values), seed=seed, **values,
                   ok=res["returncode"] == 0, wall_s=round(res["wall_s"], 2),
                   compiled=sum(w == "compiled" for _, w in res["builds"]))
        metrics_file = out / row["point"] / "metrics.json"
        if row["ok"] and metrics_file.exists():
            metrics = json.loads(metrics_file.read_text())
            row.update({k: metrics[k] for k in record.summary if k in metrics})
        rows.append(row)
    _write_summary(rows, out)
    compiled = sum(r["compiled"] for r in rows)
    log(f"projects compiled: {compiled} (in {sum(r['compiled'] > 0 for r in rows)} of "
        f"{len(rows)} points); summary: {out / 'summary.csv'}")
    log(format_table(rows))
    return rows


def _write_summary(rows, out):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / "summary.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    (out / "summary.json").write_text(json.dumps(rows, indent=2))


def format_table(rows):
    keys = [k for k in dict.fromkeys(k for r in rows for k in r) if k != "point"]
    cells = [[_cell(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _cell(x):
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)
