"""The balanced-coding experiment: learn, then evaluate every checkpoint with frozen weights.

Bourdoukan, Barrett, Machens & Denève (NIPS 2012); Brendel et al. (PLoS CB 2020), Algorithm 1,
Fig 2. The learning is interleaved with frozen-weight evaluations at log-spaced checkpoints,
exactly as the official code evaluates its weight snapshots: a least-squares decoder is fitted
on a run with input scaled by 0.3 and the coding error is measured on fresh test trials at full
amplitude. Phases:

1. :func:`draw_inputs`: initial weights and every input, from the seed (NumPy);
2. :func:`learn`: one continuous learning simulation with weight snapshots;
3. :func:`evaluate`: all checkpoints as independent frozen copies in one simulation;
4. :func:`measure`: decoders, coding errors, rates, ISI CV and weight distances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import SpikeMonitor, StateMonitor, second

from analysis.decoding import coding_error, filtered_rates, fit_decoder, leaky_filter, readout
from analysis.io import RunResult
from analysis.spikes import (finite_median, firing_rates, interval_cv, max_spikes_per_step,
                             split_trains)
from analysis.weights import optimal_weight_distance, recurrent_weight_distance
from models.balanced_coding.network import (RULE_PARAMETERS, build_network, freeze,
                                            frozen_optimal_recurrent, initial_weights,
                                            optimal_recurrent, set_weights, synapses_to_weights)
from models.common.device import Simulation
from models.common.signals import smoothed_white_noise

NAME = "balanced-coding"

#: projects shared by every duration (the learning input at ``input_cycle``, the evaluation
#: at the most checkpoints) as long as they stay this small; larger ones are sized per run
MAX_SHARED_INPUT_BYTES = 64 * 2**20
MAX_SHARED_SYNAPSES = 10**6

#: metrics of the one-line summary
SUMMARY = ("coding_error_initial", "coding_error_final", "coding_error_readout_final",
           "weight_distance_initial", "weight_distance_final", "rate_initial_hz",
           "rate_final_hz", "rate_max_final_hz", "cv_isi_median")

#: the least-squares decoder is fitted only where its (steps x N) matrix of filtered spike
#: trains takes at most this many bytes; larger networks report the read-out error only
FIT_DECODER_MAX_BYTES = 4e8


@dataclass
class Inputs:
    """Everything a run draws from its seed."""

    f0: np.ndarray  # (M, N) initial feedforward weights
    omega0: np.ndarray | None  # (N, N) initial recurrent weights (None: low-rank)
    learn: np.ndarray  # (steps, M) learning input, 1/second (repeated after input_cycle)
    decoder: np.ndarray  # (steps, M) input of the decoder run
    test: np.ndarray  # (trials x steps, M) test trials back to back


def draw_inputs(p):
    """Initial weights, learning, decoder and test input, in this order from one generator
    (with ``input_seed`` the inputs from a generator of their own).

    The low-rank network skips the N x N draw of the random initial Omega without making it
    (:func:`initial_weights`), so its inputs are the dense network's.
    """
    rng = np.random.default_rng(p.seed)
    if p.recurrence == "lowrank":
        f0 = initial_weights(rng, p.n_inputs, p.n_neurons, recurrent=False)
        omega0 = None
    else:
        f0, omega0 = initial_weights(rng, p.n_inputs, p.n_neurons)
        if not p.learn:
            omega0 = frozen_optimal_recurrent(f0, p.mu)
    if p.input_seed is not None:
        rng = np.random.default_rng([p.input_seed, 2])
    noise = dict(amplitude=p.input_amplitude, smoothing_steps=float(p.input_smoothing / p.dt),
                 block_steps=p.steps(p.input_block))
    cycle_steps = max(1, min(p.steps(p.input_cycle), p.steps(p.duration)))
    learn_input = smoothed_white_noise(rng, cycle_steps, p.n_inputs, **noise)
    decoder = p.decoder_input_scale * smoothed_white_noise(
        rng, p.steps(p.decoder_duration), p.n_inputs, **noise)
    test = smoothed_white_noise(rng, p.steps(p.test_duration) * p.test_trials, p.n_inputs,
                                **noise)
    return Inputs(f0, omega0, learn_input, decoder, test)


def rule_parameters(p):
    return {name: getattr(p, name) for name in RULE_PARAMETERS}


def learn_weights(*, sim, f0, omega0, learn_input, duration, dt, first_checkpoint,
                  raster_window, progress, stimulus_rows=None, **rules):
    """The learning simulation: one continuous run from (F0, Omega0) on ``learn_input``.

    ``stimulus_rows`` sizes the input array (zeros after ``learn_input``, never read), so
    that runs of other durations share the compiled project.

    Weight snapshots are taken every ``first_checkpoint`` until 128 of them, then every
    128 x ``first_checkpoint``; spikes are recorded in the first and last ``raster_window``.
    Returns (snapshot times in s, F snapshots, Omega snapshots, spike indices, spike times).
    """
    n_inputs, n_neurons = f0.shape
    cycle = len(learn_input) * dt
    if stimulus_rows is not None:  # the stimulus array at its upper bound: the same project
        learn_input = np.concatenate(  # for every duration (only `cycle` steps are read)
            [learn_input, np.zeros((stimulus_rows - len(learn_input), n_inputs))])
    objs = build_network(sim, copies=1, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=learn_input, columns=np.arange(n_inputs),
                         cycle=cycle, dt=dt, **rules)
    set_weights(sim, objs, f0[None], omega0[None])
    fine_dt, coarse_dt = first_checkpoint, 128 * first_checkpoint
    snaps = {}
    for label, clock_dt in (("fine", fine_dt), ("coarse", coarse_dt)):
        clock = sim.clock(clock_dt, name=f"{label}_snapshot_clock")
        snaps[label] = (
            StateMonitor(objs["ff"], "w_ff", record=True, clock=clock, name=f"ff_{label}"),
            StateMonitor(objs["rec"], "w_rec", record=True, clock=clock, name=f"rec_{label}"),
        )
    spikes = SpikeMonitor(objs["neurons"], name="spikes")
    net = sim.network(*[o for k, o in objs.items() if k != "stimulus"],
                      spikes, *snaps["fine"], *snaps["coarse"])
    total, window = float(duration / second), float(raster_window / second)
    coarse_s = float(coarse_dt / second)
    bounds = sorted({0.0, total, min(window, total), max(total - window, 0.0),
                     min(coarse_s, total)})
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        spikes.active = t0 < window or t1 > total - window
        for mon in snaps["fine"]:
            mon.active = t0 < coarse_s
        for mon in snaps["coarse"]:
            mon.active = t0 >= coarse_s
        sim.run(net, (t1 - t0) * second, namespace={"stimulus": objs["stimulus"]},
                report="text" if progress and t1 - t0 >= 20 else None)
    sim.finish()
    if sim.build_only:
        return None
    times, fs, omegas = [], [], []
    for mon_ff, mon_rec in (snaps["fine"], snaps["coarse"]):
        f, omega = synapses_to_weights(mon_ff.w_ff[:].T, mon_rec.w_rec[:].T, n_inputs, n_neurons)
        times.append(np.asarray(mon_ff.t[:] / second))
        fs.append(f)
        omegas.append(omega)
    f_end, omega_end = synapses_to_weights(objs["ff"].w_ff[:], objs["rec"].w_rec[:],
                                           n_inputs, n_neurons)
    times.append([total])
    fs.append(f_end)
    omegas.append(omega_end)
    spike_i = np.asarray(spikes.i[:], dtype=np.int32)
    spike_t = np.asarray(spikes.t[:] / second)
    return (np.concatenate(times), np.concatenate(fs), np.concatenate(omegas), spike_i, spike_t)


def learn(p, inputs, result):
    """Phase 1: learning. Returns the checkpoints (times in s, F (K, M, N), Omega (K, N, N))."""
    if not p.learn:
        if "duration" in p.changed():
            decoder, test = (float(q / second) for q in (p.decoder_duration, p.test_duration))
            print(f"spikerules: {NAME}: learn=0: the duration (learning time) is not used; "
                  f"the frozen network runs a {decoder:g}-s decoder run and {p.test_trials} "
                  f"test trials of {test:g} s", flush=True)
        omega = None if inputs.omega0 is None else inputs.omega0[None]
        return np.zeros(1), inputs.f0[None], omega
    # no duration in the key: on cpp the run lengths are run arguments
    sizes = dict(n_neurons=p.n_neurons, n_inputs=p.n_inputs, dt=p.dt)
    rows = p.steps(p.input_cycle)
    if 8 * rows * p.n_inputs > MAX_SHARED_INPUT_BYTES:
        rows = len(inputs.learn)
    sim = Simulation(NAME + "-learn", target=p.device, seed=p.seed, build_only=p.build_only,
                     code_params=dict(sizes, rng=p.rng, stimulus_rows=rows,
                                      first_checkpoint=p.first_checkpoint,
                                      raster_window=p.raster_window, progress=p.progress))
    with sim:
        learned = learn_weights(sim=sim, f0=inputs.f0, omega0=inputs.omega0,
                                learn_input=inputs.learn, duration=p.duration, dt=p.dt,
                                first_checkpoint=p.first_checkpoint,
                                raster_window=p.raster_window, progress=p.progress,
                                stimulus_rows=rows if sim.standalone else None,
                                **rule_parameters(p))
    result.timings.update({f"learn_{k}": v for k, v in sim.timings.items()})
    wanted = float(p.dt / second) * np.asarray(p.checkpoint_steps())
    if learned is None:  # build_only: compile the evaluation project for as many copies
        return (wanted, np.repeat(inputs.f0[None], len(wanted), axis=0),
                np.repeat(inputs.omega0[None], len(wanted), axis=0))
    snap_t, f_snaps, omega_snaps, spike_i, spike_t = learned
    result.spikes["learning"] = (spike_i, spike_t)
    result.weights.update(snapshot_time=snap_t, F_snapshots=f_snaps,
                          Omega_snapshots=omega_snaps)
    pick = [int(np.argmin(np.abs(snap_t - w))) for w in wanted]
    return snap_t[pick], f_snaps[pick], omega_snaps[pick]


#: the evaluation prints progress lines from this many neuron-steps on (about a minute)
PROGRESS_NEURON_STEPS = 1e9


def evaluate_weights(*, sim, f, omega, decoder_input, test_input, test_steps, dt, slots=None,
                     progress=False, **rules):
    """The evaluation simulation: every weight snapshot frozen, as independent copies.

    Copies 0..K-1 see the decoder input; copies K..2K-1 see the test trials back to back and
    are reset (V = r = 0) at the start of each trial. With ``slots`` > K the network holds
    that many checkpoints (the unused ones rerun the last and are dropped), each copy drawing
    the noise it would draw in a network of K: the spikes are those of K slots. ``omega``
    None: the low-rank recurrence (from F). ``progress``: print progress lines (the model
    asks for them from :data:`PROGRESS_NEURON_STEPS` on). Returns spike indices and times.
    """
    n_ckpt, n_inputs, n_neurons = f.shape
    slots = slots or n_ckpt
    pad = slots - n_ckpt
    f = np.concatenate([f, np.repeat(f[-1:], pad, axis=0)])
    if omega is not None:
        omega = np.concatenate([omega, np.repeat(omega[-1:], pad, axis=0)])
    # the copy each slot is in a network of K checkpoints (2K and above: unused slots)
    real = np.arange(n_ckpt)
    number = np.concatenate([real, 2 * n_ckpt + np.arange(pad),
                             n_ckpt + real, 2 * n_ckpt + pad + np.arange(pad)])
    neuron_number = _neuron_numbers(number, n_neurons)
    n_steps = max(len(decoder_input), len(test_input))
    stim = np.zeros((n_steps, 2 * n_inputs))
    stim[: len(decoder_input), :n_inputs] = decoder_input
    stim[: len(test_input), n_inputs:] = test_input
    columns = np.concatenate([np.tile(np.arange(n_inputs), slots),
                              np.tile(np.arange(n_inputs, 2 * n_inputs), slots)])
    objs = build_network(sim, copies=2 * slots, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=stim, columns=columns, cycle=(n_steps + 1) * dt,
                         dt=dt, noise_index=neuron_number, **rules)
    set_weights(sim, objs, np.concatenate([f, f]),
                None if omega is None else np.concatenate([omega, omega]))
    freeze(objs)
    neurons = objs["neurons"]
    neurons.keep = np.repeat([1.0, 0.0], slots * n_neurons)
    neurons.run_regularly("v = keep * v\nr = keep * r", when="start", name="trial_reset",
                          clock=sim.clock(test_steps * dt, name="trial_clock"))
    spikes = SpikeMonitor(neurons, name="spikes")
    net = sim.network(*[o for k, o in objs.items() if k != "stimulus"], spikes)
    sim.run(net, n_steps * dt, namespace={"stimulus": objs["stimulus"]},
            report="text" if progress else None)
    sim.finish()
    if sim.build_only:
        return None
    spike_i = neuron_number[np.asarray(spikes.i[:])]
    keep = spike_i < 2 * n_ckpt * n_neurons  # in time order, and by neuron within a step
    return spike_i[keep].astype(np.int32), np.asarray(spikes.t[:] / second)[keep]


def evaluate(p, inputs, checkpoints, result):
    """Phase 2: the frozen-weight simulation of every checkpoint; its spikes (None if only
    building).

    On C++ with the fast generator the project holds the checkpoints of the longest run
    (:meth:`Params.max_checkpoints`), so that every duration reuses it; the spikes are the
    same as with a project of the run's own checkpoints (``evaluate_weights``).
    """
    ckpt_t, f_ckpt, omega_ckpt = checkpoints
    sizes = dict(n_neurons=p.n_neurons, n_inputs=p.n_inputs, dt=p.dt)
    test_steps = p.steps(p.test_duration)
    n_steps = max(p.steps(p.decoder_duration), test_steps * p.test_trials)
    long = p.progress and 2 * len(ckpt_t) * p.n_neurons * n_steps >= PROGRESS_NEURON_STEPS
    sim = Simulation(NAME + "-evaluate", target=p.device, seed=p.seed + 1,
                     build_only=p.build_only)
    slots = len(ckpt_t)
    padded = 2 * p.max_checkpoints() * (p.n_neurons + p.n_inputs) * p.n_neurons
    if sim.standalone and p.rng != "brian2" and padded <= MAX_SHARED_SYNAPSES:
        slots = p.max_checkpoints()
    sim.code_params = dict(sizes, rng=p.rng, checkpoints=slots,
                           decoder=p.steps(p.decoder_duration), test=test_steps,
                           trials=p.test_trials,
                           # (keys absent by default: the cache keys of before)
                           **({"progress": True} if long else {}),
                           **({"recurrence": p.recurrence} if p.recurrence != "dense" else {}))
    with sim:
        spikes = evaluate_weights(sim=sim, f=f_ckpt, omega=omega_ckpt,
                                  decoder_input=inputs.decoder, test_input=inputs.test,
                                  test_steps=test_steps, dt=p.dt, slots=slots, progress=long,
                                  **rule_parameters(p))
    result.timings.update({f"evaluate_{k}": v for k, v in sim.timings.items()})
    result.timings["evaluate_simulated_s"] = n_steps * float(p.dt / second)
    return spikes


def signals(p, inputs):
    """The signals the network represents: leaky integrals of the decoder input and of each
    test trial's input."""
    dt_s, lam_hz, test_steps = float(p.dt / second), float(p.lam * second), p.steps(
        p.test_duration)
    x_decoder = leaky_filter(dt_s * inputs.decoder, dt_s, lam_hz)
    x_tests = [leaky_filter(dt_s * inputs.test[k * test_steps:(k + 1) * test_steps], dt_s,
                            lam_hz) for k in range(p.test_trials)]
    return x_decoder, x_tests


