#!/usr/bin/env python
"""
Learning an efficient balanced spike code (Bourdoukan et al. 2012; Brendel et al. 2020, Fig 2).

Twenty integrate-and-fire neurons see a 2-D smoothed-noise signal through feedforward weights F
and each other through recurrent weights Omega; at most one neuron fires per time step. F
learns with a Hebbian rule on every postsynaptic spike, Omega with a voltage-based rule on every
presynaptic spike (``rules/balanced.py``). Learning drives Omega towards -F^T F - mu I, where
every spike corrects the error of the others: the network becomes balanced and the signal can be
read out of its spikes.

To try another rule, write a builder with the signature of ``rules.balanced.recurrent_synapses``
and pass it as ``recurrent=`` below. ``--quick`` learns for 5 s instead of 100 s.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import SpikeMonitor, StateMonitor, ms, second

from analysis.weights import recurrent_weight_distance
from figures import plotting
from models.balanced_coding.network import build_network, initial_weights, set_weights
from models.common.device import Simulation
from models.common.signals import smoothed_white_noise
from rules.balanced import feedforward_synapses, recurrent_synapses

# Parameters (Fig 2 of the official code)
duration = (5 if "--quick" in sys.argv else 100) * second
dt = 1 * ms
n_neurons, n_inputs = 20, 2
rules = dict(lam=50 / second, threshold=0.5, sigma_v=1e-3, sigma_t=1e-2, eps_o=1e-3,
             eps_f=1e-4, alpha=0.18, beta=1 / 0.9, mu=0.02 / 0.9)
seed = 1

# The initial weights and the signal, drawn from the seed
rng = np.random.default_rng(seed)
f0, omega0 = initial_weights(rng, n_inputs, n_neurons)
signal = smoothed_white_noise(rng, int(duration / dt), n_inputs, amplitude=2000.0,
                              smoothing_steps=30, block_steps=1000)

# The network, its monitors, and the run (C++ standalone: compiled once, then cached)
with Simulation("example-balanced-coding", target="cpp", seed=seed) as sim:
    net = build_network(sim, copies=1, n_neurons=n_neurons, n_inputs=n_inputs,
                        stimulus_values=signal, columns=np.arange(n_inputs),
                        cycle=duration + dt, dt=dt, feedforward=feedforward_synapses,
                        recurrent=recurrent_synapses, **rules)
    set_weights(sim, net, f0[None], omega0[None])
    spikes = SpikeMonitor(net["neurons"])
    omega = StateMonitor(net["rec"], "w_rec", record=True, dt=duration / 20)
    f = StateMonitor(net["ff"], "w_ff", record=True, dt=duration / 20)
    sim.run(sim.network(*[o for k, o in net.items() if k != "stimulus"], spikes, omega, f),
            duration, namespace={"stimulus": net["stimulus"]})
    sim.finish()

# How far the recurrent weights are from -F^T F - mu I over learning (ErrC of the paper)
distance = [recurrent_weight_distance(w.reshape(n_neurons, n_neurons).T,
                                      v.reshape(n_inputs, n_neurons))
            for w, v in zip(omega.w_rec[:].T, f.w_ff[:].T)]
fig, (ax_raster, ax_distance) = plt.subplots(2, 1, figsize=(8, 6))
plotting.raster(ax_raster, spikes.i[:], spikes.t[:] / second, start=0,
                stop=float(duration / second))
ax_distance.plot(omega.t[:] / second, distance, "o-")
ax_distance.set(xlabel="time (s)", ylabel="distance to $-F^TF - \\mu I$")
plt.tight_layout()
plt.show()
