"""Where a sweep's points run: a Dask cluster, made here or attached to by address."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

from spikerules import UsageError

#: seconds to wait for an existing scheduler before saying it cannot be reached
CONNECT_TIMEOUT = 5


@contextlib.contextmanager
def open_client(scheduler=None, *, client=None, jobs=None, gpus=0):
    """A ``distributed.Client`` for the sweep; closes what it opened.

    ``client`` is used as it is; ``scheduler`` (``tcp://host:8786`` or a scheduler file) is
    attached to; otherwise a ``LocalCluster`` on this machine with one single-threaded worker
    process per core (``jobs`` of them if given; with ``gpus``, one per GPU holding a ``GPU``
    resource), since Brian2's device is global to a process.
    """
    if client is not None:
        yield client
        return
    if scheduler:
        attached = attach(scheduler)
        try:
            yield attached
        finally:
            attached.close()
        return
    from distributed import Client, LocalCluster

    workers = gpus or jobs or len(os.sched_getaffinity(0)) or 1  # the cores this process may use
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
                      resources={"GPU": 1} if gpus else None) as cluster:
        with Client(cluster, set_as_default=False) as local:
            yield local


def attach(scheduler, timeout=None):
    """Client of a running scheduler; UsageError (one line) when it cannot be reached within
    ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`)."""
    from distributed import Client

    kwargs = {"address": scheduler}
    if scheduler.endswith(".json") or Path(scheduler).is_file():
        kwargs = {"scheduler_file": _scheduler_file(scheduler)}
    try:
        return Client(**kwargs, timeout=timeout or CONNECT_TIMEOUT,
                      set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {reason}") from None


def _scheduler_file(path):
    """A scheduler file's path, once it is known to hold an address."""
    try:
        address = json.loads(Path(path).read_text())["address"]
    except OSError as exc:
        raise UsageError(f"--scheduler {path}: cannot read the scheduler file "
                         f"({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"--scheduler {path} is not a Dask scheduler file (JSON with an "
                         f"'address')") from None
    if not isinstance(address, str):
        raise UsageError(f"--scheduler {path} is not a Dask scheduler file")
    return str(path)


def check_gpu_workers(client):
    """A cuda sweep needs workers holding a ``GPU`` resource (none yet is fine: they may be
    queued jobs that start later)."""
    workers = client.scheduler_info().get("workers", {})
    if workers and not any(w.get("resources", {}).get("GPU") for w in workers.values()):
        raise UsageError("--device cuda runs one point per GPU: start the workers with "
                         "--resources GPU=1 and a CUDA_VISIBLE_DEVICES each (docs/sweeps.md)")


def local_gpus():
    """Number of GPUs ``nvidia-smi -L`` lists on this machine (0 without it)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(line.startswith("GPU") for line in out.stdout.splitlines())
