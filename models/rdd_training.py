"""Training a network with the feedback weights the spiking RDD phase learns.

Guerguiev, Kording & Richards (ICLR 2020): a rate network (NumPy) is trained by SGD with
errors carried backwards through feedback matrices Y_l instead of W_l^T, and each training
epoch alternates with a feedback-training phase, in which the spiking network of
models/rdd_network.py (Brian2) runs with the current forward weights and its RDD estimators
(which persist across epochs) give the new Y_l. Three ways of choosing Y:

``bp``   exact backpropagation, Y_l = W_l^T;
``fa``   feedback alignment, a fixed random Y_l;
``rdd``  Y_l from the RDD estimates, rescaled to the spread of the FA matrices (rdd_feedback).

Network: input -> ReLU hidden layers -> softmax, cross-entropy loss, SGD with momentum. The
spiking phase covers the layers that need feedback: hidden_1 -> ... -> output, each estimating
layer driven for an equal share of ``feedback_time`` per epoch. The compiled Brian2 project
is built once and rerun every epoch with new weights and estimator states as run arguments.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from brian2 import second

from analysis.alignment import angle_deg
from analysis.datasets import DATASETS, load_dataset
from models.rdd_network import parse_sizes, rdd_feedback, simulate_feedback
from models.registry import ParameterError
from models.result import RunResult

NAME = "rdd-training"
DESCRIPTION = "training with BP, FA and RDD-learned feedback (Guerguiev et al. 2020)"
QUICK = dict(epochs=3, feedback_time=4 * second, n_seeds=1)
SUMMARY = ("test_error_bp", "test_error_rdd", "test_error_fa", "rdd_angle_deg_final",
           "fa_angle_deg_final")
METHODS = ("bp", "fa", "rdd")


def init_weights(rng, sizes):
    """Uniform(-1/sqrt(n_in), 1/sqrt(n_in)) weights (PyTorch's default) and zero biases."""
    ws = [rng.uniform(-1, 1, (n_out, n_in)) / np.sqrt(n_in)
          for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return ws, [np.zeros(n) for n in sizes[1:]]


def forward(ws, bs, x):
    """Activations of every layer (x: batch x features); the last one is the softmax."""
    acts = [x]
    for l, (w, b) in enumerate(zip(ws, bs)):
        z = acts[-1] @ w.T + b
        if l < len(ws) - 1:
            acts.append(np.maximum(z, 0.0))
        else:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            acts.append(e / e.sum(axis=1, keepdims=True))
    return acts


def gradients(ws, feedback, acts, labels):
    """Weight and bias gradients of the cross-entropy, errors sent back through ``feedback``.

    ``feedback[l]`` (n_in x n_out of layer l) replaces W_l^T; feedback[0] is never used.
    """
    n = len(labels)
    delta = acts[-1].copy()
    delta[np.arange(n), labels] -= 1.0
    delta /= n
    grads_w, grads_b = [None] * len(ws), [None] * len(ws)
    for l in range(len(ws) - 1, -1, -1):
        grads_w[l] = delta.T @ acts[l]
        grads_b[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ feedback[l].T) * (acts[l] > 0)
    return grads_w, grads_b


def test_error(ws, bs, x, y):
    return float(np.mean(forward(ws, bs, x)[-1].argmax(axis=1) != y))


def train(*, data, hidden, method, seed, epochs, batch_size, lr, momentum, feedback_time,
          device, log=None, **spiking):
    """Train one network; returns per-epoch test errors and feedback angles per layer."""
    sizes = (data.n_features, *hidden, data.n_classes)
    rng = np.random.default_rng([seed, 2])
    ws, bs = init_weights(rng, sizes)
    fa = [w.T.copy() for w in init_weights(rng, sizes)[0]]  # fixed random Y: one more draw
    vel_w = [np.zeros_like(w) for w in ws]
    vel_b = [np.zeros_like(b) for b in bs]
    state, feedback = None, [f.copy() for f in fa]
    errors, angles, sim_s = [test_error(ws, bs, data.x_test, data.y_test)], [], 0.0
    for epoch in range(epochs):
        if method == "bp":
            feedback = [w.T.copy() for w in ws]
        elif method == "rdd":  # feedback phase on the layers hidden_1 -> ... -> output
            t0 = time.perf_counter()
            out = simulate_feedback(weights=ws[1:], duration=feedback_time,
                                    seed=seed * 1000 + epoch, device=device,
                                    rules_used=("rdd",), initial=state, snapshot_interval=None,
                                    progress=False, **spiking)
            sim_s += time.perf_counter() - t0
            state = {k: v for k, v in out["final"].items() if not k.endswith("beta")}
            for l in range(1, len(ws)):
                feedback[l] = rdd_feedback(out["final"][f"rdd{l - 1}_beta"], fa[l])
        angles.append([angle_deg(feedback[l], ws[l]) for l in range(1, len(ws))])
        order = rng.permutation(len(data.y_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            acts = forward(ws, bs, data.x_train[idx])
            if method == "bp":
                feedback = [w.T for w in ws]
            gw, gb = gradients(ws, feedback, acts, data.y_train[idx])
            for l in range(len(ws)):
                vel_w[l] = momentum * vel_w[l] - lr * gw[l]
                vel_b[l] = momentum * vel_b[l] - lr * gb[l]
                ws[l] += vel_w[l]
                bs[l] += vel_b[l]
        errors.append(test_error(ws, bs, data.x_test, data.y_test))
        if log:
            log(f"{method} seed {seed} epoch {epoch + 1}/{epochs}: test error "
                f"{errors[-1]:.4f}, feedback angle "
                + "/".join(f"{a:.1f}" for a in angles[-1]) + " deg")
    return dict(test_error=np.array(errors), angle=np.array(angles), spiking_s=sim_s)


def run_rdd_training(
    *,
    duration=None,
    seed=1,
    device="cpp",
    dataset="digits",
    data_dir="",
    hidden="64,32",
    epochs=20,
    batch_size=32,
    lr=0.01,
    momentum=0.9,
    feedback_time=30 * second,
    n_seeds=3,
    methods="bp,fa,rdd",
):
    """Train by BP, FA and RDD on the same data and initial weights, for ``n_seeds`` seeds.

    Parameters
    ----------
    duration : alias of ``feedback_time`` (simulated time of each epoch's feedback phase).
    dataset, data_dir : ``digits`` (bundled) or mnist / fashion-mnist / cifar10 / svhn files.
    hidden : hidden layer sizes, e.g. ``64,32``.
    epochs, batch_size, lr, momentum : SGD.
    feedback_time : simulated time of the spiking feedback phase before each epoch.
    n_seeds : seeds ``seed`` .. ``seed + n_seeds - 1``; metrics are their means.
    methods : comma-separated subset of ``bp,fa,rdd``.
    """
    if dataset not in DATASETS:
        raise ParameterError(f"dataset takes {', '.join(DATASETS)}, not '{dataset}'")
    chosen = tuple(m for m in methods.replace(" ", "").split(",") if m)
    if not chosen or any(m not in METHODS for m in chosen):
        raise ParameterError(f"methods takes a subset of {','.join(METHODS)}, not '{methods}'")
    hidden_sizes = parse_sizes(hidden, name="hidden", minimum=1)
    if epochs < 1 or n_seeds < 1:
        raise ParameterError("epochs and n_seeds must be at least 1")
    if duration is not None:
        feedback_time = duration
    data = load_dataset(dataset, data_dir or None)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    runs = {m: [] for m in chosen}
    for s in range(seed, seed + n_seeds):
        for m in chosen:
            runs[m].append(train(data=data, hidden=hidden_sizes, method=m, seed=s,
                                 epochs=epochs, batch_size=batch_size, lr=lr,
                                 momentum=momentum, feedback_time=feedback_time,
                                 device=device, log=log))
    params = dict(seed=seed, device=device, dataset=dataset, data_dir=data_dir,
                  hidden=",".join(map(str, hidden_sizes)), epochs=epochs,
                  batch_size=batch_size, lr=lr, momentum=momentum,
                  feedback_time=feedback_time, n_seeds=n_seeds, methods=",".join(chosen),
                  sizes=",".join(map(str, (data.n_features, *hidden_sizes, data.n_classes))))
    result = RunResult(model=NAME, params=params)
    result.traces["epoch"] = np.arange(epochs + 1)
    for m, rs in runs.items():
        err = np.array([r["test_error"] for r in rs])  # (seeds, epochs + 1)
        ang = np.array([r["angle"] for r in rs])       # (seeds, epochs, hidden layers)
        result.traces[f"{m}_test_error"] = err
        result.traces[f"{m}_angle_deg"] = ang
        result.metrics[f"test_error_{m}"] = float(err[:, -1].mean())
        result.metrics[f"test_error_{m}_sd"] = float(err[:, -1].std())
        final_angle = ang[:, -1, :].mean(axis=0)
        result.metrics[f"{m}_angle_deg_final"] = float(final_angle.max())
        for l, a in enumerate(final_angle):
            result.metrics[f"{m}_angle_deg_hidden{l + 1}"] = float(a)
        if m == "rdd":
            result.metrics["rdd_spiking_s"] = float(sum(r["spiking_s"] for r in rs))
    return result
