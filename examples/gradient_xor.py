#!/usr/bin/env python
"""
Delayed-memory XOR learned by exact gradient descent (Huh & Sejnowski 2018, Fig 3).

Eighty quadratic integrate-and-fire neurons get two pulses of random sign 300 ms apart on one
input channel and a go cue on the other; after the cue their readout o = O s must be +1 if the
signs differed and -1 if not. The delay is six synaptic time constants, so the network has to
hold the first sign itself: the initial W has self-excitation on its diagonal (latches near
bistability), and Adam on the exact gradient of the discretised network (NumPy,
``models/gradient_snn/reference.py``) shapes them into XOR. The trained network then runs in
Brian2 (``models/gradient_snn/network.py``), one copy per condition. ``--quick`` trains 10 Adam
steps instead of 300 (too few to learn XOR).
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, second

from figures import plotting
from models.gradient_snn.experiment import train, validation_batch
from models.gradient_snn.network import simulate
from models.gradient_snn.reference import Constants, init_parameters, initial_state
from models.gradient_snn.xor import CONDITIONS, Timeline, decisions, xor_task, xor_trials

# Parameters (Fig 3)
iterations = 10 if "--quick" in sys.argv else 300
n_neurons = 80
dt, tau_v, tau_s, delta = 1 * ms, 10 * ms, 50 * ms, 0.5  # delta: active zone (rad)
timeline = Timeline(dt, start=50 * ms, pulse=50 * ms, delay=300 * ms, go_delay=250 * ms,
                    response=250 * ms)
amplitude, noise = 2.0, 0.1
seed = 1

# Training in NumPy: batches of 16 trials (4 per condition), scored in the response window
const = Constants(dt=float(dt / second), tau_v=float(tau_v / second),
                  tau_s=float(tau_s / second), delta=delta)
batch = xor_task(timeline, amplitude, noise)
rng = np.random.default_rng(seed)
params0 = init_parameters(rng, 2, n_neurons, 1, w_scale=0.3, self_excitation=0.8,
                          i0_mean=-0.5, i0_spread=0.2)
params, history = train(params0, batch, const, rng=rng, iterations=iterations, batch_size=16,
                        lr=5e-3, clip=1.0, current_weight=10.0, eval_every=10, label="Adam",
                        validation=validation_batch(batch, rng, 64, n_neurons))

# One test trial of each condition, side by side as four copies of the network in Brian2
# (network.simulate: build_network, monitors of s and spikes, a C++ standalone run, cached)
x, target = xor_trials(rng, [0, 1, 2, 3], timeline, amplitude, noise)
v0, s0 = initial_state(rng, 4, n_neurons)
brian2 = simulate(params, x, const, v0, s0, device="cpp", seed=seed, name="example-gradient-xor")
readout = brian2["o"]  # (steps, 4 trials, 1)
decided = decisions(readout, timeline)
t = np.arange(1, len(x) + 1) * const.dt

fig, (ax_readout, ax_raster) = plt.subplots(2, 1, figsize=(8, 6))
for c in range(4):
    line, = ax_readout.plot(t, readout[:, c, 0], label=f"{CONDITIONS[c]}: decided "
                            f"{decided[c]:+.0f}")
    ax_readout.plot(t, target[:, c, 0], "--", color=line.get_color())
ax_readout.axvspan(*np.array(timeline.response) * const.dt, color="0.9")
ax_readout.set(xlabel="time (s)", ylabel="readout (dashed: target)")
ax_readout.legend(title="pulse signs", fontsize=7)
step, neuron = np.nonzero(brian2["spikes"][:, 0])  # the copy that ran condition -,-
plotting.raster(ax_raster, neuron, (step + 1) * const.dt, start=0, stop=t[-1])
ax_raster.set(xlabel="time (s)", title="Brian2, trial -,-")
plt.tight_layout()
plt.show()
