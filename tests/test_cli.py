"""The command-line contract: bad input exits 2 with one line and writes nothing."""

import json

import numpy as np
import pytest

from analysis.io import write_run
from conftest import spikerules


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no-such-model"], "unknown model 'no-such-model'; accepted: balanced-coding"),
        (["run", "balanced-coding", "--set", "bogus=1"], "unknown parameter 'bogus'"),
        (["run", "balanced-coding", "--set", "lam=50*ms"], "lam needs units of"),
        (["run", "balanced-coding", "--set", "lam=fast"], "lam: cannot read 'fast'"),
        (["run", "balanced-coding", "--set", "n_neurons=2.5"], "n_neurons takes a whole number"),
        (["run", "balanced-coding", "--duration=-5s"], "duration must be a non-negative"),
        (["run", "balanced-coding", "--duration", "5 metre"], "duration needs units of s"),
        (["run", "balanced-coding", "--set", "seed=3"], "use --seed instead"),
        (["run", "balanced-coding", "--device", "tpu"], "invalid choice: 'tpu'"),
        (["run", "predictive-dynamics", "--set", "system=spiral"], "unknown system 'spiral'"),
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
        (["figures", "nope"], "unknown figure 'nope'"),
        (["bench", "nope"], "unknown benchmark 'nope'"),
        (["bench", "rdd", "--targets", "tpu"], "unknown target 'tpu'"),
        (["sweep", "nope"], "unknown model 'nope'"),
        (["sweep", "balanced-coding", "--seeds", "3-1"], "runs backwards"),
        (["sweep", "balanced-coding", "--seeds", "one"], "--seeds takes ranges"),
        (["sweep", "balanced-coding", "--set", "eps_f=1e-4,fast"], "eps_f takes a plain number"),
        (["sweep", "balanced-coding", "--set", "eps_f=1e-4,"], "empty value"),
        (["sweep", "balanced-coding", "--jobs", "0"], "--jobs must be at least 1"),
        (["raster", "/nonexistent/run"], "is not a run directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, tmp_path):
    out = tmp_path / "run"
    extra = ["--out", str(out)] if args[0] in ("run", "sweep") else []
    proc = spikerules(*args, *extra, check=False, cache=tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("spikerules: error:")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_list_names_models_and_figures():
    out = spikerules("list").stdout
    for name in ("balanced-coding", "predictive-dynamics", "balanced-learning"):
        assert name in out


def test_raster_of_a_run_directory(tmp_path):
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 3, 400))
    i = rng.integers(0, 10, 400)
    run = write_run(tmp_path / "run", params={"model": "test"}, metrics={"x": 1.0},
                    spikes={"exc": (i, t), "inh": (i[:50], t[:50])})
    assert sorted(p.name for p in run.iterdir()) == ["metrics.json", "params.json",
                                                    "spikes.npz"]
    out = tmp_path / "r.png"
    spikerules("raster", run, "--population", "inh", "--start", "0.5", "--stop", "2500ms",
               "--out", out)
    assert out.stat().st_size > 10_000
    bad = spikerules("raster", run, "--population", "nope", check=False)
    assert bad.returncode == 2 and "accepted: exc, inh" in bad.stderr
    assert json.loads((run / "metrics.json").read_text()) == {"x": 1.0}


def test_runtime_run_writes_a_complete_run_directory(tmp_path):
    out = tmp_path / "pd"
    proc = spikerules("run", "predictive-dynamics", "--device", "runtime", "--duration", "0.3",
                      "--set", "n_neurons=40", "--out", out, cache=tmp_path / "cache")
    assert "tracking_error" in proc.stdout and str(out) in proc.stdout
    params = json.loads((out / "params.json").read_text())
    assert params["device"] == "runtime" and params["seed"] == 1
    assert params["n_neurons"] == 40 and params["lam_d"] == "10. Hz"
    assert params["brian2_version"] == "2.9.0"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["max_spikes_per_step"] == 1
    with np.load(out / "spikes.npz") as sp:
        assert set(sp.files) == {"neurons_i", "neurons_t"}
        assert sp["neurons_t"].size == metrics["n_spikes"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pd")]  # no temp dirs left
