"""``spikerules sweep``: one model over seeds and parameter values, as tasks on Dask.

Each point is a task of ``dask.distributed``: on a ``LocalCluster`` made for the sweep (one
single-threaded worker process per core) or on any running cluster (``--scheduler ADDRESS`` or
a scheduler file, as dask-jobqueue and ``dask scheduler --scheduler-file`` write).

A task runs an ordinary ``spikerules run`` in a child process of its worker
(:mod:`spikerules.sweep.task`) rather than the model in the worker itself:

- Brian2's device is global to a process and one standalone build per process is the safe
  rule; a fresh child per point keeps every worker clean however many points it runs;
- the child goes through the device layer's build cache (``models.common.device``): seeds,
  initial weights and ``(shared, constant)`` values are ``run_args``, so a point that differs
  from another only in those takes a slot of the project compiled on that node and recompiles
  nothing. The first builds of a project take turns under a file lock, so each project is
  compiled once per node. The child prints a line per project saying whether it compiled or
  reused it; the task reads those lines into the log and the summary;
- failures keep their kind: a child that exits with an error of its own is a failed point
  (its last line goes in the summary, its log under ``OUT/failed/``) and is not retried; a
  child killed by a signal raises, and Dask retries the task (``retries``); a worker that
  dies takes its child with it (``PR_SET_PDEATHSIG``) and the scheduler runs the point on
  another worker.

The standalone cache is node-local: on the local cluster it is this machine's
``$SPIKERULES_CACHE`` (shared with ``spikerules run``); on a cluster it is each worker's
``$SPIKERULES_CACHE``, else a directory beside the worker's Dask scratch space. Never the
sweep's output, which may be a shared file system: there each point's run directory is written
under ``OUT/.partial`` and renamed into place when complete. A point whose run directory is
complete is skipped when the sweep is started again (unless ``resume=False``), and
``summary.csv`` / ``summary.json`` are rewritten as points complete.
"""

from __future__ import annotations

import json
import numbers
import shutil
import uuid
from pathlib import Path

from spikerules import UsageError
from spikerules.registry import load_model
from spikerules.settings import make_params
from spikerules.sweep.grid import (grid_axes, parse_seeds, point_name, setting_axes,
                                   split_values, sweep_points)
from spikerules.sweep.report import Progress, Summary, format_table, point_line
from spikerules.sweep.task import BUILD_LINE, STAGING, blas_threads

__all__ = ["sweep", "run_sweep", "parse_seeds", "split_values", "setting_axes", "grid_axes",
           "sweep_points", "point_name", "format_table", "BUILD_LINE"]

#: Dask retries of a point whose child process was killed (a worker's death is retried by the
#: scheduler itself, up to distributed.scheduler.allowed-failures times)
RETRIES = 2


def sweep(model, grid=None, seeds=(1,), client=None, **options):
    """Run a sweep from Python; returns the summary as a list of dicts (one per point).

    ``grid`` maps parameter names to values (text with units or numbers):
    ``sweep("balanced-coding", {"eps_o": [1e-3, 2e-3]}, seeds=range(1, 9), duration="100s")``.
    ``client`` is a ``distributed.Client`` to run on (default: a local cluster). Other
    options as :func:`run_sweep` (``device``, ``duration``, ``quick``, ``out``, ``jobs``,
    ``resume``, ``log``).
    """
    seeds = [int(s) if isinstance(s, numbers.Integral) else s for s in seeds]
    if not seeds or not all(isinstance(s, numbers.Integral) and s >= 0 for s in seeds):
        raise UsageError(f"seeds must be non-negative whole numbers, got {seeds}")
    return run_sweep(model, axes=grid_axes(grid), seeds=seeds, client=client, **options)


def run_sweep(model, *, axes=(), seeds=(1,), device="cpp", duration=None, quick=False,
              out=None, jobs=None, scheduler=None, client=None, resume=True, log=print):
    """Run every point not yet complete in ``out``; returns the summary rows.

    Everything the user can get wrong (model, parameters, values, scheduler, output) is
    checked before any point runs, and raises :class:`spikerules.UsageError`.
    """
    record = load_model(model)
    points = sweep_points(model, axes, seeds)
    for seed, values in points:  # each point's whole record, as its run will read it
        make_params(record, settings=values, quick=quick, duration=duration, seed=seed,
                    device=device)
    out = Path(out or f"sweeps/{model}").resolve()
    settings = dict(model=model, device=device, duration=duration, quick=bool(quick))
    _check_earlier_sweep(out, settings, resume)
    gpus = _gpus_wanted(device, points, scheduler or client)
    cache = None if (scheduler or client) else _local_cache(out)
    threads = blas_threads()  # before a local cluster's nannies set them to 1 in this process
    from spikerules.sweep.cluster import check_gpu_workers, open_client

    with open_client(scheduler, client=client, jobs=jobs, gpus=gpus) as dask_client:
        if device == "cuda" and (scheduler or client) and gpus:
            check_gpu_workers(dask_client)
        out.mkdir(parents=True, exist_ok=True)
        (out / "sweep.json").write_text(json.dumps(settings, indent=2))
        summary = Summary(out, points, record.summary, point_name)
        todo = _points_to_run(points, out, summary, resume)
        log(f"sweep {model}: {len(points)} points on {device} ({len(points) - len(todo)} "
            f"complete already, skipped), {_describe(dask_client)} -> {out}")
        summary.write()
        specs = [dict(model=model, seed=seed, values=values, name=point_name(seed, values),
                      out=str(out), options=_run_options(device, duration, quick),
                      cache=cache, gpus=gpus if not (scheduler or client) else 0,
                      threads=threads)
                 for seed, values in todo]
        _run_points(dask_client, specs, summary, len(points), gpus, log)
    shutil.rmtree(out / STAGING, ignore_errors=True)
    rows = summary.table()
    _log_end(rows, out, log)
    return rows


