"""The predictive-dynamics experiment: a network with fixed optimal weights tracks a linear
system from its command alone (Boerlin, Machens & Denève 2013, Fig 4-like).

Phases:

1. :func:`draw_inputs`: decoding vectors Gamma, the weights they imply and the command c(t),
   from the seed (NumPy);
2. :func:`simulate`: one Brian2 run of the network on the command; its spikes;
3. :func:`measure`: the target x (Euler, as the network), the readout xhat = Gamma r, the
   tracking error after the warm-up, rates and ISI CVs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import SpikeMonitor, second

from analysis.decoding import filtered_rates, normalised_mse
from analysis.io import RunResult
from analysis.spikes import (finite_median, firing_rates, isi_cv, max_spikes_per_step,
                             per_neuron, split_trains)
from models.common.device import Simulation
from models.common.signals import pulse_command
from models.common.systems import SYSTEMS, simulate_target
from models.predictive_dynamics.network import build_network, decoding_vectors, optimal_weights

NAME = "predictive-dynamics"

#: metrics of the one-line summary
SUMMARY = ("tracking_error", "rate_mean_hz", "rate_max_hz", "cv_isi_median")


@dataclass
class Inputs:
    """Everything a run draws from its seed, and the weights that follow from it."""

    a: np.ndarray  # (J, J) the system matrix A, 1/second
    gamma: np.ndarray  # (J, N) decoding vectors
    omega_f: np.ndarray  # (N, N) fast weights [post, pre]
    omega_s: np.ndarray  # (N, N) slow weights [post, pre], 1/second
    thresholds: np.ndarray  # (N,)
    command: np.ndarray  # (steps, J) c(t) at every step, 1/second


def draw_inputs(p):
    """Gamma first, then the command pulses, from one generator."""
    a = SYSTEMS[p.system]
    rng = np.random.default_rng(p.seed)
    gamma = decoding_vectors(rng, len(a), p.n_neurons, p.gamma_norm)
    omega_f, omega_s, thresholds = optimal_weights(gamma, a, float(p.lam_d * second), p.mu,
                                                   p.nu)
    command = pulse_command(rng, p.steps(p.duration), len(a), float(p.dt / second),
                            amplitude=float(p.command_amplitude * second),
                            interval=float(p.pulse_interval / second),
                            width=float(p.pulse_width / second))
    return Inputs(a, gamma, omega_f, omega_s, thresholds, command)


def simulate(p, inputs, result):
    """The Brian2 run; returns (spike indices, spike times in s), or None if only building."""
    n_steps = p.steps(p.duration)
    sim = Simulation(NAME, target=p.device, seed=p.seed, build_only=p.build_only,
                     code_params=dict(n_neurons=p.n_neurons, dims=len(inputs.a), dt=p.dt,
                                      duration=p.duration, rng=p.rng))
    with sim:
        objs = build_network(sim, gamma=inputs.gamma, omega_f=inputs.omega_f,
                             omega_s=inputs.omega_s, thresholds=inputs.thresholds,
                             command_values=inputs.command, dt=p.dt, lam_v=p.lam_v,
                             lam_d=p.lam_d, sigma_v=p.sigma_v, rng=p.rng)
        spikes = SpikeMonitor(objs["neurons"], name="spikes")
        net = sim.network(*[o for k, o in objs.items() if k != "command"], spikes)
        sim.run(net, n_steps * p.dt, namespace={"command": objs["command"]},
                report="text" if n_steps * float(p.dt / second) >= 20 else None)
        sim.finish()
        result.timings.update(sim.timings)
        if p.build_only:
            return None
        # read while the slot is ours: results/ is reused by later runs
        return np.asarray(spikes.i[:], dtype=np.int32), np.asarray(spikes.t[:] / second)


def measure(p, inputs, spikes, result):
    """Readout, target, tracking error, rates and ISI CVs; traces at 1 ms."""
    spike_i, spike_t = spikes
    dt_s, n_steps, n = float(p.dt / second), p.steps(p.duration), p.n_neurons
    r = filtered_rates(spike_i, spike_t, n, 0.0, n_steps, dt_s, float(p.lam_d * second))
    xhat = r @ inputs.gamma.T
    x = simulate_target(inputs.a, inputs.command, dt_s)
    skip = p.steps(p.warmup)
    rates = firing_rates(spike_i, spike_t, n, 0.0, n_steps * dt_s)
    cv = per_neuron(isi_cv, split_trains(spike_i, spike_t, n))
    result.spikes["neurons"] = (spike_i, spike_t)
    stride = max(1, int(round(1e-3 / dt_s)))  # traces at 1 ms
    result.traces.update(t=dt_s * np.arange(n_steps)[::stride], x=x[::stride],
                         xhat=xhat[::stride], command=inputs.command[::stride],
                         rates_hz=rates, cv_isi=cv)
    result.weights.update(gamma=inputs.gamma, omega_fast=inputs.omega_f,
                          omega_slow=inputs.omega_s, A=inputs.a)
    result.metrics.update(
        tracking_error=normalised_mse(x[skip:], xhat[skip:]),
        rate_mean_hz=float(rates.mean()),
        rate_max_hz=float(rates.max()),
        cv_isi_median=finite_median(cv),
        n_spikes=int(spike_i.size),
        max_spikes_per_step=max_spikes_per_step(spike_t, dt_s),
    )


def run(p) -> RunResult:
    """Track the system ``p.system`` with fixed optimal weights; returns the RunResult."""
    result = RunResult(model=NAME, params=p.to_json())
    inputs = draw_inputs(p)
    spikes = simulate(p, inputs, result)
    if spikes is None:  # build_only
        result.metrics.update(result.timings)
        return result
    measure(p, inputs, spikes, result)
    result.metrics.update({k: float(v) for k, v in result.timings.items()})
    return result
