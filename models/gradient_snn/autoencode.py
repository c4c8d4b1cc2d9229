"""Spike-based auto-encoding trained by exact gradient descent (Huh & Sejnowski 2018, Fig 2).

A network of QIF neurons (``reference.py``) gets a smooth random 2-D signal x(t) through U
and must reproduce it in its readout o = O s. U, W, O and I0 are trained by Adam on the exact
gradient of the normalised squared error (NMSE) of the discretised network, on fresh random
signals every step; the first ``warmup`` of every trial (the network starting from random
phases and s = 0) is left out of the loss and of the NMSE. The readout starts at O = 0, so the
initial NMSE is 1; the best linear readout of the untrained network (least squares on the test
signals) is reported next to it, so the gain that the recurrent network brings is visible.
Then the trained network runs in Brian2 (C++ standalone by default) on test signals, and its
readout is compared with the NumPy one. Phases:

1. :func:`draw_inputs`: initial parameters, validation batch and test signals, from the seed;
2. ``experiment.learn``: Adam on the exact gradient, then both networks on the test signals;
3. :func:`measure`: NMSE before and after training, best linear readouts, rates;
4. :func:`record_test`: readouts and rasters of the test signals;
5. :func:`compare_brian2`: the trained network re-simulated in Brian2 on a few of them.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from analysis.io import RunResult
from models.gradient_snn.experiment import (Inputs, learn, record_training, resimulate,
                                            seed_generators, validation_batch)
from models.gradient_snn.reference import init_parameters, initial_state

NAME = "gradient-autoencode"
#: metrics of the one-line summary
SUMMARY = ("nmse_initial", "nmse_initial_best_readout", "nmse_final", "nmse_drop",
           "rate_final_hz", "brian2_readout_max_diff", "train_s")
#: dimensions of the signal (and of the readout)
N_INPUTS = 2


def smooth_signal(rng, steps, trials, dims, smoothing_steps, amplitude):
    """White noise convolved with a Gaussian (s.d. ``smoothing_steps``), unit variance x
    amplitude."""
    pad = int(4 * smoothing_steps)
    noise = rng.standard_normal((steps + 2 * pad, trials, dims))
    z = gaussian_filter1d(noise, smoothing_steps, axis=0, mode="constant")[pad: pad + steps]
    # a unit-variance white noise filtered by a normalised Gaussian has variance 1 / (2 sqrt(pi) sd)
    return amplitude * z * np.sqrt(2 * np.sqrt(np.pi) * smoothing_steps)


def autoencode_task(steps, warmup_steps, smoothing_steps, amplitude):
    """batch(rng, size) -> (signal, the same signal as target, NMSE weights) for ``train``."""
    def batch(rng, size):
        x = smooth_signal(rng, steps, size, N_INPUTS, smoothing_steps, amplitude)
        weight = np.ones((steps, size))
        weight[:warmup_steps] = 0.0
        weight /= np.sum(weight[:, :, None] * x ** 2)   # loss = NMSE
        return x, x, weight

    return batch


def nmse(o, x, warmup_steps):
    """Squared error of the readout o over that of the signal x, after the warm-up."""
    return float(np.sum((o - x)[warmup_steps:] ** 2) / np.sum(x[warmup_steps:] ** 2))


def best_readout_nmse(s, x, warmup_steps):
    """NMSE of the least-squares linear readout (with offset) of s, fitted on these trials."""
    S = s[warmup_steps:].reshape(-1, s.shape[-1])
    X = x[warmup_steps:].reshape(-1, x.shape[-1])
    A = np.c_[S, np.ones(len(S))]
    coef, *_ = np.linalg.lstsq(A, X, rcond=None)
    return float(np.sum((A @ coef - X) ** 2) / np.sum(X ** 2))


def draw_inputs(p):
    """Phase 1: the task's batches, initial parameters (U ~ N(0, u_scale^2), W = O = 0,
    I0 = i0), the validation batch and the test signals with their initial states."""
    batch = autoencode_task(p.steps(p.trial), p.steps(p.warmup), float(p.smoothing / p.dt),
                            p.amplitude)
    rng, val_rng, test_rng = seed_generators(p.seed)
    params0 = init_parameters(rng, N_INPUTS, p.n_neurons, N_INPUTS, u_scale=p.u_scale,
                              i0_mean=p.i0)
    validation = validation_batch(batch, val_rng, p.VALIDATION_TRIALS, p.n_neurons)
    x_test, _, _ = batch(test_rng, p.test_trials)
    v0, s0 = initial_state(test_rng, p.test_trials, p.n_neurons)
    return Inputs(batch, rng, params0, validation, (x_test, v0, s0), x_test)


def measure(p, inputs, trained, result):
    """Phase 3: NMSE of the readout and of the best linear readout, before and after
    training (the warm-up left out), and the mean rates."""
    x_test, warm = inputs.target, p.steps(p.warmup)
    before, after = trained.before, trained.after
    m = result.metrics
    m["nmse_initial"] = nmse(before.o, x_test, warm)
    m["nmse_initial_best_readout"] = best_readout_nmse(before.s[1:], x_test, warm)
    m["nmse_final"] = nmse(after.o, x_test, warm)
    m["nmse_final_best_readout"] = best_readout_nmse(after.s[1:], x_test, warm)
    m["nmse_drop"] = m["nmse_initial"] / m["nmse_final"]
    seconds = p.steps(p.trial) * p.constants().dt
    for label, traj in (("initial", before), ("final", after)):
        m[f"rate_{label}_hz"] = float(traj.spikes.sum()
                                      / (p.n_neurons * p.test_trials * seconds))
    m["validation_nmse_best"] = float(np.min(trained.history["validation_loss"]))


def record_test(p, inputs, trained, result):
    """Phase 4: the test signals and both readouts, and the rasters of the first test
    signal before and after training."""
    dt = p.constants().dt
    result.traces.update(t=np.arange(1, p.steps(p.trial) + 1) * dt, x_test=inputs.target,
                         o_initial=trained.before.o, o_final=trained.after.o)
    for label, traj in (("initial", trained.before), ("final", trained.after)):
        step, trial, neuron = np.nonzero(traj.spikes)
        keep = trial == 0
        result.spikes[label] = (neuron[keep], (step[keep] + 1) * dt)


def compare_brian2(p, inputs, trained, result):
    """Phase 5: the first ``brian2_trials`` test signals re-simulated in Brian2."""
    if not p.brian2_trials:
        return
    sl = slice(0, p.brian2_trials)
    b2 = resimulate(p, result, trained, inputs.test, sl, NAME)
    if b2 is not None:
        result.metrics["brian2_nmse"] = nmse(b2["o"], inputs.target[:, sl], p.steps(p.warmup))


def run(p):
    """Train the auto-encoder and test it in NumPy and in Brian2 (``p``:
    :class:`models.gradient_snn.AutoencodeParams`)."""
    result = RunResult(model=NAME, params=p.to_json())
    inputs = draw_inputs(p)
    trained = learn(p, inputs, NAME)
    measure(p, inputs, trained, result)
    record_training(result, trained, p.iterations)
    record_test(p, inputs, trained, result)
    compare_brian2(p, inputs, trained, result)
    return result
