"""Delayed-memory XOR in a spiking network trained by exact gradient (Huh & Sejnowski 2018, Fig 3).

Input channel 0 carries two pulses of amplitude +-``amplitude`` (``pulse`` long) separated by
``delay``; channel 1 carries a go cue ``go_delay`` after the second pulse. After the go cue the
readout must hold +1 if the two pulses had different signs (XOR) and -1 if they had the same
sign; the loss is the mean squared error in that response window only. Both channels carry
white noise (``noise`` s.d. per step) and every trial starts from random phases, so the 100
test trials of each condition differ.

The delay (300 ms by default) is six synaptic time constants (50 ms), so the memory has to
be held by the network. The initial W has ``self_excitation`` on its diagonal, which puts the
neurons near the edge of bistability: alone, after a 50-ms pulse, a neuron with self-coupling
0.8 keeps firing (25-45 Hz) if I0 >= -0.4 and fires for about 200 ms and stops if I0 = -0.5
(measured; I0 starts in -0.5 +- 0.2). Gradient descent shapes these latches, their
cross-talk and the readout into XOR. With a random W alone (N(0, 1/N), no self-excitation) the
loss stayed at 1, the XOR plateau, for 400 Adam steps (measured). Accuracy: the sign of the
readout averaged over the response window.
"""

from __future__ import annotations

import numpy as np
from brian2 import ms, second

from models.gradient_snn import (Constants, initial_state, init_parameters, record_brian2,
                                 record_training, train_and_test)
from models.registry import ParameterError
from models.result import RunResult

NAME = "gradient-xor"
DESCRIPTION = "QIF network solving a delayed-memory XOR, trained by exact gradient (Huh & Sejnowski 2018)"
QUICK = dict(iterations=10, n_neurons=30, test_per_condition=5)
SUMMARY = ("accuracy_min_initial", "accuracy_min", "accuracy_mean", "loss_final", "rate_final_hz",
           "brian2_readout_max_diff", "brian2_same_decisions", "train_s")
#: condition c: first pulse sign (-1, +1)[c & 1], second (-1, +1)[c >> 1]
CONDITIONS = ("-,-", "+,-", "-,+", "+,+")


class Timeline:
    """Step indices of the pulses, the go cue and the response window."""

    def __init__(self, dt, start, pulse, delay, go_delay, response):
        def steps(q):
            return int(round(float(q / dt)))

        self.first = (steps(start), steps(start + pulse))
        self.second = (steps(start + pulse + delay), steps(start + 2 * pulse + delay))
        go = start + 2 * pulse + delay + go_delay
        self.go = (steps(go), steps(go + pulse))
        self.response = (steps(go + pulse), steps(go + pulse + response))
        self.steps = self.response[1]


def xor_trials(rng, conditions, timeline, amplitude, noise):
    """Inputs (T, B, 2) and targets (T, B, 1) of the given conditions (0-3)."""
    conditions = np.asarray(conditions)
    a = np.where(conditions & 1, 1.0, -1.0)
    b = np.where(conditions & 2, 1.0, -1.0)
    x = noise * rng.standard_normal((timeline.steps, len(conditions), 2))
    x[slice(*timeline.first), :, 0] += amplitude * a
    x[slice(*timeline.second), :, 0] += amplitude * b
    x[slice(*timeline.go), :, 1] += amplitude
    target = np.broadcast_to(np.where(a != b, 1.0, -1.0)[None, :, None],
                             (timeline.steps, len(conditions), 1)).copy()
    return x, target


def xor_task(timeline, amplitude, noise):
    """batch(rng, size) -> (inputs, targets, response-window MSE weights) for ``train``."""
    def batch(rng, size):
        x, target = xor_trials(rng, np.arange(size) % 4, timeline, amplitude, noise)
        weight = np.zeros((timeline.steps, size))
        weight[slice(*timeline.response)] = 1.0
        weight /= weight.sum()  # loss = mean squared error in the response window
        return x, target, weight

    return batch


def decisions(o, timeline):
    """Sign of the readout averaged over the response window, per trial."""
    return np.sign(o[slice(*timeline.response), :, 0].mean(axis=0))


