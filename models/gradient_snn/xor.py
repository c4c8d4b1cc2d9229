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

Phases:

1. :func:`draw_inputs`: initial parameters, validation batch and test trials, from the seed;
2. ``experiment.learn``: Adam on the exact gradient, then both networks on the test trials;
3. :func:`measure`: decisions, accuracy per condition, loss and rates before and after;
4. :func:`record_shown`: inputs, readouts and rasters of one test trial per condition;
5. :func:`compare_brian2`: the trained network re-simulated in Brian2 on a few test trials.
"""

from __future__ import annotations

import numpy as np

from analysis.io import RunResult
from models.gradient_snn.experiment import (Inputs, learn, record_training, resimulate,
                                            seed_generators, validation_batch)
from models.gradient_snn.reference import init_parameters, initial_state

NAME = "gradient-xor"
#: metrics of the one-line summary
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


def timeline_of(p):
    """The :class:`Timeline` of the parameters ``p``."""
    return Timeline(p.dt, p.start, p.pulse, p.delay, p.go_delay, p.response)


def trial_conditions(p):
    """Condition of every test trial: ``test_per_condition`` of each, in condition order."""
    return np.repeat(np.arange(4), p.test_per_condition)


def draw_inputs(p, tl):
    """Phase 1: the task's batches, initial parameters (see ``reference.init_parameters``;
    O = 0), the validation batch and the test trials with their initial states."""
    batch = xor_task(tl, p.amplitude, p.noise)
    rng, val_rng, test_rng = seed_generators(p.seed)
    params0 = init_parameters(rng, 2, p.n_neurons, 1, u_scale=p.u_scale, w_scale=p.w_scale,
                              self_excitation=p.self_excitation, i0_mean=p.i0,
                              i0_spread=p.i0_spread)
    validation = validation_batch(batch, val_rng, p.VALIDATION_TRIALS, p.n_neurons)
    conditions = trial_conditions(p)
    x_test, y_test = xor_trials(test_rng, conditions, tl, p.amplitude, p.noise)
    v0, s0 = initial_state(test_rng, len(conditions), p.n_neurons)
    return Inputs(batch, rng, params0, validation, (x_test, v0, s0), y_test)


def measure(p, tl, inputs, trained, result):
    """Phase 3: accuracy per condition, its minimum and mean, the loss in the response window
    and the mean rate, before and after training. Returns the decisions {initial, final}."""
    conditions, truth, y_test = trial_conditions(p), inputs.target[0, :, 0], inputs.target
    dt = p.constants().dt
    m = result.metrics
    decided = {"initial": decisions(trained.before.o, tl),
               "final": decisions(trained.after.o, tl)}
    for label, traj in (("initial", trained.before), ("final", trained.after)):
        correct = decided[label] == truth
        per = [float(correct[conditions == c].mean()) for c in range(4)]
        suffix = "" if label == "final" else "_initial"
        for c, acc in enumerate(per):
            m[f"accuracy_{CONDITIONS[c]}{suffix}"] = acc
        m[f"accuracy_min{suffix}"] = min(per)
        m[f"accuracy_mean{suffix}"] = float(np.mean(per))
        resp = slice(*tl.response)
        m[f"loss{suffix or '_final'}"] = float(np.mean((traj.o[resp] - y_test[resp]) ** 2))
        m[f"rate_{label}_hz"] = float(traj.spikes.mean() / dt)
    m["trial_s"] = tl.steps * dt
    return decided


def record_shown(p, tl, inputs, trained, decided, result):
    """Phase 4: one test trial of each condition (inputs, targets, readouts, rasters), the
    final decisions and the conditions of all test trials, and the timeline in s."""
    dt, conditions = p.constants().dt, trial_conditions(p)
    x_test = inputs.test[0]
    shown = np.array([np.flatnonzero(conditions == c)[0] for c in range(4)])
    result.traces.update(
        t=np.arange(1, tl.steps + 1) * dt, x_shown=x_test[:, shown],
        target_shown=inputs.target[:, shown], o_initial=trained.before.o[:, shown],
        o_final=trained.after.o[:, shown], decision_final=decided["final"],
        conditions=conditions,
        timeline=np.array([*tl.first, *tl.second, *tl.go, *tl.response]) * dt)
    for label, traj in (("initial", trained.before), ("final", trained.after)):
        for c, trial in enumerate(shown):
            step, neuron = np.nonzero(traj.spikes[:, trial])
            result.spikes[f"{label}_{c}"] = (neuron, (step + 1) * dt)


def compare_brian2(p, tl, inputs, trained, decided, result):
    """Phase 5: the first ``brian2_per_condition`` test trials of each condition re-simulated
    in Brian2; do they give the NumPy decisions?"""
    if not p.brian2_per_condition:
        return
    conditions = trial_conditions(p)
    idx = np.concatenate([np.flatnonzero(conditions == c)[:p.brian2_per_condition]
                          for c in range(4)])
    b2 = resimulate(p, result, trained, inputs.test, idx, NAME)
    if b2 is None:
        return
    b2_decided = decisions(b2["o"], tl)
    m = result.metrics
    m["brian2_same_decisions"] = bool(np.array_equal(b2_decided, decided["final"][idx]))
    m["brian2_accuracy"] = float(np.mean(b2_decided == inputs.target[0, idx, 0]))


def run(p):
    """Train the delayed-memory XOR and test it in NumPy and in Brian2 (``p``:
    :class:`models.gradient_snn.XorParams`)."""
    result = RunResult(model=NAME, params=p.to_json())
    tl = timeline_of(p)
    inputs = draw_inputs(p, tl)
    trained = learn(p, inputs, NAME)
    decided = measure(p, tl, inputs, trained, result)
    record_training(result, trained, p.iterations)
    record_shown(p, tl, inputs, trained, decided, result)
    compare_brian2(p, tl, inputs, trained, decided, result)
    return result
