#!/usr/bin/env python
"""
Tracking a damped oscillator with fast and slow connections (Boerlin, Machens & Denève 2013).

A hundred integrate-and-fire neurons receive only the command c(t) of the system
dx/dt = A x + c, yet their filtered spike trains r, read out as xhat = Gamma r, follow x. Nothing
is learned: the fast weights Gamma^T Gamma + mu lam_d^2 I act through every spike (their
diagonal is the reset), the slow weights Gamma^T (A + lam_d I) Gamma through the filtered spike
trains, and they are set from the decoding vectors Gamma (``models/predictive_dynamics``). At
most one neuron fires per time step. ``--quick`` simulates 2 s instead of 10 s.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import SpikeMonitor, ms, second

from analysis.decoding import filtered_rates
from figures import plotting
from models.common.device import Simulation
from models.common.signals import pulse_command
from models.common.systems import SYSTEMS, simulate_target
from models.predictive_dynamics.network import build_network, decoding_vectors, optimal_weights

# Parameters (the model's defaults)
duration = (2 if "--quick" in sys.argv else 10) * second
dt = 0.1 * ms
n_neurons = 100
A = SYSTEMS["oscillator"]  # damped, 4.7 Hz, in 1/second
lam_d, lam_v = 10 / second, 20 / second  # readout and membrane leaks
mu, nu = 1e-6, 1e-5  # quadratic and linear rate costs
sigma_v = 1e-3 / second**0.5
pulse = dict(amplitude=20.0, interval=1.0, width=0.05)  # 1/second, second, second
seed = 1

# Decoding vectors, the weights they imply, and the command: a pulse every second
rng = np.random.default_rng(seed)
gamma = decoding_vectors(rng, 2, n_neurons, norm=0.03)
omega_f, omega_s, thresholds = optimal_weights(gamma, A, float(lam_d * second), mu, nu)
n_steps, dt_s = int(round(duration / dt)), float(dt / second)
command = pulse_command(rng, n_steps, 2, dt_s, **pulse)

# The network and the run (C++ standalone: compiled once, then cached)
with Simulation("example-predictive-dynamics", target="cpp", seed=seed,
                code_params=dict(duration=duration)) as sim:
    net = build_network(sim, gamma=gamma, omega_f=omega_f, omega_s=omega_s,
                        thresholds=thresholds, command_values=command, dt=dt, lam_v=lam_v,
                        lam_d=lam_d, sigma_v=sigma_v)
    spikes = SpikeMonitor(net["neurons"])
    sim.run(sim.network(*[o for k, o in net.items() if k != "command"], spikes), duration,
            namespace={"command": net["command"]})
    sim.finish()
    spike_i, spike_t = spikes.i[:], spikes.t[:] / second

# The target, integrated as the network sees it, and the readout of the spikes
x = simulate_target(A, command, dt_s)
r = filtered_rates(spike_i, spike_t, n_neurons, 0.0, n_steps, dt_s, float(lam_d * second))
xhat = r @ gamma.T
t = dt_s * np.arange(n_steps)
fig, (ax_x, ax_raster) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
for d, color in enumerate(("tab:blue", "tab:orange")):
    ax_x.plot(t, x[:, d], color=color, lw=2, alpha=0.45)
    ax_x.plot(t, xhat[:, d], color=color, lw=0.8)
ax_x.set_ylabel("x (thick), x̂ (thin)")
plotting.raster(ax_raster, spike_i, spike_t, start=0, stop=float(duration / second))
ax_raster.set_xlabel("time (s)")
plt.tight_layout()
plt.show()
