"""spikerules sweep on Dask: points, resuming, a real scheduler and workers, faults.

The sweeps run balanced-coding at its quick settings, whose two C++ projects the session's
cache shares with the other command-line tests: no sweep here compiles them again.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from conftest import cli, spikerules
from models.common import device as device_layer
from spikerules.sweep import grid_axes, parse_seeds, point_name, split_values, sweep
from spikerules.cli import main
from spikerules.sweep import cluster as sweep_cluster

ROOT = Path(__file__).resolve().parents[1]
QUICK = ("balanced-coding", "--quick")


def _rows(out):
    return {r["point"]: r for r in json.loads((Path(out) / "summary.json").read_text())}


def _env(cache):
    path = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return dict(os.environ, PYTHONPATH=path, SPIKERULES_CACHE=str(cache), MPLBACKEND="Agg")


class Cluster:
    """A ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (no nanny: killing a
    worker's process kills the worker)."""

    def __init__(self, tmp, cache):
        self.tmp, self.env = Path(tmp), _env(cache)
        self.file = self.tmp / "scheduler.json"
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file", self.file)
        deadline = time.time() + 60
        while not self.file.exists() and time.time() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.workers = []

    def _start(self, *args):
        return subprocess.Popen([sys.executable, "-m", "dask", *map(str, args)], env=self.env,
                                cwd=self.tmp, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def keep_workers(self, n):
        """Start workers until ``n`` are alive, and wait until the scheduler has them."""
        from distributed import Client

        self.workers = [w for w in self.workers if w.poll() is None]
        while len(self.workers) < n:
            self.workers.append(self._start(
                "worker", "--scheduler-file", self.file, "--nthreads", "1", "--no-nanny",
                "--no-dashboard", "--local-directory", self.tmp / "workers"))
        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=60)

    def close(self):
        for proc in self.workers + [self.scheduler]:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cache_dir):
    c = Cluster(tmp_path_factory.mktemp("dask"), cache_dir)
    try:
        yield c
    finally:
        c.close()


# -- points and bad input ------------------------------------------------------------------
def test_seed_and_value_lists():
    assert parse_seeds("1-4,7,3") == [1, 2, 3, 4, 7]
    assert split_values("eps_f=1e-4, 2e-4") == ("eps_f", ["1e-4", "2e-4"])
    assert split_values("sizes=64,32|256,128") == ("sizes", ["64,32", "256,128"])
    assert point_name(2, {"lam": "40/second"}) == "seed2-lam=40_second"
    assert grid_axes({"eps_f": [1e-4, "2e-4"], "sizes": "64,32"}) == [
        ("eps_f", ["0.0001", "2e-4"]), ("sizes", ["64,32"])]


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
    (["--scheduler", "no-such-file.json"], "cannot read the scheduler file"),
    (["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"], "--jobs sizes the local cluster"),
    (["--set", "eps_f=1e-4,2e-4", "--set", "eps_f=3e-4"], "appears twice"),
    (["--set", "nope=1,2"], "nope"),
    (["--duration", "-1s"], "duration"),
])
def test_bad_sweep_input_exits_2_with_one_line_before_any_point(args, message, tmp_path, capfd,
                                                                monkeypatch):
    monkeypatch.setattr(sweep_cluster, "CONNECT_TIMEOUT", 1)
    out = tmp_path / "sweep"
    status = main(["sweep", *QUICK, *args, "--out", str(out)])
    lines = capfd.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith("spikerules: error:") and message in lines[0], lines[0]
    assert not out.exists()


def test_a_scheduler_file_that_is_no_scheduler_file_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "not a scheduler"}')
    status, _, err = cli(capsys, "sweep", *QUICK, "--scheduler", bad, "--out", tmp_path / "s")
    assert status == 2 and "is not a Dask scheduler file" in err
    assert not (tmp_path / "s").exists()


def test_resuming_into_a_sweep_with_other_settings_is_refused(tmp_path, capsys):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps(
        dict(model="balanced-coding", device="cpp", duration="100s", quick=False)))
    status, _, err = cli(capsys, "sweep", *QUICK, "--out", out)
    assert status == 2 and "holds a sweep with other settings" in err
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json"]


def test_first_builds_of_a_project_take_turns_and_copy_the_first(tmp_path):
    """Two runs of one project on a cold cache: the second waits for the first build and
    starts from its slot (the device layer's build lock)."""
    entry = tmp_path / "entry"
    first, second = entry / "slot-0", entry / "slot-1"
    first.mkdir(parents=True)
    second.mkdir()
    seen = {}

    def later():
        with device_layer._first_build_turn(second):
            seen["copied"] = (second / "main").exists()

    with device_layer._first_build_turn(first):
        waiting = threading.Thread(target=later)
        waiting.start()
        time.sleep(0.5)
        assert "copied" not in seen  # still waiting for the first build
        (first / "main").write_text("binary")
        (first / device_layer.BUILT).touch()
    waiting.join(10)
    assert seen == {"copied": True}


