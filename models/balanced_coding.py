"""Efficient balanced spiking network that learns its feedforward and recurrent weights.

Bourdoukan, Barrett, Machens & Denève (NIPS 2012); Brendel et al. (PLoS CB 2020), Algorithm 1,
with the parameters of Fig 2 of the official code (``twoDWhite.m``, ``Learning.m``).

Per time step dt (all quantities dimensionless except rates):

    V <- (1 - lam dt) V + dt F^T I + Omega[:, k_prev] + sigma_v xi      (leak, input, recurrence)
    x <- (1 - lam dt) x + dt I                                            (input trace)
    k = argmax(V - T - sigma_t xi'); k spikes if that is >= 0             (one spike per step)
    on a spike of k:  F[:, k] += eps_f (alpha x - F[:, k])                (Hebbian, on_post)
                      Omega[:, k] -= eps_o (beta (V + mu r) + Omega[:, k] + mu e_k)  (on_pre)
    r <- (1 - lam dt) (r + o)                                             (filtered spikes)

There is no explicit reset: the diagonal of Omega (the autapses) resets the voltage. The
learning is interleaved with frozen-weight evaluations at log-spaced checkpoints, exactly as the
official code evaluates its weight snapshots: a least-squares decoder is fitted on a run with
input scaled by 0.3 and the coding error is measured on fresh test trials at full amplitude.
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, NeuronGroup, defaultclock, SpikeMonitor, StateMonitor, ms, second

from analysis.decoding import coding_error, filtered_rates, fit_decoder, leaky_filter
from analysis.spikes import (finite_median, firing_rates, interval_cv, max_spikes_per_step,
                             split_trains)
from analysis.weights import recurrent_weight_distance
from models.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                one_spike_per_step_judge)
from models.device import Simulation
from models.registry import ParameterError
from models.result import RunResult
from rules.balanced import feedforward_synapses, recurrent_synapses

NAME = "balanced-coding"
DESCRIPTION = "efficient balanced network learning its weights (Brendel et al. 2020, Fig 2)"

#: overrides of ``spikerules run --quick`` (a smoke run of about a minute)
QUICK = dict(duration=20 * second, decoder_duration=10 * second, test_duration=5 * second,
             test_trials=4)

#: metrics of the one-line summary
SUMMARY = ("coding_error_initial", "coding_error_final", "weight_distance_initial",
           "weight_distance_final", "rate_initial_hz", "rate_final_hz", "cv_isi_median")

NEURON_EQUATIONS = (
    """
