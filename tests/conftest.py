import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session", autouse=True)
def _agg_backend():
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One standalone cache for the whole session (compiled projects are reused)."""
    path = os.environ.get("SPIKERULES_CACHE") or str(tmp_path_factory.mktemp("cache"))
    os.environ["SPIKERULES_CACHE"] = path
    return path


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, cache_dir):
    """`spikerules run balanced-coding --quick` read line by line from a pipe (one for the
    session: test_cli checks the run, test_inspect draws and exports it)."""
    out = tmp_path_factory.mktemp("quick") / "run"
    proc = subprocess.Popen([sys.executable, "-m", "spikerules", "run", "balanced-coding",
                             "--quick", "--out", out], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    first = proc.stdout.readline()
    still_running = proc.poll() is None
    rest, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, first + rest
    return dict(first=first, still_running=still_running, last=rest.splitlines()[-1], out=out)


def spikerules(*args, cache=None, check=True, timeout=1800, cwd=None):
    """Run the command line in a fresh process (one standalone build per process)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    if cache:
        env["SPIKERULES_CACHE"] = str(cache)
    proc = subprocess.run([sys.executable, "-m", "spikerules", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"spikerules {' '.join(map(str, args))} failed "
                             f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def cli(capsys, *args):
    """Run the command line in this process: (exit status, stdout, stderr). For commands that
    stop before building anything (bad input): no Brian2 import or process start to wait for."""
    from spikerules.cli import main

    status = main([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err