def decode_checkpoint(p, x_decoder, x_tests, dec_spikes, test_spikes, fixed=None):
    """Decoder fitted on the decoder run, then error, rate and ISI CV of the test trials.

    ``fixed``: a decoder (N, M) to use instead (read out without the steps x N matrix).
    Returns (decoder, mean error, rates per neuron in Hz, ISI CV per neuron, xhat of the first
    trial).
    """
    dt_s, lam_hz, n = float(p.dt / second), float(p.lam * second), p.n_neurons
    test_steps = p.steps(p.test_duration)
    if fixed is None:
        r = filtered_rates(*dec_spikes, n, 0.0, p.steps(p.decoder_duration), dt_s, lam_hz)
        decoder = fit_decoder(r, x_decoder)
    else:
        decoder = fixed
    test_i, test_t = test_spikes
    errors, isis, xhats = [], [[] for _ in range(n)], []
    for k, x in enumerate(x_tests):
        t0 = k * test_steps * dt_s
        if fixed is None:
            xhats.append(filtered_rates(test_i, test_t, n, t0, test_steps, dt_s, lam_hz)
                         @ decoder)
        else:
            xhats.append(readout(test_i, test_t, decoder, t0, test_steps, dt_s, lam_hz))
        errors.append(coding_error(x, xhats[-1]))
        for j, train in enumerate(split_trains(test_i, test_t, n, t0, t0 + test_steps * dt_s)):
            isis[j].append(np.diff(train))
    cv = np.array([interval_cv(np.concatenate(x)) for x in isis])
    rates = firing_rates(test_i, test_t, n, 0.0, p.test_trials * test_steps * dt_s)
    return decoder, np.mean(errors), rates, cv, xhats[0]