def run_gradient_xor(
    *,
    duration=None,
    seed=1,
    device="cpp",
    n_neurons=80,
    start=50 * ms,
    pulse=50 * ms,
    delay=300 * ms,
    go_delay=250 * ms,
    response=250 * ms,
    amplitude=2.0,
    noise=0.1,
    dt=1 * ms,
    tau_v=10 * ms,
    tau_s=50 * ms,
    delta=0.5,
    iterations=300,
    batch_size=16,
    lr=5e-3,
    clip=1.0,
    current_weight=10.0,
    u_scale=1.0,
    w_scale=0.3,
    self_excitation=0.8,
    i0=-0.5,
    i0_spread=0.2,
    eval_every=10,
    test_per_condition=100,
    brian2_per_condition=2,
):
    """Train the delayed-memory XOR and test it in NumPy and in Brian2.

    Parameters
    ----------
    duration : not used (the trial length follows from the timeline).
    n_neurons : QIF neurons (80).
    start, pulse, delay, go_delay, response : the timeline: first pulse at ``start`` (50 ms),
        pulses and go cue ``pulse`` long (50 ms), ``delay`` between the pulses (300 ms),
        ``go_delay`` from the second pulse to the go cue (250 ms), then the response window
        (250 ms): 1 s per trial by default.
    amplitude, noise : pulse height (2) and white-noise s.d. per step on both channels (0.1).
    dt, tau_v, tau_s, delta : Euler step (1 ms), QIF time constant (10 ms), synaptic decay
        (50 ms), active zone width (0.5 rad).
    iterations, batch_size, lr, clip : Adam steps (300) on batches of 16 trials (4 of each
        condition), learning rate 5e-3, global gradient norm clipped at 1.
    current_weight : weight of the cost on currents that make the Euler step overshoot.
    u_scale, w_scale, self_excitation, i0, i0_spread : initial U ~ N(0, u_scale^2),
        W ~ N(0, w_scale^2 / N) + self_excitation on the diagonal, I0 ~ U(i0 +- i0_spread);
        O starts at zero.
    eval_every : iterations between validation passes (64 trials; the best parameters kept).
    test_per_condition : fresh test trials per condition (100); brian2_per_condition : of
        those, re-simulated in Brian2 on ``device`` (0: skip).
    """
    if duration is not None:
        raise ParameterError("gradient-xor: the trial length follows from the timeline "
                             "(start, pulse, delay, go_delay, response); use --set")
    if n_neurons < 1 or iterations < 0 or batch_size < 4 or test_per_condition < 1:
        raise ParameterError("n_neurons and test_per_condition must be at least 1, "
                             "batch_size at least 4, iterations at least 0")
    if not 0 <= brian2_per_condition <= test_per_condition:
        raise ParameterError("brian2_per_condition must be between 0 and test_per_condition")
    if float(delay / ms) < 0 or float(pulse / ms) <= 0 or float(response / ms) <= 0:
        raise ParameterError("pulse and response must be positive, delay non-negative")
    timeline = Timeline(dt, start, pulse, delay, go_delay, response)
    const = Constants(dt=float(dt / second), tau_v=float(tau_v / second),
                      tau_s=float(tau_s / second), delta=delta)
    batch = xor_task(timeline, amplitude, noise)
    rng = np.random.default_rng([seed, 1])
    params0 = init_parameters(rng, 2, n_neurons, 1, u_scale=u_scale, w_scale=w_scale,
                              self_excitation=self_excitation, i0_mean=i0,
                              i0_spread=i0_spread)
    val_rng, test_rng = np.random.default_rng([seed, 2]), np.random.default_rng([seed, 3])
    validation = (*batch(val_rng, 64), *initial_state(val_rng, 64, n_neurons))
    conditions = np.repeat(np.arange(4), test_per_condition)
    x_test, y_test = xor_trials(test_rng, conditions, timeline, amplitude, noise)
    v0, s0 = initial_state(test_rng, len(conditions), n_neurons)

    params, history, before, after = train_and_test(
        params0, batch, const, test=(x_test, v0, s0), rng=rng, iterations=iterations,
        batch_size=batch_size, lr=lr, clip=clip, current_weight=current_weight,
        validation=validation, eval_every=eval_every, label=NAME)
    truth = y_test[0, :, 0]
    result = RunResult(model=NAME, params=dict(
        seed=seed, device=device, n_neurons=n_neurons, start=start, pulse=pulse, delay=delay,
        go_delay=go_delay, response=response, amplitude=amplitude, noise=noise, dt=dt,
        tau_v=tau_v, tau_s=tau_s, delta=delta, iterations=iterations, batch_size=batch_size,
        lr=lr, clip=clip, current_weight=current_weight, u_scale=u_scale, w_scale=w_scale,
        self_excitation=self_excitation, i0=i0, i0_spread=i0_spread, eval_every=eval_every,
        test_per_condition=test_per_condition, brian2_per_condition=brian2_per_condition))
    m = result.metrics
    decided = {"initial": decisions(before.o, timeline), "final": decisions(after.o, timeline)}
    for label, traj in (("initial", before), ("final", after)):
        correct = decided[label] == truth
        per = [float(correct[conditions == c].mean()) for c in range(4)]
        suffix = "" if label == "final" else "_initial"
        for c, acc in enumerate(per):
            m[f"accuracy_{CONDITIONS[c]}{suffix}"] = acc
        m[f"accuracy_min{suffix}"] = min(per)
        m[f"accuracy_mean{suffix}"] = float(np.mean(per))
        resp = slice(*timeline.response)
        m[f"loss{suffix or '_final'}"] = float(np.mean((traj.o[resp] - y_test[resp]) ** 2))
        m[f"rate_{label}_hz"] = float(traj.spikes.mean() / const.dt)
    m["trial_s"] = timeline.steps * const.dt
    record_training(result, params0, params, history, iterations)
    # one test trial of each condition for the figure
    shown = np.array([np.flatnonzero(conditions == c)[0] for c in range(4)])
    result.traces.update(
        t=np.arange(1, timeline.steps + 1) * const.dt, x_shown=x_test[:, shown],
        target_shown=y_test[:, shown], o_initial=before.o[:, shown], o_final=after.o[:, shown],
        decision_final=decided["final"], conditions=conditions,
        timeline=np.array([*timeline.first, *timeline.second, *timeline.go,
                           *timeline.response]) * const.dt)
    for label, traj in (("initial", before), ("final", after)):
        for c, trial in enumerate(shown):
            step, neuron = np.nonzero(traj.spikes[:, trial])
            result.spikes[f"{label}_{c}"] = (neuron, (step + 1) * const.dt)
    if brian2_per_condition:
        idx = np.concatenate([np.flatnonzero(conditions == c)[:brian2_per_condition]
                              for c in range(4)])
        b2 = record_brian2(result, params, const, (x_test, v0, s0), after, idx, device=device,
                           seed=seed, name=NAME)
        b2_decided = decisions(b2["o"], timeline)
        m["brian2_same_decisions"] = bool(np.array_equal(b2_decided, decided["final"][idx]))
        m["brian2_accuracy"] = float(np.mean(b2_decided == truth[idx]))
    return result
