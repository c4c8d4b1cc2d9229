"""``spikerules figures``: make the runs a figure needs (or read them), then draw it.

Each figure writes ``OUT/NAME/NAME.png``, ``OUT/NAME/metrics.json`` (the metrics of its runs,
each with its run's prefix) and, when it ran them, the run directories ``OUT/NAME/run*/``.
With ``--from`` the runs are read from run directories (or from directories holding them,
such as an earlier ``OUT/NAME``) and nothing is simulated.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from analysis.io import DataError, RunResult, write_json
from spikerules import UsageError
from spikerules.registry import load_figure, load_model
from spikerules.runs import execute
from spikerules.settings import make_params


def make(name, *, out_dir, quick=False, device="cpp", seed=1, sources=None, log=print):
    """Draw figure ``name``; returns the paths written (PNG, metrics.json)."""
    canonical, module = load_figure(name)
    out = Path(out_dir) / canonical
    if sources:
        results = read_runs(canonical, module.RUNS, sources)
    else:
        results = {}
        for run in module.RUNS:
            model = load_model(run.model)
            preset = quick and run.quick is None
            settings = dict(run.settings, **((run.quick or {}) if quick else run.full))
            params = make_params(model, settings=settings, quick=preset, seed=seed,
                                 device=run.device or device)
            t0 = time.perf_counter()
            results[run.label] = execute(model, params, out / run.directory)
            log(f"{canonical}: {run.model} {' '.join(f'{k}={v}' for k, v in settings.items())}"
                f" ({time.perf_counter() - t0:.1f} s) -> {out / run.directory}")
    first = results[module.RUNS[0].label].params
    title = (f"{module.RUNS[0].model}, seed {first.get('seed')} ({first.get('device')}"
             f"{', quick' if quick and not sources else ''})")
    png = save_figure(module.draw(results, title=title), out / f"{canonical}.png")
    metrics = {}
    for run in module.RUNS:
        metrics.update({f"{run.prefix}{k}": v for k, v in results[run.label].metrics.items()})
    write_json(out / "metrics.json", metrics)
    return [png, out / "metrics.json"]


def save_figure(fig, out, dpi=110):
    """Save as PNG under a temporary name, rename when complete, close; returns the path."""
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.png")
    fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, out)
    return out


def run_directories(sources):
    """Run directories named by ``sources``: each a run directory or a directory of them."""
    found = []
    for source in map(Path, sources):
        if (source / "params.json").exists():
            found.append(source)
        elif source.is_dir():
            inner = sorted(p for p in source.iterdir() if (p / "params.json").exists())
            if not inner:
                raise DataError(f"{source} holds no run directory (no params.json in it or "
                                "in its subdirectories)")
            found += inner
        else:
            raise DataError(f"{source} is not a run directory (no params.json)")
    return found


def read_runs(figure, runs, sources):
    """{label: RunResult}: for each run of the figure, a run directory that matches it."""
    available = [(path, RunResult.read(path)) for path in run_directories(sources)]
    chosen = {}
    # the most specific runs choose first, so a run with no settings takes what is left
    for run in sorted(runs, key=lambda r: -len(r.settings)):
        model = load_model(run.model)
        for k, (path, result) in enumerate(available):
            if (result.model == run.model and _matches(model, run.settings, result, path)
                    and run.device in (None, result.params.get("device"))):
                chosen[run.label] = result
                del available[k]
                break
        else:
            wanted = " ".join(f"{k}={v}" for k, v in run.settings.items())
            raise UsageError(f"figure {figure} needs a run of {run.model}"
                             + (f" with {wanted}" if wanted else "")
                             + "; none of the given run directories is one")
    return chosen


def _matches(model, settings, result, path):
    try:
        params = model.params.from_json(result.params)
    except ValueError as exc:
        raise DataError(f"{path}/params.json: {exc}") from None
    for name, text in settings.items():
        spec = model.params.spec(name)  # (an alias gives the parameter's own name)
        value = spec.parse(text)
        try:
            same = bool(getattr(params, spec.name) == value)
        except Exception:  # quantities of other dimensions
            same = False
        if not same:
            return False
    return True
