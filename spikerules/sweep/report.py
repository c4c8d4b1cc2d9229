"""What a sweep tells its user: the summary files, rewritten as points complete, and progress."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from pathlib import Path


class Summary:
    """One row per point, in the sweep's order: its values, status, node, builds and metrics.

    ``status`` is ``pending``, ``ok``, ``failed`` (with the point's ``error`` line) or
    ``skipped`` (complete in the output before this sweep started). ``compiled`` and
    ``reused`` count the point's standalone projects built and reused; ``builds`` names them.
    """

    def __init__(self, out, points, metric_names, point_name):
        self.out = Path(out)
        self.metric_names = list(metric_names)
        self.rows = {}
        for seed, values in points:
            name = point_name(seed, values)
            self.rows[name] = dict(point=name, seed=seed, **values, status="pending", node="",
                                   compiled=0, reused=0, builds="", wall_s=None, error="")

    def skip(self, name):
        self.rows[name].update(status="skipped", **self._metrics(name))

    def record(self, result):
        """Enter what :func:`spikerules.sweep.task.run_point` returned (or its failure)."""
        row = self.rows[result["name"]]
        builds = result.get("builds", [])
        row.update(status=result["status"], node=result.get("node", ""),
                   compiled=sum(what == "compiled" for _, what in builds),
                   reused=sum(what == "reused" for _, what in builds),
                   builds="; ".join(f"{project} {what}" for project, what in builds),
                   wall_s=round(result.get("wall_s", 0.0), 2), error=result.get("error", ""))
        if row["status"] == "ok":
            row.update(self._metrics(row["point"]))
        return row

    def _metrics(self, name):
        try:
            metrics = json.loads((self.out / name / "metrics.json").read_text())
        except (OSError, ValueError):
            return {}
        return {k: metrics[k] for k in self.metric_names if k in metrics}

    def table(self):
        return [dict(row) for row in self.rows.values()]

    def write(self):
        """Rewrite ``summary.csv`` and ``summary.json`` (each renamed into place)."""
        rows = self.table()
        keys = list(dict.fromkeys(k for r in rows for k in r))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=keys, restval="")
        writer.writeheader()
        writer.writerows(rows)
        _replace(self.out / "summary.csv", text.getvalue())
        _replace(self.out / "summary.json", json.dumps(rows, indent=2))


def _replace(path, text):
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def point_line(k, total, row):
    """``[3/8] seed3-eps_f=0.01: ok in 5.2 s on node7; balanced-coding-learn reused, ...``."""
    what = row["builds"].replace("; ", ", ") or "no standalone project"
    head = f"  [{k}/{total}] {row['point']}: {row['status']}"
    if row["status"] == "failed":
        return f"{head} on {row['node'] or '?'}: {row['error']}"
    return f"{head} in {row['wall_s']:.1f} s on {row['node']}; {what}"


class Progress:
    """Points done and failed with the time left, on stderr: a tqdm bar on a terminal, else
    one plain line per finished point."""

    def __init__(self, total, skipped=0, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.skipped = total, skipped
        self.done = self.failed = 0
        self.t0 = time.perf_counter()
        self.bar = None
        if self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=skipped, unit="point", file=self.stream,
                            desc="sweep")

    def update(self, failed=False):
        self.done += 1
        self.failed += bool(failed)
        if self.bar is not None:
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)
        else:
            print(self.line(), file=self.stream, flush=True)

    def line(self):
        elapsed = time.perf_counter() - self.t0
        remaining = self.total - self.skipped - self.done
        left = elapsed / self.done * remaining if self.done else float("nan")
        return (f"sweep: {self.skipped + self.done}/{self.total} points done "
                f"({self.failed} failed, {self.skipped} skipped), {elapsed:.0f} s elapsed, "
                f"about {left:.0f} s left")

    def close(self):
        if self.bar is not None:
            self.bar.close()


def format_table(rows, skip=("point", "builds", "error", "node")):
    """The summary as aligned text columns (the last thing ``spikerules sweep`` prints)."""
    keys = [k for k in dict.fromkeys(k for r in rows for k in r) if k not in skip]
    cells = [[_cell(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _cell(x):
    if isinstance(x, float):
        return f"{x:.4g}"
    return "" if x is None else str(x)
