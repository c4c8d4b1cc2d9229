#!/usr/bin/env python
"""
Learning a dynamical system with fast and slow connections (Bourdoukan & Denève 2015).

Eighty neurons with encoder F and decoder D = F^T learn to produce x of a damped oscillator
dx/dt = A x + c from the command c alone. While they learn, the error x - D r is fed back with
gain K; the fast weights learn with the voltage-based rule of ``rules/balanced.py``, the slow
ones with the current-based Hebbian rule of ``rules/supervised.py`` (pass another builder as
``fast_rule=`` or ``slow_rule=`` to try yours). Then K = 0 and the network runs on its own.
``--quick`` learns for 1 s (too short to learn the oscillator) instead of 600 s.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, second

from figures import plotting
from models.common.device import Simulation
from models.common.systems import SYSTEMS
from models.supervised_dynamics.experiment import command_scale, command_signal
from models.supervised_dynamics.network import build_network, encoder, optimal_weights
from rules.balanced import recurrent_synapses
from rules.supervised import slow_synapses

# Parameters (the model's defaults)
learn_time, test_time = ((1, 0.5) if "--quick" in sys.argv else (600, 2)) * second
dt, command_dt, n_neurons, A = 0.1 * ms, 1 * ms, 80, SYSTEMS["oscillator"]  # A in 1/second
lam, mu, k_gain = 10 / second, 1e-6, 100 / second
rules = dict(eps_fast=1e-2, beta=1.8, eps_slow=0.03 / second)
seed = 1

# Encoder, the weights the rules should find, and the commands: smoothed noise
rng, sample_s = np.random.default_rng(seed), float(command_dt / second)
F = encoder(rng, n_neurons, 2, norm=0.025)
fast_target, slow_target = optimal_weights(F, A, float(lam * second), mu)
learn_cmd, test_cmd = (command_signal(rng, int(length / command_dt), 2, sample_s, 0.05)
                       for length in (learn_time, test_time))  # smoothing s.d. 50 ms
scale = command_scale(A, learn_cmd, sample_s, float(dt / second), target_rms=1.0)

# The network, learning and then on its own (C++ standalone: compiled once, then cached)
with Simulation("example-supervised-dynamics", target="cpp", seed=seed,
                code_params=dict(learn_time=learn_time)) as sim:
    net = build_network(sim, a=A, f=F, thresholds=0.5 * (np.sum(F**2, axis=1) + mu),
                        fast_initial=np.diag(np.diag(fast_target)),  # only the reset
                        slow_initial=np.zeros_like(slow_target),
                        commands=scale * np.concatenate([learn_cmd, test_cmd]), dt=dt,
                        command_dt=command_dt, lam=lam, mu=mu, refractory=2 * ms, sigma_v=0,
                        sigma_t=0, fast_rule=recurrent_synapses, slow_rule=slow_synapses,
                        **rules)
    spikes = SpikeMonitor(net["neurons"])
    readout = StateMonitor(net["readout"], ["x", "xhat"], record=True,
                           clock=sim.clock(1 * ms, name="trace_clock"))
    network = sim.network(*[o for k, o in net.items() if k != "command"], spikes, readout)
    net["encoder"].k_gain = k_gain  # learning, with the error fed back
    sim.run(network, learn_time, namespace={"command": net["command"]})
    net["encoder"].k_gain = 0 * Hz  # then on its own, from rest, weights frozen
    net["fast"].plastic = net["slow"].plastic = 0
    net["neurons"].v, net["neurons"].r, net["readout"].x = 0, 0, 0
    sim.run(network, test_time, namespace={"command": net["command"]})
    sim.finish()
    t, x, xhat = readout.t[:] / second, readout.x[:].T, readout.xhat[:].T
    spike_i, spike_t = spikes.i[:], spikes.t[:] / second

on_own = t >= float(learn_time / second)
fig, (ax_x, ax_raster) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
for d, color in enumerate(("tab:blue", "tab:orange")):
    ax_x.plot(t[on_own], x[on_own, d], color=color, lw=2, alpha=0.45)
    ax_x.plot(t[on_own], xhat[on_own, d], color=color, lw=0.8)
ax_x.set_ylabel("x (thick), x̂ on its own (thin)")
plotting.raster(ax_raster, spike_i, spike_t, start=t[on_own][0], stop=t[-1])
ax_raster.set_xlabel("time (s)")
plt.tight_layout()
plt.show()
