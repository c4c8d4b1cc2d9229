"""The command-line contract: bad input exits 2 with one line, before any simulation, and leaves
nothing behind; run directories are read as data; progress reaches a log as it happens."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.io import RunResult, write_run
from conftest import cli, spikerules


def assert_one_line_error(status, err, message):
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("spikerules: error:")
    assert message in lines[0], lines[0]


@pytest.mark.parametrize("args, message", [
    (["run", "no-such-model"], "unknown model 'no-such-model'; accepted: balanced-coding"),
    (["run", "balanced-coding", "--set", "bogus=1"], "unknown parameter 'bogus'"),
    (["run", "balanced-coding", "--set", "lam=50*ms"], "lam needs units of 1/second"),
    (["run", "balanced-coding", "--set", "lam=fast"], "lam: cannot read 'fast'"),
    (["run", "balanced-coding", "--set", "dt=5 metre"], "(e.g. dt=1*ms)"),
    (["run", "balanced-coding", "--set", "n_neurons=2.5"], "n_neurons takes a whole number"),
    (["run", "balanced-coding", "--set", "n_neurons"], "--set takes NAME=VALUE"),
    (["run", "balanced-coding", "--duration=-5s"], "duration must be at least 0"),
    (["run", "balanced-coding", "--duration", "5 metre"], "duration needs units of second"),
    (["run", "balanced-coding", "--duration", "inf"], "duration must be finite"),
    (["run", "balanced-coding", "--duration", "1e12s"], "more than Brian2's step index holds"),
    (["run", "balanced-coding", "--set", "seed=3"], "use --seed instead"),
    (["run", "balanced-coding", "--seed", "-1"], "--seed takes a non-negative whole number"),
    (["run", "balanced-coding", "--seed", "1.5"], "--seed takes a non-negative whole number"),
    (["run", "balanced-coding", "--device", "tpu"], "invalid choice: 'tpu'"),
    (["run", "balanced-coding", "--set", "n_neurons=200000"], "GB of inputs and recordings"),
    (["run", "predictive-dynamics", "--set", "system=spiral"], "system must be one of"),
    (["run", "supervised-dynamics", "--set", "system=1,2;3"], "system must be one of"),
    (["run", "supervised-dynamics", "--set", "initial=random"], "initial must be"),
    (["run", "balanced-ei", "--duration", "70s"], "whole number of segments"),
    (["run", "balanced-ei", "--set", "resume=/no/such/file.npz"], "resume: cannot read"),
    (["run", "erbp", "--duration", "5s"], "use --set epochs=N"),
    (["run", "erbp", "--set", "p_syn=0"], "p_syn must be in (0, 1]"),
    (["run", "erbp", "--set", "dataset=mnist"], "needs --data-dir"),
    (["run", "gradient-xor", "--duration", "1s"], "the trial length follows"),
    (["run", "gradient-xor", "--set", "batch_size=2"], "batch_size at least 4"),
    (["run", "gradient-autoencode", "--set", "warmup=2s"], "warmup must be shorter"),
    (["run", "gradient-autoencode", "--set", "brian2_trials=99"], "brian2_trials must be"),
    (["run", "rdd-alignment", "--set", "drive_rate=0Hz"], "drive_rate must be"),
    (["run", "rdd-alignment", "--set", "sizes=64"], "sizes"),
    (["figures", "nope"], "unknown figure 'nope'"),
    (["bench", "nope"], "unknown benchmark 'nope'"),
    (["bench", "rdd", "--targets", "tpu"], "unknown target 'tpu'"),
    (["bench", "rdd", "--repeat", "0"], "--repeat must be at least 1"),
    (["sweep", "nope"], "unknown model 'nope'"),
    (["sweep", "balanced-coding", "--seeds", "3-1"], "runs backwards"),
    (["sweep", "balanced-coding", "--seeds", "one"], "--seeds takes ranges"),
    (["sweep", "balanced-coding", "--set", "eps_f=1e-4,fast"], "eps_f takes a plain number"),
    (["sweep", "balanced-coding", "--set", "eps_f=1e-4,"], "empty value"),
    (["sweep", "balanced-coding", "--jobs", "0"], "--jobs must be at least 1"),
    (["list", "nope"], "unknown model 'nope'"),
])
def test_bad_input_exits_2_with_one_line(args, message, tmp_path, capsys):
    out = tmp_path / "run"
    extra = ["--out", out] if args[0] in ("run", "sweep") else []
    status, _, err = cli(capsys, *args, *extra)
    assert_one_line_error(status, err, message)
    assert not out.exists()


def test_an_out_that_cannot_be_a_directory_is_refused_before_running(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for out, message in ((a_file, "exists and is not a directory"),
                         (a_file / "run", "which is a file"),
                         ("/proc/spikerules-run", "cannot be written")):
        status, _, err = cli(capsys, "run", "predictive-dynamics", "--out", out)
        assert_one_line_error(status, err, message)
    status, _, err = cli(capsys, "figures", "predictive-dynamics", "--out", a_file / "f")
    assert_one_line_error(status, err, "which is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def _run_directory(path, **changes):
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 3, 400))
    i = rng.integers(0, 10, 400)
    return write_run(path, params=changes.get("params", {"model": "test"}),
                     metrics={"x": 1.0}, spikes={"exc": (i, t), "inh": (i[:50], t[:50])})


def test_raster_of_a_run_directory(tmp_path, capsys):
    run = _run_directory(tmp_path / "run")
    out = tmp_path / "r.png"
    status, stdout, _ = cli(capsys, "raster", run, "--population", "inh", "--start", "0.5",
                            "--stop", "2500ms", "--out", out)
    assert status == 0 and str(out) in stdout
    assert out.stat().st_size > 10_000
    status, _, err = cli(capsys, "raster", run, "--population", "nope")
    assert_one_line_error(status, err, "accepted: exc, inh")
    assert json.loads((run / "metrics.json").read_text()) == {"x": 1.0}


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "spikes.npz").unlink(), "is not a run directory (no spikes.npz)"),
    (lambda run: (run / "spikes.npz").write_bytes(b"garbage"), "is not an .npz archive"),
    (lambda run: np.savez(run / "spikes.npz", x=np.zeros(3)), "is not a spikes file"),
    (lambda run: np.savez(run / "spikes.npz", a_i=np.zeros(3, int), a_t=np.zeros(2)),
     "has indices (3,) and times (2,)"),
    (lambda run: np.savez(run / "spikes.npz", a_i=np.zeros(2, int),
                          a_t=np.array(["x", 1], dtype=object)), "holds Python objects"),
])
def test_raster_of_a_damaged_run_directory_exits_2(damage, message, tmp_path, capsys):
    run = _run_directory(tmp_path / "run")
    damage(run)
    status, _, err = cli(capsys, "raster", run, "--out", tmp_path / "r.png")
    assert_one_line_error(status, err, message)
    assert not (tmp_path / "r.png").exists()


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "params.json").unlink(), "no params.json"),
    (lambda run: (run / "params.json").write_text("{not json"), "is not readable JSON"),
    (lambda run: (run / "params.json").write_text("[1, 2]"), "holds a JSON list"),
    (lambda run: (run / "metrics.json").write_text('{"x": "y"}'), "'x' is not a number"),
    (lambda run: (run / "params.json").write_text('{"dt": "1 ms"}'), "names no model"),
    (lambda run: (run / "params.json").write_text(
        '{"model": "balanced-coding", "dt": "1 metre"}'), "dt needs units of ms"),
    (lambda run: (run / "params.json").write_text('{"model": "erbp"}'),
     "needs a run of balanced-coding"),
    (lambda run: np.savez(run / "traces.npz", x=np.array([{}], dtype=object)),
     "holds Python objects"),
])
def test_figures_from_a_damaged_run_directory_exit_2(damage, message, tmp_path, capsys):
    run = _run_directory(tmp_path / "run", params={"model": "balanced-coding"})
    damage(run)
    status, _, err = cli(capsys, "figures", "balanced-coding", "--from", run, "--out",
                         tmp_path / "out")
    assert_one_line_error(status, err, message)
    assert not (tmp_path / "out").exists()


def test_progress_lines_reach_a_pipe_while_the_run_goes_on(quick_run):
    """The first progress line arrives before the command ends (not all at exit)."""
    assert quick_run["first"].startswith("spikerules: balanced-coding-learn [cpp]")
    assert quick_run["still_running"]


def test_a_run_writes_a_complete_run_directory(quick_run):
    import brian2

    out = quick_run["out"]
    assert quick_run["last"].startswith("balanced-coding [cpp, seed 1, ")
    assert str(out) in quick_run["last"] and "coding_error_final" in quick_run["last"]
    params = json.loads((out / "params.json").read_text())
    assert params["model"] == "balanced-coding" and params["device"] == "cpp"
    assert params["seed"] == 1 and params["duration"] == "20 second"
    assert params["lam"] == "50/second" and params["brian2_version"] == brian2.__version__
    result = RunResult.read(out)
    assert result.metrics["max_spikes_per_step"] == 1
    assert set(result.spikes) == {"learning", "test_initial", "test_final"}
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp dirs


def test_a_figure_is_redrawn_from_run_directories_without_simulating(quick_run, tmp_path,
                                                                     capsys):
    """`figures NAME --from` picks the run the figure needs among those given, draws it and
    writes the PNG and metrics.json; nothing is built or run."""
    other = _run_directory(tmp_path / "other", params={"model": "predictive-dynamics"})
    status, out, _ = cli(capsys, "figures", "balanced-learning", "--from", other,
                         quick_run["out"], "--out", tmp_path / "fig")
    assert status == 0 and "compiled" not in out
    png = tmp_path / "fig" / "balanced-coding" / "balanced-coding.png"
    assert png.stat().st_size > 30_000
    metrics = json.loads((png.parent / "metrics.json").read_text())
    assert metrics == json.loads((quick_run["out"] / "metrics.json").read_text())


def test_list_prints_models_figures_and_a_model_s_parameters(capsys):
    status, out, _ = cli(capsys, "list")
    assert status == 0
    for name in ("balanced-coding", "predictive-dynamics", "gradient-snn",
                 "(also: balanced-learning)"):
        assert name in out
    status, out, _ = cli(capsys, "list", "balanced-coding")
    assert status == 0
    assert "  dt " in out and " 1 ms " in out and "--quick sets: duration=20 second" in out


def test_the_console_script_and_python_m_are_the_same_command(tmp_path):
    proc = spikerules("run", "no-such-model", check=False)
    assert proc.returncode == 2 and "unknown model" in proc.stderr
    # the console script installed beside this Python (a venv run without activating it finds
    # another Python's spikerules first on the PATH)
    script = Path(sys.executable).with_name("spikerules")
    out = subprocess.run([str(script) if script.exists() else "spikerules", "list"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "balanced-coding" in out.stdout
