"""The phases both tasks share: draw from the seed, train, test, re-simulate in Brian2.

A task (``autoencode.py``, ``xor.py``) draws its trials and initial parameters from three
generators of the seed (:class:`Inputs`), trains them with :func:`learn` (Adam on the exact
gradient of ``reference.py``; the parameters with the lowest loss on a fixed validation batch
are kept), runs the initial and the trained network on its test trials, and re-simulates some
of those in Brian2 with :func:`resimulate`, which records how closely Brian2 follows NumPy.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from analysis.weights import relative_distance
from models.gradient_snn.network import simulate
from models.gradient_snn.reference import (Adam, Trajectory, current_cost, forward, gradients,
                                           initial_state, squared_error)


@dataclass
class Inputs:
    """What a task draws from its seed before training."""

    batch: Callable  # batch(rng, size) -> (x, target, loss weight): fresh training trials
    rng: np.random.Generator  # drew params0; goes on to draw every batch and initial state
    params0: dict  # initial U, W, O, I0
    validation: tuple  # (x, target, weight, v0, s0): the fixed batch that picks the best
    test: tuple  # (x (T, B, K), v0, s0): the test trials and their initial state
    target: np.ndarray  # (T, B, M): the readout the test trials ask for


@dataclass
class Trained:
    """The parameters before and after training, and both networks on the test trials."""

    params0: dict
    params: dict
    history: dict  # loss curves, skipped steps, train_s (see :func:`train`)
    before: Trajectory  # the initial network on the test trials
    after: Trajectory  # the trained network on the test trials


def seed_generators(seed):
    """Three independent generators of one seed: training (initial parameters, then every
    batch), validation and test."""
    return tuple(np.random.default_rng([seed, k]) for k in (1, 2, 3))


def validation_batch(batch, rng, size, n_neurons):
    """A fixed batch (x, target, weight, v0, s0) of ``size`` trials for :func:`train`."""
    return (*batch(rng, size), *initial_state(rng, size, n_neurons))


class Progress:
    """One-line progress bar with the loss on stderr (a line per update when not a terminal)."""

    def __init__(self, total, label, every=None):
        self.total, self.label = total, label
        self.every = every or max(1, total // 20)
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def __call__(self, i, loss, extra=""):
        done = i + 1
        if not (self.tty or done % self.every == 0 or done == self.total):
            return
        width = 30
        bar = "#" * int(width * done / self.total)
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / done * (self.total - done)
        line = (f"{self.label} [{bar:<{width}}] {done}/{self.total} loss {loss:.4g}{extra} "
                f"({elapsed:.0f} s, {eta:.0f} s left)")
        if self.tty:
            print("\r" + line, end="\n" if done == self.total else "", file=sys.stderr,
                  flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def train(params, batch, const, *, rng, iterations, batch_size, lr, clip, current_weight,
          validation, eval_every, label):
    """Adam on the exact gradient; keeps the parameters with the lowest validation loss.

    batch(rng, size) -> (x (T, B, K), target (T, B, M), weight (T, B)): the task's trials;
    the loss is sum(weight (o - target)^2), so the weight holds the normalisation (NMSE or
    MSE). validation : (x, target, weight, v0, s0), a fixed batch. A step whose gradient is
    not finite is skipped (counted in the history). Returns (best params, history dict).
    """
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    opt = Adam(lr=lr, clip=clip)
    progress = Progress(iterations, label)
    history = dict(iteration=[], loss=[], grad_norm=[], eval_iteration=[], validation_loss=[],
                   skipped=0)
    best, best_loss = None, np.inf

    def validate(i):
        nonlocal best, best_loss
        x, target, weight, v0, s0 = validation
        loss, _ = squared_error(forward(params, x, const, v0, s0).o, target, weight)
        history["eval_iteration"].append(i)
        history["validation_loss"].append(loss)
        if loss < best_loss:
            best, best_loss = {k: v.copy() for k, v in params.items()}, loss
        return loss

    val = validate(0)
    for i in range(iterations):
        x, target, weight = batch(rng, batch_size)
        v0, s0 = initial_state(rng, batch_size, params["W"].shape[0])
        traj = forward(params, x, const, v0, s0)
        loss, dl_do = squared_error(traj.o, target, weight)
        _, dl_dcur = current_cost(traj.current, const, current_weight)
        grads = gradients(params, traj, dl_do, const, dl_dcurrent=dl_dcur)
        if not all(np.all(np.isfinite(g)) for g in grads.values()):
            history["skipped"] += 1
            continue
        norm = opt.update(params, grads)
        history["iteration"].append(i + 1)
        history["loss"].append(loss)
        history["grad_norm"].append(norm)
        if (i + 1) % eval_every == 0 or i + 1 == iterations:
            val = validate(i + 1)
        progress(i, loss, f", validation {val:.4g} (best {best_loss:.4g})")
    history = {k: np.asarray(v) if isinstance(v, list) else v for k, v in history.items()}
    return best, history



def learn(p, inputs, label):
    """Train from ``inputs.params0`` with the settings of ``p``, then run the initial and
    the trained network on the test trials. Returns a :class:`Trained`."""
    const = p.constants()
    t0 = time.perf_counter()
    params, history = train(inputs.params0, inputs.batch, const, rng=inputs.rng,
                            iterations=p.iterations, batch_size=p.batch_size, lr=p.lr,
                            clip=p.clip, current_weight=p.current_weight,
                            validation=inputs.validation, eval_every=p.eval_every, label=label)
    history["train_s"] = time.perf_counter() - t0
    x, v0, s0 = inputs.test
    return Trained(inputs.params0, params, history, forward(inputs.params0, x, const, v0, s0),
                   forward(params, x, const, v0, s0))


def record_training(result, trained, iterations):
    """Initial and trained parameters, loss curves and training time into a RunResult."""
    for name in trained.params:
        result.weights[f"{name}_initial"] = trained.params0[name]
        result.weights[f"{name}_final"] = trained.params[name]
    history = trained.history
    result.traces.update({k: history[k] for k in ("iteration", "loss", "grad_norm",
                                                   "eval_iteration", "validation_loss")})
    train_s = history["train_s"]
    result.metrics.update(train_s=train_s, train_s_per_iteration=train_s / max(iterations, 1),
                          skipped_steps=int(history["skipped"]))


def resimulate(p, result, trained, test, trials, name):
    """Re-simulate some test trials with the trained parameters in Brian2 on ``p.device``;
    record how closely it follows the NumPy run.

    ``test`` = (x, v0, s0) as in :class:`Inputs`, ``trials`` the trials to re-simulate (an
    index or a slice). Returns the Brian2 run (``network.simulate``; None if only building).
    """
    x, v0, s0 = test
    o_numpy, spikes_numpy = trained.after.o[:, trials], trained.after.spikes[:, trials]
    print(f"{name}: re-simulating {o_numpy.shape[1]} test trials in Brian2 [{p.device}]",
          file=sys.stderr, flush=True)
    b2 = simulate(trained.params, x[:, trials], p.constants(), v0[trials], s0[trials],
                  device=p.device, seed=p.seed, name=name, build_only=p.build_only)
    m = result.metrics
    m.update({f"brian2_{k}": float(v) for k, v in b2["timings"].items()})
    if "o" not in b2:
        return None
    m["brian2_readout_max_diff"] = float(np.max(np.abs(b2["o"] - o_numpy)))
    m["brian2_readout_rel_diff"] = relative_distance(b2["o"], o_numpy)
    m["brian2_spikes_identical"] = bool(np.array_equal(b2["spikes"], spikes_numpy))
    result.traces["brian2_o"] = b2["o"]
    return b2
