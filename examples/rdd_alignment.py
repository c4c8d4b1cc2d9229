#!/usr/bin/env python
"""
Inferring forward weights from spikes (Guerguiev, Kording & Richards 2020; Ahmad et al. 2020;
Akrout et al. 2019).

A layer of 64 leaky integrate-and-fire neurons drives a layer of 32 through random forward
weights W. Every 100 ms a random fifth of the lower layer gets Poisson input; the upper layer
follows. Each lower neuron then estimates its own effect on each upper neuron, from spikes
alone, with three rules (``rules/rdd.py``): regression discontinuity at the spike threshold
(RDD), spike-timing-dependent weight inference (STDWI) and the weight mirror. Fixed random
feedback (FA) does not align with W^T at all (90 degrees); the three estimates do.

To leave a rule out, drop it from ``rules`` below. ``--quick`` simulates 5 s instead of 30 s.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, ms, second

from analysis.alignment import alignment_course, angle_deg
from figures import plotting
from models.rdd.network import forward_weights, rdd_feedback, simulate_feedback

# Parameters (the network of the authors' code)
duration = (5 if "--quick" in sys.argv else 30) * second
sizes = (64, 32)
neurons = dict(dt=1 * ms, g_L=100 / second, g_D=600 / second, alpha=4.0, refractory=3 * ms)
drive = dict(drive_rate=200 * Hz, drive_fraction=0.2)
learning = dict(band=0.1, window=30 * ms, eta_rdd=1e-3, eta_stdwi=1e-4, decay_stdwi=0.1,
                eta_mirror=1e-4, decay_mirror=0.2)
rules = ("rdd", "stdwi", "mirror")
seed = 1

# Random forward weights W (as PyTorch draws them) and a fixed random feedback matrix (FA)
rng = np.random.default_rng([seed, 1])  # apart from the simulation's stream (seed)
w = forward_weights(rng, sizes, "guerguiev")
y_fa = rng.standard_normal(w[0].T.shape)

# The spiking network learns its estimates (C++ standalone: compiled once, then cached)
out = simulate_feedback(weights=w, duration=duration, seed=seed, device="cpp", rules_used=rules,
                        network="guerguiev", snapshot_interval=1 * second, **neurons, **drive,
                        **learning)

# Angle between each estimate and W^T over time; RDD's beta is rescaled as the authors do
fig, (ax_raster, ax_angle, ax_final) = plt.subplots(1, 3, figsize=(14, 4))
spike_i, spike_t = out["spikes"][1]
plotting.raster(ax_raster, spike_i, spike_t, start=0, stop=1)
ax_raster.set(title="upper layer, first second", xlabel="time (s)", ylabel="neuron")
t = out["snapshot_t"]
for rule in rules:
    series = out["snapshots"][f"{rule}0"]
    if rule == "rdd":
        series = [rdd_feedback(beta, y_fa) for beta in series]
    ax_angle.plot(t, alignment_course(series, w[0])["angle_deg"], label=rule)
ax_angle.axhline(angle_deg(y_fa, w[0]), color="0.5", ls="--", label="FA")
ax_angle.set(xlabel="simulated time (s)", ylabel="angle to W$^T$ (deg)")
ax_angle.legend()
y_rdd = rdd_feedback(out["final"]["rdd0_beta"], y_fa) if "rdd" in rules else y_fa
scale = np.sum(y_rdd * w[0].T) / np.sum(y_rdd**2)  # least squares: only the direction counts
plotting.scatter_identity(ax_final, w[0].T, scale * y_rdd, xlabel="W$^T$",
                          ylabel="final RDD feedback (scaled)")
plt.tight_layout()
plt.show()
