"""The supervised-dynamics experiment: test, learn with the error fed back, test again.

Bourdoukan & Denève (NIPS 2015). One run has three phases, in one Brian2 simulation, each
starting from rest (V = r = x = 0):

* ``before``: the initial weights with K = 0 (no feedback) on a test command;
* ``learning``: the error fed back with gain K, which keeps xhat on x whatever the recurrent
  weights are, while both recurrent matrices learn with local rules (``network.py``);
* ``after``: K = 0 again, the same test command, the learned weights.

With the decoder fixed, the voltage rule's fixed point has the scale of -F F^T when beta is
about 2: a neuron fires at V = T = |F_i|^2 / 2 and its reset should take it to -T, so the rule
has to centre beta V + Omega_f[:, k] on zero at half the jump. beta = 1.8 puts the learned
matrix within a few percent of -F F^T - mu I (measured with the NumPy loop of
``reference.py``); larger values overshoot and end in ping-pong. Functions:

1. :func:`draw_inputs`: encoder, initial and target weights, commands (NumPy, from the seed);
2. :func:`simulate`: the three phases in Brian2, with spikes, 1-ms traces and snapshots;
3. :func:`measure_tests` and :func:`measure_learning`: errors, rates, E/I balance, distances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, second

from analysis.balance import balance_correlation, net_to_excitatory_ratio, signed_input_currents
from analysis.decoding import leaky_filter, normalised_mse, spike_matrix
from analysis.io import RunResult
from analysis.spikes import (finite_median, firing_rates, isi_cv, max_spikes_per_step,
                             per_neuron, split_trains)
from analysis.weights import relative_distance
from models.common import ModelError
from models.common.device import Simulation
from models.common.signals import smoothed_white_noise
from models.common.systems import simulate_target
from models.supervised_dynamics.network import (build_network, encoder, optimal_weights,
                                                synapses_to_matrices)

NAME = "supervised-dynamics"

#: metrics of the one-line summary
SUMMARY = ("autonomous_error_initial", "autonomous_error", "fast_weight_distance",
           "slow_weight_distance", "rate_max_hz", "balance_correlation_median")


@dataclass
class Inputs:
    """Everything a run draws from its seed, and the weights that follow from it."""

    a: np.ndarray  # (J, J) the system matrix A, 1/second
    f: np.ndarray  # (N, J) encoder; the decoder is D = F^T
    thresholds: np.ndarray  # (N,)
    fast_initial: np.ndarray  # (N, N) Omega_f at the start, [post, pre]
    slow_initial: np.ndarray  # (N, N) Omega_s at the start, 1/second
    fast_optimal: np.ndarray  # (N, N) -F F^T - mu I
    slow_optimal: np.ndarray  # (N, N) F (A + lam I) D, 1/second
    scale: float  # factor applied to the unit-amplitude commands
    commands: np.ndarray  # (samples, J) test, learning and test commands, 1/second


def command_signal(rng, n_samples, dims, sample_dt, smoothing):
    """Smoothed white noise with unit amplitude (blocks of 1 s, as balanced-coding's input)."""
    return smoothed_white_noise(rng, n_samples, dims, amplitude=1.0,
                                smoothing_steps=smoothing / sample_dt,
                                block_steps=max(2, int(round(1.0 / sample_dt))))


def command_scale(a, command, sample_dt, dt, target_rms, max_samples=20000):
    """Factor that gives the target trajectory of ``command`` an RMS of ``target_rms``."""
    excerpt = np.repeat(command[:max_samples], int(round(sample_dt / dt)), axis=0)
    x = simulate_target(a, excerpt, dt)
    rms = np.sqrt(np.mean(np.sum(x**2, axis=1)))
    if rms == 0:
        raise ModelError("the command does not move the target system; choose another system")
    return target_rms / rms


def draw_inputs(p):
    """Encoder, then the learning and the test command, from one generator.

    The commands are the test, learning and test commands back to back (the two tests see
    the same command), scaled so that the target's RMS is ``p.target_rms``.
    """
    a, per_sample = p.system_matrix(), p.per_sample()
    sample_dt, smoothing = float(p.command_dt / second), float(p.command_smoothing / second)
    rng = np.random.default_rng(p.seed)
    f = encoder(rng, p.n_neurons, len(a), p.encoder_norm)
    fast_opt, slow_opt = optimal_weights(f, a, float(p.lam * second), p.mu)
    if p.initial == "optimal":
        fast0, slow0 = fast_opt, slow_opt
    else:  # the reset alone, no slow connections
        fast0, slow0 = np.diag(np.diag(fast_opt)), np.zeros_like(slow_opt)
    learn_cmd = command_signal(rng, p.steps(p.duration) // per_sample, len(a), sample_dt,
                               smoothing)
    test_cmd = command_signal(rng, p.steps(p.test_duration) // per_sample, len(a), sample_dt,
                              smoothing)
    scale = command_scale(a, learn_cmd, sample_dt, float(p.dt / second), p.target_rms)
    return Inputs(a, f, 0.5 * (np.sum(f**2, axis=1) + p.mu), fast0, slow0, fast_opt, slow_opt,
                  scale, scale * np.concatenate([test_cmd, learn_cmd, test_cmd]))


def phases(p):
    """[(name, first step, end step)] of the three phases."""
    test_steps, learn_steps = p.steps(p.test_duration), p.steps(p.duration)
    return [("before", 0, test_steps), ("learning", test_steps, test_steps + learn_steps),
            ("after", test_steps + learn_steps, 2 * test_steps + learn_steps)]


@dataclass
class Recorded:
    """What the simulation recorded, as arrays (times in s, weights [post, pre])."""

    spike_i: np.ndarray
    spike_t: np.ndarray
    trace_t: np.ndarray  # times of the 1-ms traces
    x: np.ndarray  # (T, J) target
    xhat: np.ndarray  # (T, J) readout
    snap_t: np.ndarray  # times of the weight snapshots
    fast_snaps: np.ndarray  # (snapshots, N, N)
    slow_snaps: np.ndarray  # (snapshots, N, N), 1/second
    fast_end: np.ndarray  # (N, N) after learning
    slow_end: np.ndarray


def add_monitors(sim, objs, p):
    """Spikes, 1-ms traces of x and xhat, and weight snapshots during learning."""
    dims, all_synapses = len(objs["readout"]), np.arange(p.n_neurons * p.n_neurons)
    spikes = SpikeMonitor(objs["neurons"], name="spikes")
    trace_clock = sim.clock(1 * ms, name="trace_clock")
    traces = StateMonitor(objs["readout"], ["x", "xhat"], record=np.arange(dims),
                          clock=trace_clock, name="readout_traces")
    snap_clock = sim.clock(p.duration / p.snapshots, name="snapshot_clock")
    snap_fast = StateMonitor(objs["fast"], "w_rec", record=all_synapses, clock=snap_clock,
                             name="fast_snapshots")
    snap_slow = StateMonitor(objs["slow"], "w_slow", record=all_synapses, clock=snap_clock,
                             name="slow_snapshots")
    return dict(spikes=spikes, traces=traces, snap_fast=snap_fast, snap_slow=snap_slow)


def run_phases(sim, net, objs, mons, p):
    """The three phases: K and plasticity on only while learning; rest between phases."""
    neurons, fast, slow = objs["neurons"], objs["fast"], objs["slow"]
    long_learning = p.steps(p.duration) * float(p.dt / second) >= 30
    for phase, start, stop in phases(p):
        learning = phase == "learning"
        objs["encoder"].k_gain = p.k_gain if learning else 0 * Hz
        fast.plastic = slow.plastic = int(learning and p.learn)
        mons["snap_fast"].active = mons["snap_slow"].active = learning
        if phase != "before":  # every phase starts from rest
            neurons.v = 0
            neurons.r = 0
            objs["readout"].x = 0
        sim.run(net, (stop - start) * p.dt, namespace={"command": objs["command"]},
                report="text" if learning and long_learning else None)


def read_recordings(objs, mons, n):
    """The monitors' and the final weights' values as a :class:`Recorded`."""
    traces, snap_fast, snap_slow = mons["traces"], mons["snap_fast"], mons["snap_slow"]
    return Recorded(
        spike_i=np.asarray(mons["spikes"].i[:], dtype=np.int32),
        spike_t=np.asarray(mons["spikes"].t[:] / second),
        trace_t=np.asarray(traces.t[:] / second),
        x=np.asarray(traces.x[:]).T, xhat=np.asarray(traces.xhat[:]).T,
        snap_t=np.asarray(snap_fast.t[:] / second),
        fast_snaps=synapses_to_matrices(snap_fast.w_rec[:], n),
        slow_snaps=synapses_to_matrices(snap_slow.w_slow[:] / Hz, n),
        fast_end=synapses_to_matrices(np.asarray(objs["fast"].w_rec[:])[:, None], n)[0],
        slow_end=synapses_to_matrices(np.asarray(objs["slow"].w_slow[:] / Hz)[:, None], n)[0])


def simulate(p, inputs, result):
    """One Brian2 simulation of the three phases; a :class:`Recorded`, or None if only
    building."""
    sim = Simulation(NAME, target=p.device, seed=p.seed, build_only=p.build_only,
                     code_params=dict(n_neurons=p.n_neurons, dims=len(inputs.a), dt=p.dt,
                                      rng=p.rng, duration=p.duration,
                                      test_duration=p.test_duration,
                                      command_dt=p.command_dt, snapshots=p.snapshots))
    with sim:
        objs = build_network(
            sim, a=inputs.a, f=inputs.f, thresholds=inputs.thresholds,
            fast_initial=inputs.fast_initial, slow_initial=inputs.slow_initial,
            commands=inputs.commands, dt=p.dt, command_dt=p.command_dt, lam=p.lam, mu=p.mu,
            refractory=p.refractory, sigma_v=p.sigma_v, sigma_t=p.sigma_t,
            eps_fast=p.eps_fast, beta=p.beta, eps_slow=p.eps_slow, rng=p.rng)
        mons = add_monitors(sim, objs, p)
        net = sim.network(*[o for k, o in objs.items() if k != "command"], *mons.values())
        run_phases(sim, net, objs, mons, p)
        sim.finish()
        result.timings.update(sim.timings)
        # read while the slot is ours: results/ is reused by later runs
        return None if p.build_only else read_recordings(objs, mons, p.n_neurons)


def input_currents(spike_i, spike_t, weights, f, commands, per_sample, dt, lam_hz):
    """Excitatory and inhibitory input currents (T, N) of a test phase (K = 0).

    Inputs: the command F c, the slow recurrence Omega_s r and the fast recurrence
    Omega_f o / dt without the diagonal (a neuron's own reset is not an input).
    """
    fast, slow = weights
    n = len(f)
    n_steps = len(commands) * per_sample
    o = spike_matrix(spike_i, spike_t, n, 0.0, n_steps, dt)
    # r_t as the network has it when it computes its currents: (1 - lam dt) (r + o) of the
    # step before
    r = np.vstack([np.zeros((1, n)), leaky_filter(o, dt, lam_hz)[:-1] * (1 - lam_hz * dt)])
    c = np.repeat(commands, per_sample, axis=0)
    w = np.hstack([f, slow, fast - np.diag(np.diag(fast))])
    return signed_input_currents(w, np.hstack([c, r, o / dt]))


def measure_test(p, inputs, weights, spikes, xs, xhs, commands):
    """Metrics (suffix-free names) and traces of one autonomous test from its spikes (times
    from the start of the test), its 1-ms traces and its commands."""
    si, st = spikes
    dt_s, n = float(p.dt / second), p.n_neurons
    skip = int(round(float(p.warmup / ms)))  # the traces are sampled every ms
    rates = firing_rates(si, st, n, 0.0, float(p.test_duration / second))
    cv = per_neuron(isi_cv, split_trains(si, st, n))
    exc, inh = input_currents(si, st, weights, inputs.f, commands, p.per_sample(), dt_s,
                              float(p.lam * second))
    corr = balance_correlation(exc, inh, dt_s, float(p.balance_tau / second))
    ratio = net_to_excitatory_ratio(exc, inh)
    metrics = dict(autonomous_error=normalised_mse(xs[skip:], xhs[skip:]),
                   rate_mean_hz=float(rates.mean()), rate_max_hz=float(rates.max()),
                   cv_isi_median=finite_median(cv),
                   balance_correlation_median=finite_median(corr),
                   net_to_excitatory_median=finite_median(ratio))
    traces = dict(x=xs, xhat=xhs, rates_hz=rates, cv_isi=cv, balance_correlation=corr,
                  excitatory_mean=exc.mean(axis=0), inhibitory_mean=inh.mean(axis=0))
    return metrics, traces


def measure_tests(p, inputs, rec, result):
    """Spikes of every phase (times from its start); metrics and traces of the two tests."""
    dt_s, per_sample = float(p.dt / second), p.per_sample()
    for phase, start, stop in phases(p):
        t0, t1 = start * dt_s, stop * dt_s
        in_phase, keep = _within(rec.trace_t, t0, t1), _within(rec.spike_t, t0, t1)
        result.spikes[phase] = (rec.spike_i[keep], rec.spike_t[keep] - t0)
        if phase == "learning":
            continue
        weights = ((inputs.fast_initial, inputs.slow_initial) if phase == "before"
                   else (rec.fast_end, rec.slow_end))
        metrics, traces = measure_test(
            p, inputs, weights, result.spikes[phase], rec.x[in_phase], rec.xhat[in_phase],
            inputs.commands[start // per_sample:stop // per_sample])
        suffix = "_initial" if phase == "before" else ""
        result.metrics.update({f"{k}{suffix}": v for k, v in metrics.items()})
        result.traces.update({f"{k}_{phase}": v for k, v in traces.items()})
    result.traces["t_test"] = 1e-3 * np.arange(len(result.traces["x_after"]))  # 1-ms traces


def measure_learning(p, inputs, rec, result):
    """Weight distances at the snapshots and the error in the windows between them."""
    dt_s, (_, start, stop) = float(p.dt / second), phases(p)[1]
    t_learn0, t_learn1 = start * dt_s, stop * dt_s
    inside = rec.snap_t > t_learn0 + 1e-9  # snapshots after the learning started
    course_t = np.concatenate([[t_learn0], rec.snap_t[inside], [t_learn1]])
    course_fast = [inputs.fast_initial, *rec.fast_snaps[inside], rec.fast_end]
    course_slow = [inputs.slow_initial, *rec.slow_snaps[inside], rec.slow_end]
    fast_dist = np.array([relative_distance(w, inputs.fast_optimal) for w in course_fast])
    slow_dist = np.array([relative_distance(w, inputs.slow_optimal) for w in course_slow])
    window_err = np.full(len(course_t), np.nan)
    window_rate_max = np.full(len(course_t), np.nan)
    for k in range(1, len(course_t)):
        lo, hi = course_t[k - 1], course_t[k]
        sel = _within(rec.trace_t, lo, hi)
        if sel.sum() > 1:
            window_err[k] = normalised_mse(rec.x[sel], rec.xhat[sel])
        spk = _within(rec.spike_t, lo, hi)
        if hi > lo:
            window_rate_max[k] = firing_rates(rec.spike_i[spk], rec.spike_t[spk], p.n_neurons,
                                              lo, hi).max()
    result.traces.update(learning_time=course_t - t_learn0, fast_weight_distance=fast_dist,
                         slow_weight_distance=slow_dist, learning_error=window_err,
                         learning_rate_max_hz=window_rate_max)
    result.metrics.update(
        fast_weight_distance_initial=float(fast_dist[0]),
        fast_weight_distance=float(fast_dist[-1]),
        slow_weight_distance_initial=float(slow_dist[0]),
        slow_weight_distance=float(slow_dist[-1]),
        learning_error_final=float(window_err[-1]),
        rate_max_learning_hz=float(np.nanmax(window_rate_max)),
        max_spikes_per_step=max_spikes_per_step(rec.spike_t, dt_s),
        learning_time_s=float(p.steps(p.duration) * dt_s),
    )


def run(p) -> RunResult:
    """Test, learn, test; returns the RunResult (schedule: the three phases, in s)."""
    result = RunResult(model=NAME, params=p.to_json())
    dt_s = float(p.dt / second)
    result.schedule = [dict(phase=name, start=s * dt_s, stop=e * dt_s)
                       for name, s, e in phases(p)]
    inputs = draw_inputs(p)
    rec = simulate(p, inputs, result)
    if rec is None:  # build_only
        result.metrics.update(result.timings)
        return result
    measure_tests(p, inputs, rec, result)
    measure_learning(p, inputs, rec, result)
    result.weights.update(F=inputs.f, A=inputs.a, Omega_fast_initial=inputs.fast_initial,
                          Omega_slow_initial=inputs.slow_initial, Omega_fast_final=rec.fast_end,
                          Omega_slow_final=rec.slow_end, Omega_fast_optimal=inputs.fast_optimal,
                          Omega_slow_optimal=inputs.slow_optimal)
    result.metrics.update({k: float(v) for k, v in result.timings.items()})
    return result


def _within(times, start, stop):
    """Mask of the times in [start, stop), with a margin for float step times."""
    return (times >= start - 1e-9) & (times < stop - 1e-9)
