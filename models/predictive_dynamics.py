"""Predictive coding of a dynamical system with fast and slow connections (Boerlin et al. 2013).

A network of N integrate-and-fire neurons tracks x(t) of dx/dt = A x + c(t), given only the
command c(t). The readout is xhat = Gamma r with dr/dt = -lam_d r + o. Voltages

    dV/dt = -lam_v V + Gamma^T c + Omega_s r - Omega_f o + sigma_v xi
    Omega_f = Gamma^T Gamma + mu lam_d^2 I        (fast: instantaneous, diagonal = reset)
    Omega_s = Gamma^T (A + lam_d I) Gamma         (slow: through the filtered spike trains r)
    threshold T_i = (nu lam_d + mu lam_d^2 + |Gamma_i|^2) / 2

No weight is learned: this is the non-learning base of the supervised-dynamics model. As in
the balanced-coding model, at most one neuron spikes per time step (models.arbitration).
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, Synapses, defaultclock, ms, second

from analysis.decoding import filtered_rates, normalised_mse
from analysis.spikes import (finite_median, firing_rates, isi_cv, max_spikes_per_step,
                             per_neuron, split_trains)
from models.arbitration import NEURON_VARIABLES, THRESHOLD, one_spike_per_step
from models.device import Simulation
from models.registry import ParameterError
from models.result import RunResult

NAME = "predictive-dynamics"
DESCRIPTION = "spiking network tracking a damped oscillator (Boerlin et al. 2013)"
QUICK = dict(duration=2 * second)
SUMMARY = ("tracking_error", "rate_mean_hz", "rate_max_hz", "cv_isi_median")

#: target systems dx/dt = A x + c (1/second)
SYSTEMS = {
    "oscillator": np.array([[-4.8, -22.4], [40.0, 0.0]]),  # damped, ~4.7 Hz
    "differentiator": np.array([[-400.0, -800.0], [50.0, 0.0]]),  # leaky differentiator
}

NEURON_EQUATIONS = (
    """
