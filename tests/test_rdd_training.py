"""The rate network trained with feedback matrices (models/rdd_training.py)."""

import numpy as np
import pytest
from brian2 import second

from analysis.datasets import load_dataset
from models.rdd_training import forward, gradients, init_weights, run_rdd_training


def _loss(ws, bs, x, y):
    p = forward(ws, bs, x)[-1]
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def test_backprop_feedback_gives_the_exact_gradient():
    rng = np.random.default_rng(0)
    ws, bs = init_weights(rng, (5, 7, 4, 3))
    bs = [rng.standard_normal(b.shape) * 0.1 for b in bs]
    x, y = rng.random((6, 5)), rng.integers(0, 3, 6)
    gw, gb = gradients(ws, [w.T for w in ws], forward(ws, bs, x), y)
    eps = 1e-6
    for l in range(len(ws)):
        for idx in [(0, 0), (1, 2), (2, 1)]:
            w_plus = [w.copy() for w in ws]
            w_plus[l][idx] += eps
            w_minus = [w.copy() for w in ws]
            w_minus[l][idx] -= eps
            numeric = (_loss(w_plus, bs, x, y) - _loss(w_minus, bs, x, y)) / (2 * eps)
            assert gw[l][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-9)
        b_plus = [b.copy() for b in bs]
        b_plus[l][0] += eps
        b_minus = [b.copy() for b in bs]
        b_minus[l][0] -= eps
        numeric = (_loss(ws, b_plus, x, y) - _loss(ws, b_minus, x, y)) / (2 * eps)
        assert gb[l][0] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_feedback_replaces_the_transpose_only_below_the_output():
    rng = np.random.default_rng(1)
    ws, bs = init_weights(rng, (5, 6, 3))
    x, y = rng.random((4, 5)), rng.integers(0, 3, 4)
    acts = forward(ws, bs, x)
    exact = gradients(ws, [w.T for w in ws], acts, y)
    zero = gradients(ws, [None, np.zeros((6, 3))], acts, y)
    np.testing.assert_array_equal(zero[0][1], exact[0][1])  # the output layer's own gradient
    np.testing.assert_array_equal(zero[0][0], 0.0)          # nothing reaches the hidden layer


def test_short_training_runs_every_method_on_the_runtime():
    result = run_rdd_training(device="runtime", epochs=2, feedback_time=1 * second,
                              n_seeds=1, hidden="64,32")
    m = result.metrics
    assert m["bp_angle_deg_final"] < 1e-5  # arccos near 1 loses digits
    assert 80 < m["fa_angle_deg_hidden1"] < 100
    assert m["rdd_angle_deg_hidden1"] < m["fa_angle_deg_hidden1"] - 10  # 1 s already helps
    first = {k: result.traces[f"{k}_test_error"][0, 0] for k in ("bp", "fa", "rdd")}
    assert first["bp"] == first["fa"] == first["rdd"]  # same initial network
    assert result.traces["bp_test_error"][0, -1] < first["bp"]
    assert result.traces["rdd_angle_deg"].shape == (1, 2, 2)


def test_digits_are_the_default_data():
    data = load_dataset("digits")
    assert data.n_features == 64 and data.n_classes == 10


@pytest.mark.parametrize("make_dir, message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: (p / "train-images-idx3-ubyte").write_bytes(b"junk") and p, "not an IDX file"),
])
def test_missing_or_malformed_data_exit_2_with_one_line(make_dir, message, tmp_path):
    from conftest import spikerules

    data_dir = make_dir(tmp_path)
    proc = spikerules("run", "rdd-training", "--set", "dataset=mnist", "--data-dir", data_dir,
                      "--out", tmp_path / "run", check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "run").exists()