dv/dt = -lam * v + I_ff + sigma_v * xi / sqrt(dt) : 1   # sigma_v is the noise s.d. per step
I_ff : 1/second                  # F^T I, summed by the feedforward synapses
r : 1                            # filtered spike train
keep : 1 (constant)              # 0: the state is reset at every test trial (evaluation)
lam : 1/second (shared, constant)
threshold : 1 (shared, constant)
sigma_v : 1 (shared, constant)
sigma_t : 1 (shared, constant)
"""
    + JUDGE_VARIABLES
)

INPUT_EQUATIONS = """
I = stimulus(t - cycle * floor((t + 0.5 * dt) / cycle), column) : 1/second  # repeats
dx/dt = -lam * x + I : 1             # leaky integral of the input: the signal to represent
column : integer (constant)          # column of the stimulus array this unit reads
cycle : second (shared, constant)    # the stimulus array repeats with this period
lam : 1/second (shared, constant)
"""


def smoothed_white_noise(rng, n_steps, n_inputs, *, amplitude, smoothing_steps, block_steps):
    """Input of the official code: blocks of white noise smoothed by a Gaussian kernel.

    Each block of ``block_steps`` samples is Gaussian white noise convolved ('same', zero
    padded) with a normalised Gaussian of s.d. ``smoothing_steps`` samples (kernel length =
    block length), times ``amplitude``. Returns (n_steps, n_inputs) in 1/second.
    """
    t = np.arange(1, block_steps + 1) - block_steps // 2
    kernel = np.exp(-(t**2) / (2.0 * smoothing_steps**2))
    kernel /= kernel.sum()
    n_blocks = -(-n_steps // block_steps)
    out = np.empty((n_blocks * block_steps, n_inputs))
    for b in range(n_blocks):
        noise = rng.standard_normal((block_steps, n_inputs))
        for d in range(n_inputs):
            out[b * block_steps : (b + 1) * block_steps, d] = amplitude * np.convolve(
                noise[:, d], kernel, mode="same"
            )
    return out[:n_steps]


def initial_weights(rng, n_inputs, n_neurons):
    """F: random unit columns; Omega: weak random recurrence, strong autapses (official code)."""
    f = 0.5 * rng.standard_normal((n_inputs, n_neurons))
    f /= np.sqrt(np.sum(f**2, axis=0, keepdims=True))
    omega = -0.2 * rng.random((n_neurons, n_neurons)) - 0.5 * np.eye(n_neurons)
    return f, omega


def optimal_recurrent(f, mu):
    """Omega_opt = -F^T F - mu I (fixed point of the learning for alpha = beta = 1)."""
    return -f.T @ f - mu * np.eye(f.shape[1])


def checkpoint_steps(total_steps, first_steps):
    """0, then powers of two from ``first_steps`` on (as the official code), then the end."""
    steps = [0]
    p = 1
    while p < first_steps:
        p *= 2
    while p < total_steps:
        steps.append(p)
        p *= 2
    if total_steps > 0:
        steps.append(total_steps)
    return steps


def build_network(sim, *, copies, n_neurons, n_inputs, stimulus_values, columns, cycle, dt,
                  lam, threshold, sigma_v, sigma_t, eps_o, eps_f, alpha, beta, mu):
    """Brian2 objects of ``copies`` independent networks (one for learning, many to evaluate).

    ``stimulus_values`` (steps, columns) is the input in 1/second; copy c's input unit d reads
    column ``columns[c * n_inputs + d]``. Returns a dict of the objects.
    """
    defaultclock.dt = dt
    stimulus = sim.timed_array(stimulus_values * Hz, dt=dt, name="stimulus")
    inputs = NeuronGroup(copies * n_inputs, INPUT_EQUATIONS, method="euler", name="inputs")
    neurons = NeuronGroup(
        copies * n_neurons, NEURON_EQUATIONS, threshold=JUDGE_THRESHOLD, reset="r += 1",
        events=dict(JUDGE_EVENTS), method="euler", name="neurons",  # Brian2 adds to it
    )
    inputs.column = np.asarray(columns)
    inputs.cycle = cycle
    for group in (inputs, neurons):
        group.lam = lam
    neurons.threshold = threshold
    neurons.sigma_v = sigma_v
    neurons.sigma_t = sigma_t
    neurons.keep = 1
    neurons.run_regularly("r = (1 - lam * dt) * r", when="end", name="neurons_rate_decay")
    arbitration = one_spike_per_step_judge(
        neurons, score_expression="v - threshold - sigma_t * randn()", block_size=n_neurons
    )
    ff = feedforward_synapses(inputs, neurons, eps_f=eps_f, alpha=alpha, copies=copies)
    rec = recurrent_synapses(neurons, eps_o=eps_o, beta=beta, mu=mu, copies=copies)
    return dict(stimulus=stimulus, inputs=inputs, neurons=neurons, arbitration=arbitration,
                ff=ff, rec=rec)


def _weights_to_synapses(f, omega):
    """F (copies, M, N) and Omega (copies, N, N) in the synapse order of rules.balanced."""
    return np.ascontiguousarray(f).ravel(), np.ascontiguousarray(np.swapaxes(omega, 1, 2)).ravel()


def _synapses_to_weights(w_ff, w_rec, n_inputs, n_neurons):
    f = np.asarray(w_ff).reshape(-1, n_inputs, n_neurons)
    omega = np.swapaxes(np.asarray(w_rec).reshape(-1, n_neurons, n_neurons), -1, -2)
    return f, omega


def learn_weights(*, sim, f0, omega0, learn_input, duration, dt, first_checkpoint,
                  raster_window, progress, **model):
    """Phase 1: learning in one continuous simulation.

    Weight snapshots are taken every ``first_checkpoint`` until 128 of them, then every
    128 x ``first_checkpoint``; spikes are recorded in the first and last ``raster_window``.
    Returns (snapshot times in s, F snapshots, Omega snapshots, spike indices, spike times).
    """
    n_inputs, n_neurons = f0.shape
    objs = build_network(sim, copies=1, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=learn_input, columns=np.arange(n_inputs),
                         cycle=len(learn_input) * dt, dt=dt, **model)
    w_ff, w_rec = _weights_to_synapses(f0[None], omega0[None])
    sim.set_values(objs["ff"].w_ff, w_ff)
    sim.set_values(objs["rec"].w_rec, w_rec)
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
    total = float(duration / second)
    window = float(raster_window / second)
    bounds = sorted({0.0, total, min(window, total), max(total - window, 0.0),
                     min(float(coarse_dt / second), total)})
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        spikes.active = t0 < window or t1 > total - window
        for mon in snaps["fine"]:
            mon.active = t0 < float(coarse_dt / second)
        for mon in snaps["coarse"]:
            mon.active = t0 >= float(coarse_dt / second)
        sim.run(net, (t1 - t0) * second, namespace={"stimulus": objs["stimulus"]},
                report="text" if progress and t1 - t0 >= 20 else None)
    sim.finish()
    if sim.build_only:
        return None
    times, fs, omegas = [], [], []
    for mon_ff, mon_rec in (snaps["fine"], snaps["coarse"]):
        f, omega = _synapses_to_weights(mon_ff.w_ff[:].T, mon_rec.w_rec[:].T, n_inputs, n_neurons)
        times.append(np.asarray(mon_ff.t[:] / second))
        fs.append(f)
        omegas.append(omega)
    f_end, omega_end = _synapses_to_weights(objs["ff"].w_ff[:], objs["rec"].w_rec[:],
                                            n_inputs, n_neurons)
    times.append([total])
    fs.append(f_end)
    omegas.append(omega_end)
    spike_i = np.asarray(spikes.i[:], dtype=np.int32)
    spike_t = np.asarray(spikes.t[:] / second)
    return (np.concatenate(times), np.concatenate(fs), np.concatenate(omegas), spike_i, spike_t)


def evaluate_weights(*, sim, f, omega, decoder_input, test_input, test_steps, dt, **model):
    """Phase 2: every weight snapshot frozen, run as independent copies in one simulation.

    Copies 0..K-1 see the decoder input; copies K..2K-1 see the test trials back to back and
    are reset (V = r = 0) at the start of each trial. Returns spike indices and times.
    """
    n_ckpt, n_inputs, n_neurons = f.shape
    n_steps = max(len(decoder_input), len(test_input))
    stim = np.zeros((n_steps, 2 * n_inputs))
    stim[: len(decoder_input), :n_inputs] = decoder_input
    stim[: len(test_input), n_inputs:] = test_input
    columns = np.concatenate([np.tile(np.arange(n_inputs), n_ckpt),
                              np.tile(np.arange(n_inputs, 2 * n_inputs), n_ckpt)])
    objs = build_network(sim, copies=2 * n_ckpt, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=stim, columns=columns, cycle=(n_steps + 1) * dt,
                         dt=dt, **model)
    w_ff, w_rec = _weights_to_synapses(np.concatenate([f, f]), np.concatenate([omega, omega]))
    sim.set_values(objs["ff"].w_ff, w_ff)
    sim.set_values(objs["rec"].w_rec, w_rec)
    objs["ff"].plastic = 0
    objs["rec"].plastic = 0
    neurons = objs["neurons"]
    neurons.keep = np.repeat([1.0, 0.0], n_ckpt * n_neurons)
    neurons.run_regularly("v = keep * v\nr = keep * r", when="start", name="trial_reset",
                          clock=sim.clock(test_steps * dt, name="trial_clock"))
    spikes = SpikeMonitor(neurons, name="spikes")
    net = sim.network(*[o for k, o in objs.items() if k != "stimulus"], spikes)
    sim.run(net, n_steps * dt, namespace={"stimulus": objs["stimulus"]})
    sim.finish()
    if sim.build_only:
        return None
    return np.asarray(spikes.i[:], dtype=np.int32), np.asarray(spikes.t[:] / second)


def run_frozen(*, sim, f, omega, stimulus, dt, **model):
    """One network with frozen weights F (M, N) and Omega (N, N) on ``stimulus`` (steps, M).

    For benchmarks and tests. Returns the ``SpikeMonitor`` (None when only building).
    """
    n_inputs, n_neurons = f.shape
    objs = build_network(sim, copies=1, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=stimulus, columns=np.arange(n_inputs),
                         cycle=(len(stimulus) + 1) * dt, dt=dt, **model)
    w_ff, w_rec = _weights_to_synapses(f[None], omega[None])
    sim.set_values(objs["ff"].w_ff, w_ff)
    sim.set_values(objs["rec"].w_rec, w_rec)
    objs["ff"].plastic = 0
    objs["rec"].plastic = 0
    spikes = SpikeMonitor(objs["neurons"], name="spikes")
    net = sim.network(*[o for k, o in objs.items() if k != "stimulus"], spikes)
    sim.run(net, len(stimulus) * dt, namespace={"stimulus": objs["stimulus"]})
    sim.finish()
    return None if sim.build_only else spikes


def run_balanced_coding(
    *,
    duration=500 * second,
    seed=1,
    device="cpp",
    n_neurons=20,
    n_inputs=2,
    dt=1 * ms,
    lam=50 / second,
    threshold=0.5,
    sigma_v=1e-3,
    sigma_t=1e-2,
    eps_o=1e-3,
    eps_f=1e-4,
    alpha=0.18,
    beta=1 / 0.9,
    mu=0.02 / 0.9,
    input_amplitude=2000.0,
    input_smoothing=30 * ms,
    input_block=1 * second,
    input_cycle=2000 * second,
    learn=True,
    first_checkpoint=128 * ms,
    decoder_duration=50 * second,
    decoder_input_scale=0.3,
    test_duration=10 * second,
    test_trials=10,
    raster_window=2 * second,
    build_only=False,
    progress=True,
) -> RunResult:
    """Learn an efficient balanced spike code of a 2-D smoothed-noise signal.

    Parameters (defaults: Fig 2 of the official code)
    ----------
    duration : learning time (500 s; the paper learns for 14,000 s).
    seed : seed of the initial weights, of the inputs and of Brian2's noise.
    device : ``runtime``, ``cpp`` or ``cuda`` (see ``models.device``).
    n_neurons, n_inputs : network size (20 neurons, 2 input dimensions).
    dt : time step (1 ms; the algorithm is defined per step).
    lam : leak of voltages, input trace and filtered spike trains (50/s).
    threshold : spike threshold T (0.5).
    sigma_v, sigma_t : per-step noise s.d. of the voltage (1e-3) and of the threshold (1e-2).
    eps_o, eps_f : learning rates of the recurrent (1e-3) and feedforward (1e-4) weights.
    alpha, beta : scaling of the feedforward (0.18) and recurrent (1/0.9) fixed points.
    mu : quadratic rate cost (0.02/0.9).
    input_amplitude : amplitude A of the smoothed white-noise input (2000).
    input_smoothing : s.d. of the Gaussian smoothing kernel (30 ms = 30 samples).
    input_block : length of one independently drawn input block (1 s = 1000 samples).
    input_cycle : the learning input is drawn for at most this long and then repeated (2000 s),
        so a 14,000-s run does not hold 14,000 s of input in memory.
    learn : False gives the non-learning base network with Omega = -F^T F - mu I.
    first_checkpoint : first evaluation after the initial one; then doubling (128 ms).
    decoder_duration, decoder_input_scale : decoder fit run (50 s at 0.3 x amplitude).
    test_duration, test_trials : test trials at full amplitude (10 x 10 s).
    raster_window : spikes are recorded in the first and last window of learning (2 s).
    build_only : standalone targets: generate and compile, do not run.
    progress : print Brian2's progress report on long learning segments.
    """
    dt_s = float(dt / second)
    lam_hz = float(lam * second)
    steps = lambda q: int(round(float(q / dt)))  # noqa: E731
    learn_steps = steps(duration)
    if learn_steps < 0:
        raise ParameterError("duration must not be negative")
    if n_neurons < 2 or n_inputs < 1:
        raise ParameterError("need at least 2 neurons and 1 input")
    decoder_steps, test_steps = steps(decoder_duration), steps(test_duration)
    if decoder_steps < 2 or test_steps < 2 or test_trials < 1:
        raise ParameterError("decoder and test runs need at least 2 steps and 1 trial")
    if learn and learn_steps < 1:
        raise ParameterError("learning needs a positive duration (or --set learn=0)")

    # --- everything that depends on the seed, drawn in NumPy ----------------------------
    rng = np.random.default_rng(seed)
    f0, omega0 = initial_weights(rng, n_inputs, n_neurons)
    if not learn:
        omega0 = optimal_recurrent(f0, mu)
    noise = dict(amplitude=input_amplitude, smoothing_steps=float(input_smoothing / dt),
                 block_steps=steps(input_block))
    cycle_steps = max(1, min(steps(input_cycle), learn_steps))
    learn_input = smoothed_white_noise(rng, cycle_steps, n_inputs, **noise)
    decoder_input = decoder_input_scale * smoothed_white_noise(rng, decoder_steps, n_inputs,
                                                               **noise)
    test_input = smoothed_white_noise(rng, test_steps * test_trials, n_inputs, **noise)

    model = dict(lam=lam, threshold=threshold, sigma_v=sigma_v, sigma_t=sigma_t, eps_o=eps_o,
                 eps_f=eps_f, alpha=alpha, beta=beta, mu=mu)
    sizes = dict(n_neurons=n_neurons, n_inputs=n_inputs, dt=dt)
    params = dict(duration=duration, seed=seed, device=device, **sizes, **model,
                  input_amplitude=input_amplitude, input_smoothing=input_smoothing,
                  input_block=input_block, input_cycle=input_cycle, learn=learn,
                  first_checkpoint=first_checkpoint, decoder_duration=decoder_duration,
                  decoder_input_scale=decoder_input_scale, test_duration=test_duration,
                  test_trials=test_trials, raster_window=raster_window)
    result = RunResult(model=NAME, params=params)
    timings = result.timings

    # --- phase 1: learning --------------------------------------------------------------
    if learn:
        sim = Simulation(NAME + "-learn", target=device, seed=seed, build_only=build_only,
                         code_params=dict(sizes, duration=duration, cycle=cycle_steps,
                                          first_checkpoint=first_checkpoint,
                                          raster_window=raster_window, progress=progress))
        with sim:
            learned = learn_weights(sim=sim, f0=f0, omega0=omega0, learn_input=learn_input,
                                    duration=duration, dt=dt, first_checkpoint=first_checkpoint,
                                    raster_window=raster_window, progress=progress, **model)
        timings.update({f"learn_{k}": v for k, v in sim.timings.items()})
        wanted = dt_s * np.asarray(checkpoint_steps(learn_steps, steps(first_checkpoint)))
        if learned is None:  # build_only: compile the evaluation project for as many copies
            ckpt_t = wanted
            f_ckpt = np.repeat(f0[None], len(wanted), axis=0)
            omega_ckpt = np.repeat(omega0[None], len(wanted), axis=0)
        else:
            snap_t, f_snaps, omega_snaps, spike_i, spike_t = learned
            result.spikes["learning"] = (spike_i, spike_t)
            pick = [int(np.argmin(np.abs(snap_t - w))) for w in wanted]
            ckpt_t, f_ckpt, omega_ckpt = snap_t[pick], f_snaps[pick], omega_snaps[pick]
            result.weights.update(snapshot_time=snap_t, F_snapshots=f_snaps,
                                  Omega_snapshots=omega_snaps)
    else:
        ckpt_t, f_ckpt, omega_ckpt = np.zeros(1), f0[None], omega0[None]

    # --- phase 2: evaluation of every checkpoint ----------------------------------------
    sim = Simulation(NAME + "-evaluate", target=device, seed=seed + 1, build_only=build_only,
                     code_params=dict(sizes, checkpoints=len(ckpt_t), decoder=decoder_steps,
                                      test=test_steps, trials=test_trials))
    with sim:
        evaluated = evaluate_weights(sim=sim, f=f_ckpt, omega=omega_ckpt,
                                     decoder_input=decoder_input, test_input=test_input,
                                     test_steps=test_steps, dt=dt, **model)
    timings.update({f"evaluate_{k}": v for k, v in sim.timings.items()})
    if evaluated is None:
        return _build_only_result(result)
    ev_i, ev_t = evaluated

    n_ckpt = len(ckpt_t)
    x_decoder = leaky_filter(dt_s * decoder_input, dt_s, lam_hz)
    x_tests = [leaky_filter(dt_s * test_input[k * test_steps:(k + 1) * test_steps], dt_s, lam_hz)
               for k in range(test_trials)]
    curves = {k: np.zeros(n_ckpt) for k in
              ("coding_error", "rate_hz", "weight_distance", "cv_isi_median")}
    for c in range(n_ckpt):
        dec_i, dec_t = _copy_spikes(ev_i, ev_t, c, n_neurons)
        r = filtered_rates(dec_i, dec_t, n_neurons, 0.0, decoder_steps, dt_s, lam_hz)
        decoder = fit_decoder(r, x_decoder)
        test_i, test_t = _copy_spikes(ev_i, ev_t, n_ckpt + c, n_neurons)
        errors, isis = [], [[] for _ in range(n_neurons)]
        for k in range(test_trials):
            t0 = k * test_steps * dt_s
            r = filtered_rates(test_i, test_t, n_neurons, t0, test_steps, dt_s, lam_hz)
            xhat = r @ decoder
            errors.append(coding_error(x_tests[k], xhat))
            for n, tr in enumerate(split_trains(test_i, test_t, n_neurons, t0,
                                                t0 + test_steps * dt_s)):
                isis[n].append(np.diff(tr))
            if k == 0 and c in (0, n_ckpt - 1):
                tag = "before" if c == 0 else "after"
                result.traces[f"x_{tag}"], result.traces[f"xhat_{tag}"] = x_tests[k], xhat
        total_time = test_trials * test_steps * dt_s
        cv = np.array([interval_cv(np.concatenate(x)) for x in isis])
        curves["coding_error"][c] = np.mean(errors)
        curves["rate_hz"][c] = firing_rates(test_i, test_t, n_neurons, 0.0, total_time).mean()
        curves["weight_distance"][c] = recurrent_weight_distance(omega_ckpt[c], f_ckpt[c])
        curves["cv_isi_median"][c] = finite_median(cv)
        if c in (0, n_ckpt - 1):
            tag = "initial" if c == 0 else "final"
            result.spikes[f"test_{tag}"] = (test_i, test_t)
            result.traces[f"decoder_{tag}"] = decoder
            result.traces[f"cv_isi_{tag}"] = cv
    result.traces.update(curves, checkpoint_time=ckpt_t, t_trial=dt_s * np.arange(test_steps))
    result.weights.update(
        F_initial=f_ckpt[0], F_final=f_ckpt[-1], Omega_initial=omega_ckpt[0],
        Omega_final=omega_ckpt[-1], Omega_optimal_final=optimal_recurrent(f_ckpt[-1], mu),
    )
    m = result.metrics
    for key, curve in (("coding_error", "coding_error"), ("weight_distance", "weight_distance"),
                       ("rate", "rate_hz")):
        suffix = "_hz" if key == "rate" else ""
        m[f"{key}_initial{suffix}"] = float(curves[curve][0])
        m[f"{key}_final{suffix}"] = float(curves[curve][-1])
    m["cv_isi_median"] = float(curves["cv_isi_median"][-1])
    m["learning_time_s"] = float(ckpt_t[-1])
    if learn:
        m["max_spikes_per_step"] = max_spikes_per_step(result.spikes["learning"][1], dt_s)
    m.update({f"{k}": float(v) for k, v in timings.items()})
    return result


def _copy_spikes(spike_i, spike_t, copy, n):
    keep = (spike_i >= copy * n) & (spike_i < (copy + 1) * n)
    return spike_i[keep] - copy * n, spike_t[keep]


def _build_only_result(result):
    result.metrics.update({k: float(v) for k, v in result.timings.items()})
    return result
