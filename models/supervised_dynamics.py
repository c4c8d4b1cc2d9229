"""Supervised learning of a linear dynamical system with fast and slow connections.

Bourdoukan & Deneve (NIPS 2015), "Enforcing balance allows local supervised learning in spiking
recurrent networks", reconstructed from the paper's equations (no code was published). A
network of N neurons with a fixed encoder F (N x J, rows F_i) and decoder D = F^T learns to
reproduce x(t) of the target system dx/dt = A x + c from the command c(t) alone:

    xhat = D r,   dr/dt = -lam r + o                         (readout, filtered spikes)
    dV/dt = -lam V + F c + Omega_s r + K F e + sigma_v xi,   e = x - xhat
    on a spike of k:  V += Omega_f[:, k]                     (fast; diagonal = the reset)
    threshold T_i = (|F_i|^2 + mu) / 2; at most one spike per step; refractory period

During learning the error is fed back with gain K, which keeps xhat on x whatever the
recurrent weights are, and both recurrent matrices learn with local rules:

* fast: the voltage-based rule of ``rules.balanced`` on presynaptic spikes,
  Omega_f[:, k] -= eps_f (beta (V + mu r) + Omega_f[:, k] + mu e_k) -> -F F^T - mu I;
* slow: the current-based Hebbian rule of ``rules.supervised``,
  dOmega_s / dt = eps_s (K F e) r^T -> F (A + lam I) D.

Then K = 0 and the network must produce the dynamics on its own. With the decoder fixed, the
voltage rule's fixed point has the scale of -F F^T when beta is about 2: a neuron fires at
V = T = |F_i|^2 / 2 and its reset should take it to -T, so the rule has to centre
beta V + Omega_f[:, k] on zero at half the jump. beta = 1.8 puts the learned matrix within a
few percent of -F F^T - mu I (measured with the NumPy reference, tests/reference_supervised.py);
larger values overshoot and end in ping-pong.

One run: a test of the initial weights with K = 0 on fresh commands, the learning phase,
and the same test with the learned weights. The state (V, r, x) is reset between phases.
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, defaultclock, ms, second

from analysis.balance import balance_correlation, net_to_excitatory_ratio, signed_input_currents
from analysis.decoding import leaky_filter, normalised_mse, spike_matrix
from analysis.spikes import (finite_median, firing_rates, isi_cv, max_spikes_per_step,
                             per_neuron, split_trains)
from analysis.weights import relative_distance
from models.arbitration import NEURON_VARIABLES, THRESHOLD, one_spike_per_step
from models.balanced_coding import smoothed_white_noise
from models.device import Simulation
from models.predictive_dynamics import simulate_target
from models.registry import ParameterError
from models.result import RunResult
from rules import connect_all
from rules.balanced import recurrent_synapses
from rules.supervised import slow_synapses

NAME = "supervised-dynamics"
DESCRIPTION = ("learning a dynamical system with fast and slow connections "
               "(Bourdoukan & Deneve 2015)")
QUICK = dict(duration=20 * second, test_duration=2 * second)
SUMMARY = ("autonomous_error_initial", "autonomous_error", "fast_weight_distance",
           "slow_weight_distance", "rate_max_hz", "balance_correlation_median")

#: target systems dx/dt = A x + c (1/second)
SYSTEMS = {
    "oscillator": np.array([[-4.8, -22.4], [40.0, 0.0]]),  # damped, 4.7 Hz, decay 2.4/s
    "integrator": np.array([[-1.0, 0.0], [0.0, -1.0]]),    # leaky, time constant 1 s
}

NEURON_EQUATIONS = (
    """