def _run_points(client, specs, summary, total, gpus, log):
    """Submit every point, then record each as it completes (summary rewritten each time)."""
    from distributed import as_completed

    from spikerules.sweep.task import run_point

    resources = {"GPU": 1} if gpus else None
    futures = {client.submit(run_point, spec, key=f"spikerules-{spec['name']}-"
                             f"{uuid.uuid4().hex[:8]}", retries=RETRIES, pure=False,
                             resources=resources): spec for spec in specs}
    skipped = total - len(specs)
    progress = Progress(total, skipped=skipped)
    try:
        for k, future in enumerate(as_completed(futures, loop=client.loop), start=skipped + 1):
            row = summary.record(_outcome(future, futures[future]))
            summary.write()
            log(point_line(k, total, row))
            progress.update(failed=row["status"] == "failed")
    finally:
        progress.close()
        for future in futures:
            future.release()


def _outcome(future, spec):
    """The task's result, or a failed row carrying the first line of its exception (retries
    used up, or the point's workers kept dying: ``KilledWorker``)."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 (any task error is one failed point)
        reason = (str(exc).strip().splitlines() or [""])[0]
        return dict(name=spec["name"], status="failed", error=f"{type(exc).__name__}: {reason}")


def _points_to_run(points, out, summary, resume):
    """Points without a complete run directory in ``out`` (all of them if not resuming)."""
    todo = []
    for seed, values in points:
        name = point_name(seed, values)
        if resume and (out / name / "metrics.json").is_file():
            summary.skip(name)
        else:
            todo.append((seed, values))
    return todo


def _check_earlier_sweep(out, settings, resume):
    """Resuming into an output of a sweep with other settings would mix two sweeps."""
    try:
        earlier = json.loads((out / "sweep.json").read_text())
    except (OSError, ValueError):
        return
    if resume and earlier != settings:
        diff = ", ".join(f"{k} {earlier.get(k)!r}" for k in settings
                         if earlier.get(k) != settings[k])
        raise UsageError(f"{out} holds a sweep with other settings ({diff}); use another --out, "
                         f"the same settings, or --no-resume")


def _local_cache(out):
    """This machine's standalone cache, for the local cluster's points (never in ``out``)."""
    from models.common.device import cache_root

    cache = cache_root().resolve()
    if cache == out or out in cache.parents:
        raise UsageError(f"the standalone cache {cache} lies inside the sweep's output {out}; "
                         f"set SPIKERULES_CACHE to a directory of this machine")
    return str(cache)


def _gpus_wanted(device, points, external):
    """GPUs a local cuda sweep places its points on (1 stands for 'some' on a cluster), or 0."""
    if device != "cuda" or all(v.get("build_only") in ("1", "True", "true") for _, v in points):
        return 0
    if external:
        return 1
    from spikerules.sweep.cluster import local_gpus

    gpus = local_gpus()
    if not gpus:
        raise UsageError("--device cuda: no GPU found on this machine (nvidia-smi lists none); "
                         "use --set build_only=1 or --scheduler with GPU workers")
    return gpus


def _run_options(device, duration, quick):
    options = ["--device", device]
    if duration is not None:
        options += ["--duration", str(duration)]
    return options + (["--quick"] if quick else [])


def _describe(client):
    workers = client.scheduler_info().get("workers", {})
    hosts = {w.get("host") for w in workers.values()}
    return f"{len(workers)} workers on {len(hosts)} node{'s' if len(hosts) != 1 else ''}"


def _log_end(rows, out, log):
    ran = [r for r in rows if r["status"] in ("ok", "failed")]
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "failed", "skipped")}
    log(f"points: {counts['ok']} ok, {counts['failed']} failed, {counts['skipped']} skipped; "
        f"projects compiled {sum(r['compiled'] for r in ran)} times, reused "
        f"{sum(r['reused'] for r in ran)} times; summary: {out / 'summary.csv'}")
    log(format_table(rows))