def test_a_point_run_dies_with_its_worker_even_when_it_writes_nothing(tmp_path):
    """A killed worker's child run is killed too (PR_SET_PDEATHSIG), not only when it next
    writes to its closed pipe: a silent child (here `sleep`, as a run during a long compile)."""
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        "from spikerules.sweep.task import _die_with_parent\n"
        "child = subprocess.Popen(['sleep', '60'], preexec_fn=_die_with_parent)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n")], env=_env(tmp_path), stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    parent.kill()
    parent.wait()
    gone, _ = psutil.wait_procs([child], timeout=5)
    assert gone, "the child outlived its parent"


# -- on a real scheduler and workers -----------------------------------------------------
def test_a_sweep_through_a_scheduler_address_compiles_once_and_reuses(tmp_path, cluster):
    """A swept learning rate is a run argument: on the cluster's one node each project is
    compiled at most once (not at all when the session compiled it already)."""
    cluster.keep_workers(2)
    out = tmp_path / "sweep"
    proc = spikerules("sweep", *QUICK, "--set", "eps_f=1e-4,1e-2", "--scheduler",
                      cluster.address, "--out", out, cache=tmp_path / "unused")
    rows = _rows(out)
    assert [r["status"] for r in rows.values()] == ["ok"] * 2, proc.stdout
    builds = [b for r in rows.values() for b in r["builds"].split("; ")]
    for project in ("balanced-coding-learn", "balanced-coding-evaluate"):
        assert builds.count(f"{project} compiled") <= 1, builds
        assert builds.count(f"{project} compiled") + builds.count(f"{project} reused") == 2
    assert "reused" in proc.stdout and "2 workers on 1 node" in proc.stdout
    for name in rows:  # every point's run directory, complete, with its log
        assert {"metrics.json", "log.txt"} <= {p.name for p in (out / name).iterdir()}
    assert not (out / ".partial").exists() and not (tmp_path / "unused").exists()
    low, high = (rows[f"seed1-eps_f={v}"] for v in ("1e-4", "1e-2"))
    # the swept value reached the compiled project: a 100x larger rate learns differently
    assert low["weight_distance_final"] != high["weight_distance_final"]


def test_a_cuda_sweep_on_workers_without_gpus_is_refused(tmp_path, cluster, capsys):
    cluster.keep_workers(2)
    out = tmp_path / "sweep"
    status, _, err = cli(capsys, "sweep", *QUICK, "--device", "cuda", "--scheduler",
                         cluster.address, "--out", out)
    assert status == 2 and "--resources GPU=1" in err
    assert not out.exists()


def test_a_point_failing_on_its_own_is_reported_while_the_others_finish(tmp_path, cluster):
    """From Python, on a client of the cluster: one value makes its run refuse to start (it
    would not fit in memory); that point fails with its error line, the other completes."""
    from distributed import Client

    cluster.keep_workers(2)
    out = tmp_path / "sweep"
    with Client(cluster.address, set_as_default=False) as client:
        rows = sweep("balanced-coding", {"test_trials": [4, 100_000_000]}, seeds=[1],
                     client=client, quick=True, out=out, log=lambda *_: None)
    ok, failed = rows
    assert ok["status"] == "ok" and ok["coding_error_final"] > 0
    assert failed["status"] == "failed"
    assert failed["error"].startswith("spikerules: error: this run would hold about")
    assert not (out / failed["point"]).exists()
    assert "memory free" in (out / "failed" / f"{failed['point']}.log").read_text()
    assert [r["status"] for r in _rows(out).values()] == ["ok", "failed"]


def test_a_sweep_completes_every_point_when_a_worker_or_a_run_is_killed(tmp_path, cluster):
    """Both workers run a point; kill one worker process (its child run dies with it and the
    scheduler runs the point again) and the other one's child run (Dask retries the task):
    every point still completes."""
    cluster.keep_workers(2)
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-m", "spikerules", "sweep", *QUICK, "--seeds",
                             "1-2", "--scheduler", str(cluster.file), "--out", str(out)],
                            env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    (worker, its_run), (_, other_run) = _points_running(cluster.workers)
    worker.kill()
    other_run.kill()
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log
    psutil.wait_procs([its_run], timeout=1)
    assert not its_run.is_running()  # no orphan left writing into the output
    assert [r["status"] for r in _rows(out).values()] == ["ok", "ok"], log
    assert not (out / ".partial").exists()


