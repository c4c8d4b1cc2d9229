"""Spike-based auto-encoding trained by exact gradient descent (Huh & Sejnowski 2018, Fig 2).

A network of QIF neurons (``models.gradient_snn``) gets a smooth random 2-D signal x(t)
through U and must reproduce it in its readout o = O s. U, W, O and I0 are trained by Adam on
the exact gradient of the normalised squared error (NMSE) of the discretised network, on
fresh random signals every step; the first ``warmup`` of every trial (the network starting
from random phases and s = 0) is left out of the loss and of the NMSE. The readout starts at
O = 0, so the initial NMSE is 1; the best linear readout of the untrained network (least
squares on the test signals) is reported next to it, so the gain that the recurrent network
brings is visible. Then the trained network runs in Brian2 (C++ standalone by default) on
test signals, and its readout is compared with the NumPy one.
"""

from __future__ import annotations

import numpy as np
from brian2 import ms, second
from scipy.ndimage import gaussian_filter1d

from models.gradient_snn import (Constants, initial_state, init_parameters, record_brian2,
                                 record_training, train_and_test)
from models.registry import ParameterError
from models.result import RunResult

NAME = "gradient-autoencode"
DESCRIPTION = "QIF network auto-encoding a 2-D signal, trained by exact gradient (Huh & Sejnowski 2018)"
QUICK = dict(iterations=40, n_neurons=20, test_trials=4)
SUMMARY = ("nmse_initial", "nmse_initial_best_readout", "nmse_final", "nmse_drop",
           "rate_final_hz", "brian2_readout_max_diff", "train_s")
N_INPUTS = 2


def smooth_signal(rng, steps, trials, dims, smoothing_steps, amplitude):
    """White noise convolved with a Gaussian (s.d. ``smoothing_steps``), unit variance x amplitude."""
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
    return float(np.sum((o - x)[warmup_steps:] ** 2) / np.sum(x[warmup_steps:] ** 2))


def best_readout_nmse(s, x, warmup_steps):
    """NMSE of the least-squares linear readout (with offset) of s, fitted on these trials."""
    S = s[warmup_steps:].reshape(-1, s.shape[-1])
    X = x[warmup_steps:].reshape(-1, x.shape[-1])
    A = np.c_[S, np.ones(len(S))]
    coef, *_ = np.linalg.lstsq(A, X, rcond=None)
    return float(np.sum((A @ coef - X) ** 2) / np.sum(X ** 2))


