#!/usr/bin/env python
"""
Event-driven random backpropagation (eRBP; Neftci, Augustine, Paul & Detorakis 2017).

A spiking 64-100-10 classifier learns scikit-learn's 8x8 digits online. Pixels drive Poisson
inputs; during training the label unit of the true class fires too, and error neurons (label
minus output, and output minus label) send their spikes back to a dendrite U of every
hidden and output neuron: one-to-one to the outputs, through fixed random weights to the hidden
layer. Every transmitted input spike changes its weight by eta * U of its target, while the
target's synaptic current lies between b_min and b_max (``rules/erbp.py``).

One epoch: the training images, each shown for 250 ms (learning off in its first 50 ms), then
the test images with labels and learning off; the class is the output neuron with most spikes.
To try another rule, write a builder with the signature of ``rules.erbp.erbp_synapses`` and
pass it as ``learning_synapses=`` below. ``--quick`` shows 6 training and 4 test images
(too few to learn: it checks that everything runs).
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, SpikeMonitor, ms, second

from analysis.datasets import load_dataset
from figures import plotting
from models.common.device import Simulation
from models.erbp.experiment import classification_errors
from models.erbp.network import brian_objects, build_network, forward_init
from rules.erbp import erbp_synapses, random_feedback

# Parameters (the paper's, on digits)
n_train, n_test = (6, 4) if "--quick" in sys.argv else (1348, 449)
n_hidden = 100
sample, dt = 250 * ms, 0.1 * ms
neurons = dict(tau_m=1 * ms, tau_syn=4 * ms, tau_u=5 * ms, theta=0.1, refractory=3.9 * ms,
               input_rate=200 * Hz, label_rate=200 * Hz, w_err=0.09, theta_err=0.1, g_out=1.0)
rule = dict(eta=5e-5, b_min=-1.15, b_max=1.15, p_syn=1.0)
seed = 1

# The schedule: training images in random order, then the test images
data = load_dataset("digits")
rng = np.random.default_rng(seed)
kinds = np.repeat([0, 1], [n_train, n_test])  # 0: training, 1: test
index = np.concatenate([rng.permutation(n_train), np.arange(n_test)])
images = np.concatenate([data.x_train[index[:n_train]], data.x_test[:n_test]])
labels = np.zeros((len(kinds), 10))
labels[np.arange(n_train), data.y_train[index[:n_train]]] = 1.0  # label units: training only
gate = np.zeros((len(kinds), 5))
gate[:n_train, 1:] = 1.0  # learning on after the first fifth (50 ms) of a training sample

# The network, its monitors, and the run (C++ standalone: compiled once, then cached)
with Simulation("example-erbp", target="cpp", seed=seed, code_params=dict(n=len(kinds))) as sim:
    net = build_network(sim, images=images, labels=labels, gate=gate, sample=sample, dt=dt,
                        w_input_hidden=0.15 * forward_init(rng, 64, n_hidden),
                        w_hidden_output=0.15 * forward_init(rng, n_hidden, 10),
                        g_hidden=random_feedback(rng, 10, n_hidden),
                        learning_synapses=erbp_synapses, **neurons, **rule)
    output, hidden = SpikeMonitor(net["output"]), SpikeMonitor(net["hidden"])
    sim.run(sim.network(*brian_objects(net), output, hidden), len(kinds) * sample,
            namespace=net["namespace"])
    sim.finish()

out_i, out_t = np.asarray(output.i[:]), np.asarray(output.t[:] / second)
error = classification_errors(out_i, out_t, kinds, index, data.y_test[:n_test], 10, 0.25)[0]
end = n_train * 0.25  # the end of training (s)
fig, (ax_hidden, ax_output) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
plotting.raster(ax_hidden, hidden.i[:], hidden.t[:] / second, start=end - 1, stop=end + 1)
plotting.raster(ax_output, out_i, out_t, start=end - 1, stop=end + 1, color="tab:red")
ax_hidden.set_title(f"last training and first test samples; test error {100 * error:.1f} %")
ax_hidden.set(ylabel="hidden neuron")
ax_output.set(xlabel="time (s)", ylabel="output neuron")
plt.tight_layout()
plt.show()
