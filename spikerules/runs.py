"""One model run, from a parameter record to a run directory on disk."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def execute(model, params, out=None, *, command=None):
    """Run ``model`` with ``params``; write the run directory ``out`` (if given).

    The memory the run will need is estimated before anything is built. Returns the
    RunResult, with the wall time of the whole run as ``wall_s`` and the peak resident memory
    of the process and its children (the simulation, the compiler) as ``peak_memory_mb``.
    """
    import brian2

    from models.common.device import peak_memory_mb

    params.check_resources()
    statement = params.memory_statement()
    if statement:
        print(f"spikerules: {model.name}: {statement}", flush=True)
    t0 = time.perf_counter()
    result = model.run(params)
    result.metrics["wall_s"] = time.perf_counter() - t0
    result.metrics["peak_memory_mb"] = peak_memory_mb()
    if out is not None:
        extra = {"brian2_version": brian2.__version__}
        if command is not None:
            extra["command"] = command
        result.write(Path(out), extra_params=extra)
    return result


def default_out(model_name, seed):
    return Path(f"runs/{model_name}-seed{seed}")


def summary_line(model, params, result, out):
    """``model [device, seed N, W s]: metric value, ... -> OUT``."""
    keys = [k for k in model.summary if k in result.metrics]
    keys = keys or [k for k in result.metrics if k.endswith("build_s")]  # build_only runs
    parts = [f"{k} {_fmt(result.metrics[k])}" for k in keys]
    where = f" -> {out}" if out is not None else ""
    return (f"{model.name} [{params.device}, seed {params.seed}, "
            f"{result.metrics['wall_s']:.1f} s]: " + ", ".join(parts) + where)


def _fmt(x):
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def command_text():
    return " ".join(sys.argv[1:])