def run_gradient_autoencode(
    *,
    duration=None,
    seed=1,
    device="cpp",
    n_neurons=50,
    trial=500 * ms,
    warmup=100 * ms,
    smoothing=100 * ms,
    amplitude=1.0,
    dt=0.5 * ms,
    tau_v=10 * ms,
    tau_s=20 * ms,
    delta=0.5,
    iterations=800,
    batch_size=8,
    lr=3e-3,
    clip=1.0,
    current_weight=10.0,
    u_scale=1.0,
    i0=-0.1,
    eval_every=25,
    test_trials=16,
    brian2_trials=2,
):
    """Train the auto-encoder and test it in NumPy and in Brian2.

    Parameters
    ----------
    duration : alias of ``trial``.
    n_neurons : QIF neurons (50). trial : length of one training or test trial (500 ms);
        warmup : start of each trial left out of loss and NMSE (100 ms).
    smoothing, amplitude : s.d. of the Gaussian that smooths the white-noise signal (100 ms)
        and its standard deviation (1).
    dt : Euler step (0.5 ms). tau_v : QIF time constant (10 ms). tau_s : synaptic decay
        (20 ms). delta : width of the active zone around pi (0.5 rad).
    iterations, batch_size, lr, clip : Adam steps (800) on batches of 8 fresh trials,
        learning rate 3e-3, global gradient norm clipped at 1.
    current_weight : weight of the cost on currents that make the Euler step overshoot
        (``gradient_snn.current_cost``).
    u_scale, i0 : initial U ~ N(0, u_scale^2) and bias I0 (-0.1: quiet without input);
        W and O start at zero.
    eval_every : iterations between validation passes (the best parameters are kept).
    test_trials : fresh test signals for the NMSE; brian2_trials : of those, re-simulated in
        Brian2 on ``device`` (0: skip).
    """
    if duration is not None:
        trial = duration
    steps, warm = int(round(float(trial / dt))), int(round(float(warmup / dt)))
    if n_neurons < 1 or iterations < 0 or batch_size < 1 or test_trials < 1:
        raise ParameterError("n_neurons, batch_size and test_trials must be at least 1, "
                             "iterations at least 0")
    if not 0 <= warm < steps:
        raise ParameterError("warmup must be shorter than the trial")
    if not 0 <= brian2_trials <= test_trials:
        raise ParameterError("brian2_trials must be between 0 and test_trials")
    const = Constants(dt=float(dt / second), tau_v=float(tau_v / second),
                      tau_s=float(tau_s / second), delta=delta)
    batch = autoencode_task(steps, warm, float(smoothing / dt), amplitude)
    rng = np.random.default_rng([seed, 1])
    params0 = init_parameters(rng, N_INPUTS, n_neurons, N_INPUTS, u_scale=u_scale, i0_mean=i0)
    val_rng, test_rng = np.random.default_rng([seed, 2]), np.random.default_rng([seed, 3])
    validation = (*batch(val_rng, 16), *initial_state(val_rng, 16, n_neurons))
    x_test, _, _ = batch(test_rng, test_trials)
    v0, s0 = initial_state(test_rng, test_trials, n_neurons)

    params, history, before, after = train_and_test(
        params0, batch, const, test=(x_test, v0, s0), rng=rng, iterations=iterations,
        batch_size=batch_size, lr=lr, clip=clip, current_weight=current_weight,
        validation=validation, eval_every=eval_every, label=NAME)
    result = RunResult(model=NAME, params=dict(
        seed=seed, device=device, n_neurons=n_neurons, trial=trial, warmup=warmup,
        smoothing=smoothing, amplitude=amplitude, dt=dt, tau_v=tau_v, tau_s=tau_s, delta=delta,
        iterations=iterations, batch_size=batch_size, lr=lr, clip=clip,
        current_weight=current_weight, u_scale=u_scale, i0=i0, eval_every=eval_every,
        test_trials=test_trials, brian2_trials=brian2_trials))
    m = result.metrics
    m["nmse_initial"] = nmse(before.o, x_test, warm)
    m["nmse_initial_best_readout"] = best_readout_nmse(before.s[1:], x_test, warm)
    m["nmse_final"] = nmse(after.o, x_test, warm)
    m["nmse_final_best_readout"] = best_readout_nmse(after.s[1:], x_test, warm)
    m["nmse_drop"] = m["nmse_initial"] / m["nmse_final"]
    seconds = steps * const.dt
    m["rate_initial_hz"] = float(before.spikes.sum() / (n_neurons * test_trials * seconds))
    m["rate_final_hz"] = float(after.spikes.sum() / (n_neurons * test_trials * seconds))
    m["validation_nmse_best"] = float(np.min(history["validation_loss"]))
    record_training(result, params0, params, history, iterations)
    result.traces.update(t=np.arange(1, steps + 1) * const.dt, x_test=x_test,
                         o_initial=before.o, o_final=after.o)
    for label, traj in (("initial", before), ("final", after)):
        step, trial, neuron = np.nonzero(traj.spikes)
        keep = trial == 0  # the raster of the first test trial
        result.spikes[label] = (neuron[keep], (step[keep] + 1) * const.dt)
    if brian2_trials:
        sl = slice(0, brian2_trials)
        b2 = record_brian2(result, params, const, (x_test, v0, s0), after, sl, device=device,
                           seed=seed, name=NAME)
        m["brian2_nmse"] = nmse(b2["o"], x_test[:, sl], warm)
    return result

