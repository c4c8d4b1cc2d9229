#!/usr/bin/env python
"""
Spike-based auto-encoding learned by exact gradient descent (Huh & Sejnowski 2018, Fig 2).

Quadratic integrate-and-fire neurons in phase form, with gated, differentiable synapses
(ds/dt = -s / tau_s + g(v) dv/dt), see a smooth random 2-D signal x(t) through U and must give
it back in their readout o = O s. U, W, O and I0 are trained in NumPy by Adam on the exact
gradient of the Euler-discretised network (``models/gradient_snn/reference.py``). The trained
network then runs in Brian2 (``models/gradient_snn/network.py``: the same equations,
``method="euler"``), which gives the NumPy spikes exactly. ``--quick`` trains 20 Adam steps
instead of 300.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import SpikeMonitor, StateMonitor, ms, second

from figures import plotting
from models.common.device import Simulation
from models.gradient_snn.autoencode import autoencode_task
from models.gradient_snn.experiment import train, validation_batch
from models.gradient_snn.network import build_network
from models.gradient_snn.reference import Constants, init_parameters, initial_state

# Parameters (Fig 2, a smaller network)
iterations = 20 if "--quick" in sys.argv else 300
n_neurons, n_inputs = 20, 2
dt, tau_v, tau_s, delta = 0.5 * ms, 10 * ms, 20 * ms, 0.5  # delta: active zone (rad)
trial, warmup, smoothing = 500 * ms, 100 * ms, 100 * ms
seed = 1

# Training in NumPy: fresh signals every Adam step, the first 100 ms of each not scored
const = Constants(dt=float(dt / second), tau_v=float(tau_v / second),
                  tau_s=float(tau_s / second), delta=delta)
batch = autoencode_task(round(float(trial / dt)), round(float(warmup / dt)),
                        float(smoothing / dt), amplitude=1.0)
rng = np.random.default_rng(seed)
params0 = init_parameters(rng, n_inputs, n_neurons, n_inputs, i0_mean=-0.1)  # W = O = 0
params, history = train(params0, batch, const, rng=rng, iterations=iterations, batch_size=8,
                        lr=3e-3, clip=1.0, current_weight=10.0, eval_every=10, label="Adam",
                        validation=validation_batch(batch, rng, 8, n_neurons))

# The trained network in Brian2 on a fresh signal (C++ standalone: compiled once, then cached)
x, _, _ = batch(rng, 1)
v0, s0 = initial_state(rng, 1, n_neurons)
with Simulation("example-gradient-autoencode", target="cpp", seed=seed) as sim:
    net = build_network(sim, params, x, const, v0, s0)
    activity = StateMonitor(net["qif"], "s", record=True, when="end")
    spikes = SpikeMonitor(net["qif"])
    sim.run(sim.network(net["qif"], net["recurrent"], activity, spikes), len(x) * dt,
            namespace={"input_current": net["input_current"]})
    sim.finish()

readout = params["O"] @ activity.s[:]  # (2, steps)
fig, (ax_loss, ax_signal, ax_raster) = plt.subplots(3, 1, figsize=(8, 8))
ax_loss.plot(history["eval_iteration"], history["validation_loss"], "o-")
ax_loss.set(xlabel="Adam step", ylabel="validation NMSE")
for d, color in enumerate(("tab:blue", "tab:orange")):
    ax_signal.plot(activity.t / second, x[:, 0, d], color=color, lw=3, alpha=0.4)
    ax_signal.plot(activity.t / second, readout[d], color=color, lw=1)
ax_signal.set(xlabel="time (s)", ylabel="signal (thick), readout")
plotting.raster(ax_raster, spikes.i[:], spikes.t[:] / second, start=0,
                stop=float(trial / second))
ax_raster.set(xlabel="time (s)", title="Brian2")
plt.tight_layout()
plt.show()
