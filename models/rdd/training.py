"""The rdd-training experiment: a network trained with the feedback the spiking phase learns.

Guerguiev, Kording & Richards (ICLR 2020): a rate network (NumPy) is trained by SGD with
errors carried backwards through feedback matrices Y_l instead of W_l^T, and each training
epoch alternates with a feedback phase, in which the spiking network of ``network.py``
(Brian2) runs with the current forward weights and its RDD estimators (which persist across
epochs) give the new Y_l. Three ways of choosing Y:

``bp``   exact backpropagation, Y_l = W_l^T;
``fa``   feedback alignment, a fixed random Y_l;
``rdd``  Y_l from the RDD estimates, rescaled to the spread of the FA matrices (rdd_feedback).

Network: input -> ReLU hidden layers -> softmax, cross-entropy loss, SGD with momentum. The
spiking phase covers the layers that need feedback: hidden_1 -> ... -> output, each estimating
layer driven for an equal share of ``feedback_time`` per epoch. The compiled Brian2 project
is built once and rerun every epoch with new weights and estimator states as run arguments.
Phases: :func:`train` (per method and seed: :func:`feedback_phase`, then :func:`sgd_epoch`,
each epoch) and :func:`summarise`.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from analysis.alignment import angle_deg
from analysis.datasets import load_dataset
from analysis.io import RunResult
from models.common.ratenet import init_weights, sgd_epoch, test_error
from models.rdd.network import rdd_feedback, simulate_feedback
from models.rdd.params import AlignmentParams

NAME = "rdd-training"

#: metrics of the one-line summary
SUMMARY = ("test_error_bp", "test_error_rdd", "test_error_fa", "rdd_angle_deg_final",
           "fa_angle_deg_final")


# -- phases ----------------------------------------------------------------------------------

def feedback_phase(ws, fa, state, *, seed, feedback_time, spiking):
    """The spiking feedback phase on the layers that need feedback (hidden_1 -> ... ->
    output) with the current forward weights, its RDD estimators started from ``state``.

    Returns (Y_l for l = 1 .. L-1, the estimator state to carry on to the next epoch).
    """
    out = simulate_feedback(weights=ws[1:], duration=feedback_time, seed=seed,
                            rules_used=("rdd",), initial=state, progress=False, **spiking)
    state = {k: v for k, v in out["final"].items() if not k.endswith("beta")}
    feedback = [rdd_feedback(out["final"][f"rdd{l - 1}_beta"], fa[l])
                for l in range(1, len(ws))]
    return feedback, state


def train(*, data, hidden, method, seed, epochs, batch_size, lr, momentum, feedback_time,
          spiking, log=None):
    """Train one network; returns per-epoch test errors and feedback angles per layer.

    ``spiking``: the network, drive and rule keywords of the feedback phase
    (:meth:`models.rdd.params.AlignmentParams.feedback_keywords`).
    """
    sizes = (data.n_features, *hidden, data.n_classes)
    rng = np.random.default_rng([seed, 2])
    ws, bs = init_weights(rng, sizes)
    fa = [w.T.copy() for w in init_weights(rng, sizes)[0]]  # fixed random Y: one more draw
    velocity = ([np.zeros_like(w) for w in ws], [np.zeros_like(b) for b in bs])
    state, feedback = None, [f.copy() for f in fa]
    errors, angles, sim_s = [test_error(ws, bs, data.x_test, data.y_test)], [], 0.0
    for epoch in range(epochs):
        if method == "bp":
            feedback = [w.T.copy() for w in ws]
        elif method == "rdd":
            t0 = time.perf_counter()
            feedback[1:], state = feedback_phase(ws, fa, state, seed=seed * 1000 + epoch,
                                                 feedback_time=feedback_time,
                                                 spiking=spiking)
            sim_s += time.perf_counter() - t0
        angles.append([angle_deg(feedback[l], ws[l]) for l in range(1, len(ws))])
        sgd_epoch(ws, bs, velocity, feedback, data.x_train, data.y_train, rng,
                  method=method, batch_size=batch_size, lr=lr, momentum=momentum)
        errors.append(test_error(ws, bs, data.x_test, data.y_test))
        if log:
            log(f"{method} seed {seed} epoch {epoch + 1}/{epochs}: test error "
                f"{errors[-1]:.4f}, feedback angle "
                + "/".join(f"{a:.1f}" for a in angles[-1]) + " deg")
    return dict(test_error=np.array(errors), angle=np.array(angles), spiking_s=sim_s)


def summarise(p, runs, result):
    """Test errors and feedback angles of every method (traces: per seed and epoch;
    metrics: means over the seeds at the end)."""
    result.traces["epoch"] = np.arange(p.epochs + 1)
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


def spiking_keywords(p):
    """The feedback phase's network: the RDD paper's (the defaults of rdd-alignment), on the
    target (and with ``build_only``) of the training record ``p``."""
    return AlignmentParams(device=p.device, build_only=p.build_only).feedback_keywords()


def build_feedback_phase(p, data, result):
    """``build_only``: generate and compile the feedback phase's project (the one every
    epoch of rdd reruns) without running it."""
    sizes = (data.n_features, *p.hidden_sizes, data.n_classes)
    ws, _ = init_weights(np.random.default_rng([p.seed, 2]), sizes)
    out = simulate_feedback(weights=ws[1:], duration=p.feedback_time, seed=p.seed * 1000,
                            rules_used=("rdd",), progress=False,
                            **spiking_keywords(p))
    result.metrics.update(out["timings"])
    return result


def _log(message):
    print(message, file=sys.stderr, flush=True)


def run(p):
    """Train by BP, FA and RDD on the same data and initial weights, for ``p.n_seeds`` seeds
    (``p``: :class:`models.rdd.TrainingParams`)."""
    result = RunResult(model=NAME, params=p.to_json())
    data = load_dataset(p.dataset, p.data_dir or None)
    if p.build_only:
        return build_feedback_phase(p, data, result)
    runs = {m: [] for m in p.method_names}
    for seed in range(p.seed, p.seed + p.n_seeds):
        for m in p.method_names:
            runs[m].append(train(data=data, hidden=p.hidden_sizes, method=m, seed=seed,
                                 epochs=p.epochs, batch_size=p.batch_size, lr=p.lr,
                                 momentum=p.momentum, feedback_time=p.feedback_time,
                                 spiking=spiking_keywords(p), log=_log))
    summarise(p, runs, result)
    return result
