#!/usr/bin/env python
"""
Training with feedback learned by spikes (Guerguiev, Kording & Richards 2020, Fig 4-like).

A rate network (64 inputs, hidden layers of 64 and 32 ReLU units, 10 softmax outputs) learns
scikit-learn's digits by SGD. Its errors travel backwards through feedback matrices Y: W^T
(backprop), fixed random matrices (feedback alignment), or, before each epoch, the estimates of
a spiking copy of the layers above the input that runs its RDD phase (``rules/rdd.py``,
``models/rdd/network.py``) with the current forward weights. The RDD feedback turns towards
W^T while random feedback stays near 90 degrees; over 20 epochs (``spikerules run
rdd-training``) the test error with RDD feedback lies between backprop's and FA's.

``--quick`` trains 3 epochs with a 4-s spiking phase each instead of 10 epochs and 10 s.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import second

from analysis.datasets import load_dataset
from models.rdd import AlignmentParams
from models.rdd.training import train

# Parameters
quick = "--quick" in sys.argv
epochs = 3 if quick else 10
feedback_time = (4 if quick else 10) * second  # spiking RDD phase before each epoch
hidden = (64, 32)
sgd = dict(batch_size=32, lr=0.01, momentum=0.9)
spiking = AlignmentParams(device="cpp").feedback_keywords()  # the RDD paper's network
seed = 1

# Train the same initial network three ways; rdd runs the spiking network (C++ standalone,
# compiled once, then cached) before every epoch
data = load_dataset("digits")
runs = {method: train(data=data, hidden=hidden, method=method, seed=seed, epochs=epochs,
                      feedback_time=feedback_time, spiking=spiking, log=print, **sgd)
        for method in ("bp", "fa", "rdd")}

# Test error over epochs, and the angle of each hidden layer's feedback to W^T
fig, (ax_error, ax_angle) = plt.subplots(1, 2, figsize=(10, 4))
for (method, run), color in zip(runs.items(), ("k", "0.5", "tab:red")):
    ax_error.plot(np.arange(epochs + 1), 100 * run["test_error"], color=color, label=method)
    for layer, style in ((0, "-"), (1, ":")):
        ax_angle.plot(np.arange(1, epochs + 1), run["angle"][:, layer], style, color=color,
                      label=f"{method}, hidden {layer + 1}")
ax_error.set(xlabel="epoch", ylabel="test error (%)", yscale="log")
ax_error.legend()
ax_angle.set(xlabel="epoch", ylabel="feedback angle to W$^T$ (deg)", ylim=(-2, 95))
ax_angle.legend(fontsize=7)
plt.tight_layout()
plt.show()