dv/dt = -lam * v + I_cmd + I_err + I_slow + sigma_v * xi : 1
I_cmd : 1/second               # F c, summed by the encoder synapses
I_err : 1/second               # K F e, summed by the encoder synapses
I_slow : 1/second              # Omega_s r, summed by the slow synapses
r : 1                          # filtered spike train
threshold : 1 (constant)
lam : 1/second (shared, constant)
sigma_v : 1/second**0.5 (shared, constant)
sigma_t : 1 (shared, constant)
"""
    + NEURON_VARIABLES
)

#: the J readout units: target state x, command c, decoded xhat and the error
READOUT_EQUATIONS = """
dx/dt = Ax + c : 1              # the target system, integrated with the network
Ax : 1/second                   # (A x)_i, summed by the system synapses
c = command(t, i) : 1/second
xhat : 1                        # D r, summed by the decoder synapses
err = x - xhat : 1
"""

#: refractory neurons never win the one-spike-per-step arbitration
SCORE = "v - threshold - sigma_t * randn() - 1e9 * (1 - int(not_refractory))"

# order of the code in the 'groups' slot of each time step (see tests/reference_supervised.py)
ORDER_DECODER = -10      # xhat = D r from the rates of the step
ORDER_NEURONS = 0        # V update; the summed currents run just before (order -1)
ORDER_SLOW_RULE = 2      # after the currents and the fast transmission (order 1)
ORDER_READOUT = 5        # x <- x + dt (A x + c), after everything that reads x


def parse_system(system):
    """A named system, or a matrix 'a11,a12;a21,a22' (1/second, rows separated by ';')."""
    if system in SYSTEMS:
        return SYSTEMS[system]
    try:
        rows = [[float(v) for v in row.split(",")] for row in str(system).split(";")]
        a = np.array(rows, dtype=float)
    except ValueError:
        a = None
    if a is None or a.ndim != 2 or a.shape[0] != a.shape[1] or not np.all(np.isfinite(a)):
        raise ParameterError(
            f"system must be one of {', '.join(SYSTEMS)} or a square matrix like "
            f"'-1,0;0,-1' (1/second), got '{system}'"
        )
    return a


def encoder(rng, n_neurons, dims, norm):
    """F (N, J): random directions of length ``norm``."""
    f = rng.standard_normal((n_neurons, dims))
    return norm * f / np.linalg.norm(f, axis=1, keepdims=True)


def optimal_weights(f, a, lam_hz, mu):
    """(Omega_f, Omega_s) of the network that implements dx/dt = A x + c with D = F^T."""
    fast = -f @ f.T - mu * np.eye(len(f))
    slow = f @ (a + lam_hz * np.eye(len(a))) @ f.T
    return fast, slow


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
        raise ParameterError("the command does not move the target system")
    return target_rms / rms


def draw_inputs(seed, *, a, n_neurons, encoder_norm, mu, lam_hz, initial, learn_samples,
                test_samples, dt, sample_dt, smoothing, target_rms):
    """Everything a run draws from its seed: encoder, initial weights and the commands.

    ``commands`` (samples, J) in 1/second are the test, learning and test commands back to
    back (the two tests see the same command), scaled by ``scale``.
    """
    rng = np.random.default_rng(seed)
    f = encoder(rng, n_neurons, len(a), encoder_norm)
    fast_opt, slow_opt = optimal_weights(f, a, lam_hz, mu)
    if initial == "optimal":
        fast0, slow0 = fast_opt, slow_opt
    else:
        fast0, slow0 = np.diag(np.diag(fast_opt)), np.zeros_like(slow_opt)
    learn_cmd = command_signal(rng, learn_samples, len(a), sample_dt, smoothing)
    test_cmd = command_signal(rng, test_samples, len(a), sample_dt, smoothing)
    scale = command_scale(a, learn_cmd, sample_dt, dt, target_rms)
    return dict(F=f, thresholds=0.5 * (np.sum(f**2, axis=1) + mu), fast_initial=fast0,
                slow_initial=slow0, fast_optimal=fast_opt, slow_optimal=slow_opt, scale=scale,
                commands=scale * np.concatenate([test_cmd, learn_cmd, test_cmd]))


def run_supervised_dynamics(
    *,
    duration=600 * second,
    seed=1,
    device="cpp",
    system="oscillator",
    n_neurons=80,
    dt=0.1 * ms,
    lam=10 / second,
    mu=1e-6,
    encoder_norm=0.025,
    k_gain=100 / second,
    eps_fast=1e-2,
    beta=1.8,
    eps_slow=0.03 / second,
    refractory=2 * ms,
    sigma_v=0 / second**0.5,
    sigma_t=0.0,
    target_rms=1.0,
    command_smoothing=50 * ms,
    command_dt=1 * ms,
    test_duration=5 * second,
    warmup=100 * ms,
    initial="naive",
    learn=True,
    snapshots=50,
    balance_tau=10 * ms,
    build_only=False,
) -> RunResult:
    """Learn the fast and slow weights that make a spiking network implement dx/dt = A x + c.

    Parameters
    ----------
    duration : length of the learning phase (600 s).
    seed : seed of the encoder, the commands and Brian2's noise.
    device : ``runtime``, ``cpp`` or ``cuda``.
    system : ``oscillator`` (damped, A = [[-4.8, -22.4], [40, 0]]/s), ``integrator``
        (leaky, A = -I/s) or a matrix 'a11,a12;a21,a22' in 1/second.
    n_neurons : network size (80).
    dt : time step (0.1 ms).
    lam : leak of voltages and filtered spike trains (10/s).
    mu : quadratic rate cost (1e-6).
    encoder_norm : |F_i|, length of every neuron's encoding vector (0.025, random directions).
    k_gain : gain K of the error feedback during learning (100/s).
    eps_fast, beta : rate and scale of the voltage-based fast rule (1e-2 per spike, 1.8).
    eps_slow : rate of the current-based slow rule (0.03/s).
    refractory : absolute refractory period (2 ms).
    sigma_v : voltage noise intensity (0 per sqrt(second); the dynamics are deterministic).
    sigma_t : per-step s.d. of threshold noise in the arbitration (0).
    target_rms : the commands are scaled so that the target x has this RMS (1).
    command_smoothing, command_dt : the command is white noise smoothed by a Gaussian of s.d.
        50 ms, sampled every 1 ms and held in between.
    test_duration : length of the autonomous tests before and after learning (5 s).
    warmup : start of each test left out of the error (100 ms).
    initial : ``naive`` (Omega_f = its diagonal alone, i.e. the reset; Omega_s = 0) or
        ``optimal`` (both at their targets).
    learn : False freezes the weights during the learning phase (K stays on).
    snapshots : weight snapshots taken during learning (50).
    balance_tau : low-pass filter of the input currents for the E/I balance (10 ms).
    build_only : standalone targets: generate and compile, do not run.
    """
    a = parse_system(system)
    dims = len(a)
    dt_s = float(dt / second)
    lam_hz = float(lam * second)
    steps = lambda q: int(round(float(q / dt)))  # noqa: E731
    learn_steps, test_steps = steps(duration), steps(test_duration)
    per_sample = int(round(float(command_dt / dt)))
    if per_sample < 1 or abs(per_sample * dt_s - float(command_dt / second)) > 1e-12:
        raise ParameterError("command_dt must be a whole multiple of dt")
    if learn_steps < per_sample or test_steps < 2 * per_sample:
        raise ParameterError("duration and test_duration must span at least 2 command samples")
    if learn_steps % per_sample or test_steps % per_sample:
        raise ParameterError("duration and test_duration must be multiples of command_dt")
    if n_neurons < 2:
        raise ParameterError("need at least 2 neurons")
    if initial not in ("naive", "optimal"):
        raise ParameterError(f"initial must be 'naive' or 'optimal', got '{initial}'")
    if snapshots < 1:
        raise ParameterError("snapshots must be at least 1")

    # --- everything that depends on the seed, drawn in NumPy --------------------------------
    drawn = draw_inputs(seed, a=a, n_neurons=n_neurons, encoder_norm=encoder_norm, mu=mu,
                        lam_hz=lam_hz, initial=initial, learn_samples=learn_steps // per_sample,
                        test_samples=test_steps // per_sample, dt=dt_s,
                        sample_dt=float(command_dt / second),
                        smoothing=float(command_smoothing / second), target_rms=target_rms)
    f, thresholds, commands, scale = (drawn[k] for k in ("F", "thresholds", "commands", "scale"))
    fast0, slow0 = drawn["fast_initial"], drawn["slow_initial"]
    fast_opt, slow_opt = drawn["fast_optimal"], drawn["slow_optimal"]
    phases = [("before", 0, test_steps), ("learning", test_steps, test_steps + learn_steps),
              ("after", test_steps + learn_steps, 2 * test_steps + learn_steps)]

    model = dict(n_neurons=n_neurons, dims=dims, dt=dt, duration=duration,
                 test_duration=test_duration, command_dt=command_dt, snapshots=snapshots)
    sim = Simulation(NAME, target=device, seed=seed, build_only=build_only, code_params=model)
    with sim:
        defaultclock.dt = dt
        command = sim.timed_array(commands * Hz, dt=command_dt, name="command")
        neurons = NeuronGroup(n_neurons, NEURON_EQUATIONS, threshold=THRESHOLD, reset="r += 1",
                              refractory=refractory, method="euler", order=ORDER_NEURONS,
                              name="neurons")
        neurons.lam = lam
        neurons.sigma_v = sigma_v
        neurons.sigma_t = sigma_t
        sim.set_values(neurons.threshold, thresholds)
        neurons.run_regularly("r = (1 - lam * dt) * r", when="end", name="neurons_rate_decay")
        arbitration = one_spike_per_step(neurons, score_expression=SCORE)
        readout = NeuronGroup(dims, READOUT_EQUATIONS, method="euler", order=ORDER_READOUT,
                              name="readout")
        target_system = Synapses(readout, readout, "a : 1/second\n"
                                 "Ax_post = a * x_pre : 1/second (summed)", name="target_system")
        decoder = Synapses(neurons, readout, "d : 1\nxhat_post = d * r_pre : 1 (summed)",
                           name="decoder")
        enc = Synapses(readout, neurons, """
            f : 1
            k_gain : 1/second (shared)
            I_cmd_post = f * c_pre : 1/second (summed)
            I_err_post = k_gain * f * err_pre : 1/second (summed)
            """, name="encoder")
        for syn in (target_system, decoder, enc):
            connect_all(syn)
        decoder.summed_updaters["xhat_post"].order = ORDER_DECODER
        fast = recurrent_synapses(neurons, eps_o=eps_fast, beta=beta, mu=mu, name="fast")
        slow = slow_synapses(neurons, eps_s=eps_slow, order=ORDER_SLOW_RULE, name="slow")
        # synapse order: presynaptic index major; matrices are [post, pre]
        sim.set_values(target_system.a, a.T.ravel() * Hz)
        sim.set_values(decoder.d, f.ravel())                 # (neuron n, dim j) <-> D[j, n]
        sim.set_values(enc.f, f.T.ravel())                   # (dim j, neuron n) <-> F[n, j]
        sim.set_values(fast.w_rec, fast0.T.ravel())
        sim.set_values(slow.w_slow, slow0.T.ravel() * Hz)

        spikes = SpikeMonitor(neurons, name="spikes")
        trace_clock = sim.clock(1 * ms, name="trace_clock")
        traces = StateMonitor(readout, ["x", "xhat"], record=np.arange(dims), clock=trace_clock,
                              name="readout_traces")
        snap_clock = sim.clock(duration / snapshots, name="snapshot_clock")
        all_synapses = np.arange(n_neurons * n_neurons)
        snap_fast = StateMonitor(fast, "w_rec", record=all_synapses, clock=snap_clock,
                                 name="fast_snapshots")
        snap_slow = StateMonitor(slow, "w_slow", record=all_synapses, clock=snap_clock,
                                 name="slow_snapshots")
        net = sim.network(neurons, arbitration, readout, target_system, decoder, enc, fast, slow,
                          spikes, traces, snap_fast, snap_slow)
        for phase, start, stop in phases:
            learning = phase == "learning"
            enc.k_gain = k_gain if learning else 0 * Hz
            fast.plastic = slow.plastic = int(learning and learn)
            snap_fast.active = snap_slow.active = learning
            if phase != "before":  # every phase starts from rest
                neurons.v = 0
                neurons.r = 0
                readout.x = 0
            sim.run(net, (stop - start) * dt, namespace={"command": command},
                    report="text" if learning and learn_steps * dt_s >= 30 else None)
        sim.finish()
        if not build_only:  # read while the slot is ours: results/ is reused by later runs
            spike_i = np.asarray(spikes.i[:], dtype=np.int32)
            spike_t = np.asarray(spikes.t[:] / second)
            trace_t = np.asarray(traces.t[:] / second)
            x, xhat = np.asarray(traces.x[:]).T, np.asarray(traces.xhat[:]).T
            snap_t = np.asarray(snap_fast.t[:] / second)
            fast_snaps = _matrices(snap_fast.w_rec[:], n_neurons)
            slow_snaps = _matrices(snap_slow.w_slow[:] / Hz, n_neurons)
            fast_end = _matrices(np.asarray(fast.w_rec[:])[:, None], n_neurons)[0]
            slow_end = _matrices(np.asarray(slow.w_slow[:] / Hz)[:, None], n_neurons)[0]

    params = dict(duration=duration, seed=seed, device=device, system=str(system),
                  A=a.tolist(), n_neurons=n_neurons, dt=dt, lam=lam, mu=mu,
                  encoder_norm=encoder_norm, k_gain=k_gain, eps_fast=eps_fast, beta=beta,
                  eps_slow=eps_slow, refractory=refractory, sigma_v=sigma_v, sigma_t=sigma_t,
                  target_rms=target_rms, command_scale=scale,
                  command_smoothing=command_smoothing, command_dt=command_dt,
                  test_duration=test_duration, warmup=warmup, initial=initial, learn=learn,
                  snapshots=snapshots, balance_tau=balance_tau)
    result = RunResult(model=NAME, params=params, timings=dict(sim.timings))
    result.schedule = [dict(phase=p, start=s * dt_s, stop=e * dt_s) for p, s, e in phases]
    if build_only:
        result.metrics.update(sim.timings)
        return result

    # --- analysis ------------------------------------------------------------------------
    m = result.metrics
    skip = int(round(float(warmup / ms)))
    test_t = float(test_duration / second)
    for phase, start, stop in phases:
        t0, t1 = start * dt_s, stop * dt_s
        in_phase, keep = _within(trace_t, t0, t1), _within(spike_t, t0, t1)
        si, st = spike_i[keep], spike_t[keep] - t0  # times from the start of the phase
        result.spikes[phase] = (si, st)
        if phase == "learning":
            continue
        weights = (fast0, slow0) if phase == "before" else (fast_end, slow_end)
        xs, xhs = x[in_phase], xhat[in_phase]
        rates = firing_rates(si, st, n_neurons, 0.0, test_t)
        cv = per_neuron(isi_cv, split_trains(si, st, n_neurons))
        exc, inh = test_currents(si, st, weights, f, commands[start // per_sample:
                                                            stop // per_sample],
                                 per_sample, dt_s, lam_hz)
        corr = balance_correlation(exc, inh, dt_s, float(balance_tau / second))
        ratio = net_to_excitatory_ratio(exc, inh)
        suffix = "_initial" if phase == "before" else ""
        m[f"autonomous_error{suffix}"] = normalised_mse(xs[skip:], xhs[skip:])
        m[f"rate_mean_hz{suffix}"] = float(rates.mean())
        m[f"rate_max_hz{suffix}"] = float(rates.max())
        m[f"cv_isi_median{suffix}"] = finite_median(cv)
        m[f"balance_correlation_median{suffix}"] = finite_median(corr)
        m[f"net_to_excitatory_median{suffix}"] = finite_median(ratio)
        result.traces.update({f"x_{phase}": xs, f"xhat_{phase}": xhs,
                              f"rates_hz_{phase}": rates, f"cv_isi_{phase}": cv,
                              f"balance_correlation_{phase}": corr,
                              f"excitatory_mean_{phase}": exc.mean(axis=0),
                              f"inhibitory_mean_{phase}": inh.mean(axis=0)})
    result.traces["t_test"] = 1e-3 * np.arange(len(result.traces["x_after"]))  # 1-ms traces

    # learning: weight distances at the snapshots and the error in the windows between them
    t_learn0, t_learn1 = phases[1][1] * dt_s, phases[1][2] * dt_s
    inside = snap_t > t_learn0 + 1e-9  # snapshots after the learning started
    course_t = np.concatenate([[t_learn0], snap_t[inside], [t_learn1]])
    course_fast = [fast0, *fast_snaps[inside], fast_end]
    course_slow = [slow0, *slow_snaps[inside], slow_end]
    fast_dist = np.array([relative_distance(w, fast_opt) for w in course_fast])
    slow_dist = np.array([relative_distance(w, slow_opt) for w in course_slow])
    window_err = np.full(len(course_t), np.nan)
    window_rate_max = np.full(len(course_t), np.nan)
    for k in range(1, len(course_t)):
        lo, hi = course_t[k - 1], course_t[k]
        sel = _within(trace_t, lo, hi)
        if sel.sum() > 1:
            window_err[k] = normalised_mse(x[sel], xhat[sel])
        spk = _within(spike_t, lo, hi)
        if hi > lo:
            window_rate_max[k] = firing_rates(spike_i[spk], spike_t[spk], n_neurons, lo, hi).max()
    result.traces.update(learning_time=course_t - t_learn0, fast_weight_distance=fast_dist,
                         slow_weight_distance=slow_dist, learning_error=window_err,
                         learning_rate_max_hz=window_rate_max)
    result.weights.update(F=f, A=a, Omega_fast_initial=fast0, Omega_slow_initial=slow0,
                          Omega_fast_final=fast_end, Omega_slow_final=slow_end,
                          Omega_fast_optimal=fast_opt, Omega_slow_optimal=slow_opt)
    m.update(
        fast_weight_distance_initial=float(fast_dist[0]),
        fast_weight_distance=float(fast_dist[-1]),
        slow_weight_distance_initial=float(slow_dist[0]),
        slow_weight_distance=float(slow_dist[-1]),
        learning_error_final=float(window_err[-1]),
        rate_max_learning_hz=float(np.nanmax(window_rate_max)),
        max_spikes_per_step=max_spikes_per_step(spike_t, dt_s),
        learning_time_s=float(learn_steps * dt_s),
        **{k: float(v) for k, v in sim.timings.items()},
    )
    return result


def _within(times, start, stop):
    """Mask of the times in [start, stop), with a margin for float step times."""
    return (times >= start - 1e-9) & (times < stop - 1e-9)


def _matrices(values, n):
    """Synapse-major (N*N, snapshots) values -> (snapshots, N, N) matrices [post, pre]."""
    values = np.asarray(values, dtype=float)
    return np.swapaxes(values.T.reshape(-1, n, n), 1, 2)


def test_currents(spike_i, spike_t, weights, f, commands, per_sample, dt, lam_hz):
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