def readout_error(p, x_tests, test_spikes, decoder):
    """Mean coding error of the test trials read out with ``decoder`` (N, M)."""
    dt_s, lam_hz, test_steps = float(p.dt / second), float(p.lam * second), p.steps(
        p.test_duration)
    return float(np.mean([
        coding_error(x, readout(*test_spikes, decoder, k * test_steps * dt_s, test_steps,
                                dt_s, lam_hz)) for k, x in enumerate(x_tests)]))


def fits_decoder(p):
    """Whether the least-squares decoder is fitted (see FIT_DECODER_MAX_BYTES)."""
    return 8.0 * p.n_neurons * p.steps(p.decoder_duration) <= FIT_DECODER_MAX_BYTES


def measure(p, checkpoints, inputs, spikes, result):
    """Phase 3: the curves over checkpoints and the metrics of the run.

    Networks too large for the least-squares decoder (:func:`fits_decoder`) report the
    coding error as NaN; without learning, every run also reports the error of the network's
    own read-out F r (``coding_error_readout_final``), which needs no fit.
    """
    ckpt_t, f_ckpt, omega_ckpt = checkpoints
    n_ckpt, n = len(ckpt_t), p.n_neurons
    x_decoder, x_tests = signals(p, inputs)
    fit = fits_decoder(p)
    curves = {k: np.zeros(n_ckpt) for k in
              ("coding_error", "rate_hz", "weight_distance", "cv_isi_median")}
    for c in range(n_ckpt):
        test_spikes = _copy_spikes(*spikes, n_ckpt + c, n)
        decoder, error, rates, cv, xhat = decode_checkpoint(
            p, x_decoder, x_tests, _copy_spikes(*spikes, c, n), test_spikes,
            fixed=None if fit else f_ckpt[c].T)
        curves["coding_error"][c] = error if fit else np.nan
        curves["rate_hz"][c] = rates.mean()
        curves["weight_distance"][c] = (
            optimal_weight_distance(f_ckpt[c], p.mu) if omega_ckpt is None
            else recurrent_weight_distance(omega_ckpt[c], f_ckpt[c]))
        curves["cv_isi_median"][c] = finite_median(cv)
        if c in (0, n_ckpt - 1):
            tag, when = ("initial", "before") if c == 0 else ("final", "after")
            result.traces[f"x_{when}"], result.traces[f"xhat_{when}"] = x_tests[0], xhat
            result.spikes[f"test_{tag}"] = test_spikes
            result.traces[f"decoder_{tag}"] = decoder
            result.traces[f"cv_isi_{tag}"] = cv
    result.traces.update(curves, checkpoint_time=ckpt_t,
                         t_trial=float(p.dt / second) * np.arange(p.steps(p.test_duration)))
    result.weights.update(F_initial=f_ckpt[0], F_final=f_ckpt[-1])
    if omega_ckpt is not None:  # (the low-rank network has no N x N matrix to store)
        result.weights.update(Omega_initial=omega_ckpt[0], Omega_final=omega_ckpt[-1],
                              Omega_optimal_final=optimal_recurrent(f_ckpt[-1], p.mu))
    m = result.metrics
    for key, curve, suffix in (("coding_error", "coding_error", ""),
                               ("weight_distance", "weight_distance", ""),
                               ("rate", "rate_hz", "_hz")):
        m[f"{key}_initial{suffix}"] = float(curves[curve][0])
        m[f"{key}_final{suffix}"] = float(curves[curve][-1])
    m["cv_isi_median"] = float(curves["cv_isi_median"][-1])
    m["learning_time_s"] = float(ckpt_t[-1])
    if not p.learn:  # the frozen network: its read-out, and how its spikes spread
        final = _copy_spikes(*spikes, 2 * n_ckpt - 1, n)
        m["coding_error_readout_final"] = readout_error(p, x_tests, final, f_ckpt[-1].T)
        m["rate_max_final_hz"] = float(rates.max())
        m["spikes_per_step_final"] = final[0].size / (p.test_trials * p.steps(p.test_duration))
    else:
        m["max_spikes_per_step"] = max_spikes_per_step(result.spikes["learning"][1],
                                                       float(p.dt / second))


def run(p):
    """Learn an efficient balanced code (``p``: :class:`models.balanced_coding.Params`)."""
    result = RunResult(model=NAME, params=p.to_json())
    inputs = draw_inputs(p)
    checkpoints = learn(p, inputs, result)
    spikes = evaluate(p, inputs, checkpoints, result)
    if spikes is not None:
        measure(p, checkpoints, inputs, spikes, result)
    result.metrics.update({k: float(v) for k, v in result.timings.items()})
    return result


def _neuron_numbers(copy_numbers, n):
    """Neuron numbers of copies of ``n`` neurons renumbered as ``copy_numbers``."""
    return (np.asarray(copy_numbers)[:, None] * n + np.arange(n)).ravel()


def _copy_spikes(spike_i, spike_t, copy, n):
    keep = (spike_i >= copy * n) & (spike_i < (copy + 1) * n)
    return spike_i[keep] - copy * n, spike_t[keep]
