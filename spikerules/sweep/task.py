"""What a Dask worker does for one point: an ordinary ``spikerules run`` in a child process.

Kept free of Brian2 and of the rest of the application, so that a worker imports little.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

#: printed by models.common.device after each standalone build; read from the point's log
BUILD_LINE = re.compile(r"^spikerules: (?P<project>\S+) \[(?P<target>\w+)\]: "
                        r"(?P<what>compiled|reused the compiled project)", re.M)
#: where points stage their run directories inside the sweep's output
STAGING = ".partial"
#: logs of points that failed, inside the sweep's output
FAILED = "failed"
#: exit status of ``spikerules run`` stopped by Ctrl-C (a signal, not the point's own error)
INTERRUPTED = 130


class PointKilled(RuntimeError):
    """The point's process was killed by a signal (not its own error): Dask retries it."""


def run_point(spec):
    """Run one point on this worker; returns what the summary needs.

    ``spec`` holds ``model``, ``seed``, ``values``, ``name``, ``out`` (the sweep's output, an
    absolute path every worker sees), ``options`` (``--device``, ``--duration``... as a list)
    and ``cache`` (the standalone cache, or None for this node's default, see
    :func:`node_cache`). The run directory is written under ``OUT/.partial`` and renamed to
    ``OUT/NAME`` when complete, with the point's ``log.txt`` in it.
    """
    out = Path(spec["out"])
    host = socket.gethostname()
    if not out.is_dir():
        return _failed(spec, host, 0.0, [], f"{out} is not visible on {host} (the output must "
                       f"be on a file system every worker shares)")
    staged = out / STAGING / f"{spec['name']}.{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    proc = subprocess.run(_command(spec, staged), capture_output=True, text=True,
                          env=_environment(spec), preexec_fn=_die_with_parent)
    wall = time.perf_counter() - t0
    log = proc.stdout + proc.stderr
    builds = [(m["project"], m["what"].split()[0]) for m in BUILD_LINE.finditer(log)]
    if proc.returncode < 0 or proc.returncode == INTERRUPTED:
        shutil.rmtree(staged, ignore_errors=True)
        raise PointKilled(f"{spec['name']}: stopped by a signal (exit {proc.returncode}) "
                          f"on {host}")
    if proc.returncode != 0:
        shutil.rmtree(staged, ignore_errors=True)
        _write_text(out / FAILED / f"{spec['name']}.log", log)
        error = (log.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return _failed(spec, host, wall, builds, error)
    (staged / "log.txt").write_text(log)
    _publish(staged, out / spec["name"])
    (out / FAILED / f"{spec['name']}.log").unlink(missing_ok=True)
    return dict(name=spec["name"], status="ok", node=host, wall_s=wall, builds=builds,
                error="")


def _failed(spec, host, wall, builds, error):
    return dict(name=spec["name"], status="failed", node=host, wall_s=wall, builds=builds,
                error=error)


def _command(spec, staged):
    cmd = [sys.executable, "-m", "spikerules", "run", spec["model"], "--seed", str(spec["seed"]),
           "--out", str(staged), *spec["options"]]
    for name, value in spec["values"].items():
        cmd += ["--set", f"{name}={value}"]
    return cmd


#: Dask's nanny sets these to 1 in its workers; a point gets the values of the sweep's shell
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def blas_threads():
    """The thread settings of this process (the client's), for the points' runs."""
    return {name: os.environ.get(name) for name in THREAD_VARIABLES}


def _environment(spec):
    """The worker's environment, with this node's cache and this worker's code on the path,
    and the BLAS thread settings of the sweep's shell: a point's metrics are then those of a
    plain ``spikerules run`` from that shell to the last bit (least squares in NumPy sum in
    another order with another number of threads)."""
    import spikerules

    env = dict(os.environ, SPIKERULES_CACHE=str(spec["cache"] or node_cache()),
               MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    for name, value in spec.get("threads", {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    root = str(Path(spikerules.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    gpu = _gpu_of_this_worker(spec.get("gpus"))
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    return env


def node_cache():
    """The standalone cache of this node when the sweep names none.

    ``$SPIKERULES_CACHE`` where the worker has it, else ``spikerules-cache`` beside the
    worker's own scratch directory (Dask's ``local_directory``, node-local on clusters set up
    as Dask's HPC guide says), so the workers of one node share their compiled projects.
    """
    if os.environ.get("SPIKERULES_CACHE"):
        return Path(os.environ["SPIKERULES_CACHE"])
    from distributed import get_worker

    return Path(get_worker().local_directory).parent / "spikerules-cache"


def _gpu_of_this_worker(gpus):
    """On the local cluster's GPU workers (named 0, 1, ..., one per GPU): the GPU this worker
    owns, unless ``CUDA_VISIBLE_DEVICES`` already says; None elsewhere (a cluster's GPU
    workers are started with a ``CUDA_VISIBLE_DEVICES`` each, see docs/sweeps.md)."""
    if not gpus or os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        return None
    from distributed import get_worker

    name = str(get_worker().name)
    return str(int(name) % gpus) if name.isdigit() else None


def _publish(staged, final):
    """Rename a complete run directory into place (replacing an older one of the same point)."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(final, old)
        shutil.rmtree(old, ignore_errors=True)
    os.rename(staged, final)


def _write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _die_with_parent():
    """In the child: die when the worker dies (Linux), so a killed worker leaves no orphan
    writing into the output while its point runs again elsewhere."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