def _points_running(workers, timeout=120):
    """[(worker process, its `spikerules run` child)] once every worker runs a point."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        running = [(w, c) for w in workers for c in psutil.Process(w.pid).children()
                   if "run" in c.cmdline()]
        if len(running) == len(workers):
            time.sleep(1)  # well into the points
            return running
        time.sleep(0.1)
    raise AssertionError("the workers did not all start a point")


# -- on the default local cluster --------------------------------------------------------
def test_an_interrupted_sweep_run_again_runs_only_the_missing_points(tmp_path, cache_dir):
    """Ctrl-C once the first of two points is complete; the same command again runs the
    second point only (and the seed reached each compiled run)."""
    out = tmp_path / "sweep"
    args = [sys.executable, "-m", "spikerules", "sweep", *QUICK, "--seeds", "1-2", "--jobs", "1",
            "--out", str(out)]
    first = subprocess.Popen(args, env=_env(cache_dir), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and not any(
            r["status"] == "ok" for r in _safe_rows(out).values()):
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGINT)  # Ctrl-C: the sweep, its workers and their runs
    log, _ = first.communicate(timeout=60)
    done = {p.name for p in out.iterdir() if (p / "metrics.json").exists()}
    assert done == {"seed1"}, log
    again = spikerules(*args[3:], cache=cache_dir)
    rows = _rows(out)
    assert [r["status"] for r in rows.values()] == ["skipped", "ok"], again.stdout
    assert "1 ok, 0 failed, 1 skipped" in again.stdout
    assert rows["seed1"]["coding_error_initial"] != rows["seed2"]["coding_error_initial"]


def _safe_rows(out):
    try:
        return _rows(out)
    except (OSError, ValueError):
        return {}


# -- optional -----------------------------------------------------------------------------
@pytest.mark.cuda
def test_a_cuda_sweep_places_its_points_on_gpu_workers(tmp_path, cache_dir):
    """Where a GPU, nvcc and brian2cuda are present: a local cuda sweep (one worker per GPU,
    each point holding the GPU resource) completes every point on the GPU."""
    if not (device_layer.gpu_available() and device_layer.nvcc_available()):
        pytest.skip("needs a GPU and nvcc")
    pytest.importorskip("brian2cuda")
    out = tmp_path / "sweep"
    proc = spikerules("sweep", "supervised-dynamics", "--quick", "--device", "cuda", "--seeds",
                      "1-2", "--out", out, cache=cache_dir, timeout=3600)
    rows = _rows(out)
    assert [r["status"] for r in rows.values()] == ["ok", "ok"], proc.stdout
    assert all("[cuda]" in (out / n / "log.txt").read_text() for n in rows)


@pytest.mark.slow
def test_an_8_seed_sweep_gives_the_runs_of_8_plain_runs(tmp_path, cache_dir):
    """The acceptance sweep: 8 seeds of balanced-coding for 20 s on the local cluster compile
    each project at most once and give, seed for seed, the spikes and weights of
    `spikerules run`, and its metrics exactly (the points run with the BLAS thread settings of
    the sweep's shell, not the single thread Dask gives its workers)."""
    import numpy as np

    out = tmp_path / "sweep"
    spikerules("sweep", "balanced-coding", "--duration", "20s", "--seeds", "1-8", "--out", out,
               cache=cache_dir)
    rows = _rows(out)
    assert sorted(rows) == [f"seed{k}" for k in range(1, 9)]
    assert all(r["status"] == "ok" for r in rows.values())
    for project in ("balanced-coding-learn", "balanced-coding-evaluate"):
        assert sum(f"{project} compiled" in r["builds"] for r in rows.values()) <= 1
    for k in range(1, 9):
        plain, swept = tmp_path / f"run{k}", out / f"seed{k}"
        spikerules("run", "balanced-coding", "--duration", "20s", "--seed", k, "--out", plain,
                   cache=cache_dir)
        for name in ("spikes.npz", "weights.npz"):
            a, b = np.load(swept / name), np.load(plain / name)
            assert sorted(a.files) == sorted(b.files)
            assert all(np.array_equal(a[f], b[f]) for f in a.files), (k, name)
        assert _science(swept) == _science(plain), k


def _science(rundir):
    """A run's metrics without its timings (wall, build, loop) and build flags."""
    metrics = json.loads((rundir / "metrics.json").read_text())
    return {k: v for k, v in metrics.items()
            if not k.endswith(("_s", "_compiled")) or k == "learning_time_s"}