dv/dt = -lam_v * v + I_command + I_slow + sigma_v * xi : 1
dr/dt = -lam_d * r : 1
I_command : 1/second            # Gamma^T c, summed by the command synapses
I_slow : 1/second               # Omega_s r, summed by the slow synapses
threshold : 1 (constant)
lam_v : 1/second (shared, constant)
lam_d : 1/second (shared, constant)
sigma_v : 1/second**0.5 (shared, constant)
"""
    + NEURON_VARIABLES
)

COMMAND_EQUATIONS = """
c = command(t, i) : 1/second
"""


def pulse_command(rng, n_steps, dims, dt_s, *, amplitude, interval, width):
    """Command c(t): every ``interval`` s a pulse of ``width`` s, random direction."""
    c = np.zeros((n_steps, dims))
    per, w = int(round(interval / dt_s)), max(1, int(round(width / dt_s)))
    for start in range(int(round(0.1 / dt_s)), n_steps, per):
        direction = rng.standard_normal(dims)
        c[start : start + w] = amplitude * direction / np.linalg.norm(direction)
    return c


def simulate_target(a, command, dt_s):
    """Euler integration of dx/dt = A x + c with x(0) = 0; x_t uses c_t, as the network."""
    x = np.zeros_like(command)
    prev = np.zeros(command.shape[1])
    step = np.eye(len(a)) + dt_s * a
    for t in range(len(command)):
        prev = step @ prev + dt_s * command[t]
        x[t] = prev
    return x


def run_predictive_dynamics(
    *,
    duration=10 * second,
    seed=1,
    device="cpp",
    system="oscillator",
    n_neurons=100,
    dt=0.1 * ms,
    lam_d=10 / second,
    lam_v=20 / second,
    mu=1e-6,
    nu=1e-5,
    gamma_norm=0.03,
    sigma_v=1e-3 / second**0.5,
    command_amplitude=20 / second,
    pulse_interval=1 * second,
    pulse_width=50 * ms,
    warmup=100 * ms,
    build_only=False,
) -> RunResult:
    """Track a linear dynamical system with a spiking network of fixed optimal weights.

    Parameters
    ----------
    duration : simulated time (10 s).
    seed : seed of the decoding weights, the command and Brian2's noise.
    device : ``runtime``, ``cpp`` or ``cuda``.
    system : ``oscillator`` (damped, A = [[-4.8, -22.4], [40, 0]]/s) or ``differentiator``.
    n_neurons : network size (100).
    dt : time step (0.1 ms).
    lam_d, lam_v : readout leak (10/s) and membrane leak (20/s).
    mu, nu : quadratic (1e-6) and linear (1e-5) rate costs.
    gamma_norm : length of each neuron's decoding vector Gamma_i (0.03, random directions).
    sigma_v : voltage noise intensity (1e-3 per sqrt(second)).
    command_amplitude, pulse_interval, pulse_width : the command c(t): a pulse of 20/s for
        50 ms in a random direction every second.
    warmup : initial time left out of the tracking error (100 ms).
    build_only : standalone targets: generate and compile, do not run.
    """
    if system not in SYSTEMS:
        raise ParameterError(f"unknown system '{system}'; accepted: {', '.join(SYSTEMS)}")
    dt_s = float(dt / second)
    n_steps = int(round(float(duration / dt)))
    if n_steps < 10:
        raise ParameterError("duration must be at least 10 time steps")
    if n_neurons < 2:
        raise ParameterError("need at least 2 neurons")
    a = SYSTEMS[system]
    dims = len(a)
    lam_d_hz = float(lam_d * second)

    rng = np.random.default_rng(seed)
    gamma = rng.standard_normal((dims, n_neurons))
    gamma *= gamma_norm / np.linalg.norm(gamma, axis=0, keepdims=True)
    omega_f = gamma.T @ gamma + mu * lam_d_hz**2 * np.eye(n_neurons)
    omega_s = gamma.T @ (a + lam_d_hz * np.eye(dims)) @ gamma
    thresholds = 0.5 * (nu * lam_d_hz + mu * lam_d_hz**2 + np.sum(gamma**2, axis=0))
    command_values = pulse_command(rng, n_steps, dims, dt_s,
                                   amplitude=float(command_amplitude * second),
                                   interval=float(pulse_interval / second),
                                   width=float(pulse_width / second))

    sim = Simulation(NAME, target=device, seed=seed, build_only=build_only,
                     code_params=dict(n_neurons=n_neurons, dims=dims, dt=dt,
                                      duration=duration))
    with sim:
        defaultclock.dt = dt
        command = sim.timed_array(command_values * Hz, dt=dt, name="command")
        cmd = NeuronGroup(dims, COMMAND_EQUATIONS, name="command_units")
        neurons = NeuronGroup(n_neurons, NEURON_EQUATIONS, threshold=THRESHOLD, reset="r += 1",
                              method="euler", name="neurons")
        neurons.lam_v = lam_v
        neurons.lam_d = lam_d
        neurons.sigma_v = sigma_v
        arbitration = one_spike_per_step(neurons, score_expression="v - threshold")
        to_neurons = Synapses(cmd, neurons, "w : 1\nI_command_post = w * c_pre : 1/second (summed)",
                              name="command_synapses")
        to_neurons.connect()
        fast = Synapses(neurons, neurons, "w : 1", on_pre="v_post -= w", name="fast")
        fast.connect()
        slow = Synapses(neurons, neurons, "w : 1/second\nI_slow_post = w * r_pre : 1/second (summed)",
                        name="slow")
        slow.connect()
        # synapse order of connect(): presynaptic index major
        sim.set_values(neurons.threshold, thresholds)
        sim.set_values(to_neurons.w, gamma.ravel())       # (d, n) <-> Gamma[d, n]
        sim.set_values(fast.w, omega_f.T.ravel())         # (k, n) <-> Omega_f[n, k]
        sim.set_values(slow.w, omega_s.T.ravel() * Hz)    # (k, n) <-> Omega_s[n, k]
        spikes = SpikeMonitor(neurons, name="spikes")
        net = sim.network(cmd, neurons, arbitration, to_neurons, fast, slow, spikes)
        sim.run(net, n_steps * dt, namespace={"command": command},
                report="text" if n_steps * dt_s >= 20 else None)
        sim.finish()
        if not build_only:  # read while the slot is ours: results/ is reused by later runs
            spike_i = np.asarray(spikes.i[:], dtype=np.int32)
            spike_t = np.asarray(spikes.t[:] / second)

    params = dict(duration=duration, seed=seed, device=device, system=system,
                  n_neurons=n_neurons, dt=dt, lam_d=lam_d, lam_v=lam_v, mu=mu, nu=nu,
                  gamma_norm=gamma_norm, sigma_v=sigma_v, command_amplitude=command_amplitude,
                  pulse_interval=pulse_interval, pulse_width=pulse_width, warmup=warmup)
    result = RunResult(model=NAME, params=params, timings=dict(sim.timings))
    if build_only:
        result.metrics.update(sim.timings)
        return result
    r = filtered_rates(spike_i, spike_t, n_neurons, 0.0, n_steps, dt_s, lam_d_hz)
    xhat = r @ gamma.T
    x = simulate_target(a, command_values, dt_s)
    skip = int(round(float(warmup / dt)))
    rates = firing_rates(spike_i, spike_t, n_neurons, 0.0, n_steps * dt_s)
    cv = per_neuron(isi_cv, split_trains(spike_i, spike_t, n_neurons))
    result.spikes["neurons"] = (spike_i, spike_t)
    stride = max(1, int(round(1e-3 / dt_s)))  # traces at 1 ms
    result.traces.update(t=dt_s * np.arange(n_steps)[::stride], x=x[::stride],
                         xhat=xhat[::stride], command=command_values[::stride],
                         rates_hz=rates, cv_isi=cv)
    result.weights.update(gamma=gamma, omega_fast=omega_f, omega_slow=omega_s, A=a)
    result.metrics.update(
        tracking_error=normalised_mse(x[skip:], xhat[skip:]),
        rate_mean_hz=float(rates.mean()),
        rate_max_hz=float(rates.max()),
        cv_isi_median=finite_median(cv),
        n_spikes=int(spike_i.size),
        max_spikes_per_step=max_spikes_per_step(spike_t, dt_s),
        **{k: float(v) for k, v in sim.timings.items()},
    )
    return result
