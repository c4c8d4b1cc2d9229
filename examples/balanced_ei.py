#!/usr/bin/env python
"""
An E/I network obeying Dale's law learns a balanced spike code (Brendel et al. 2020, Fig 4).

300 excitatory (E) neurons see a 3-D smoothed-noise signal through feedforward weights F; 75
inhibitory (I) neurons see only the E neurons. Every weight learns with a local rule
(``rules/dale.py``), clipped at zero so that no synapse changes sign; at most one neuron of
each population fires per time step. Learning balances each E neuron's excitation with
inhibition and lowers the rates. To try another rule, pass a builder with the signature of
``rules.dale.dale_synapses`` as ``recurrent=`` below. ``--quick`` learns 1 s instead of 50 s.
"""
import sys

import matplotlib.pyplot as plt
import numpy as np
from brian2 import SpikeMonitor, ms, second

from figures import plotting
from models.balanced_ei.network import build_network, initial_weights, read_weights, set_weights
from models.common.device import Simulation
from models.common.signals import smoothed_white_noise
from rules.balanced import feedforward_synapses
from rules.dale import dale_synapses

# Parameters (Fig 4 of the official code)
duration = (1 if "--quick" in sys.argv else 50) * second
dt = 0.1 * ms
n_e, n_i, n_inputs = 300, 75, 3
rules = dict(lam=50 / second, threshold=0.5, mu=0.002, eps_f=1e-5, eps_o=1e-4,
             refractory_steps=10, sigma_v=0.002, sigma_t=0.02, w_autapse=-0.02,
             trace_leak_e=300 / second, trace_leak_i=50 / second, tournament=0)
seed = 1

# The initial weights and the signal, drawn from the seed
rng = np.random.default_rng(seed)
w0 = initial_weights(rng, n_inputs, n_e, n_i, w_autapse=rules["w_autapse"])
signal = smoothed_white_noise(rng, int(round(duration / dt)), n_inputs, amplitude=2000.0,
                              smoothing_steps=30, block_steps=1000)

# The network, its monitors, and the run (C++ standalone: compiled once, then cached)
with Simulation("example-balanced-ei", target="cpp", seed=seed,
                code_params=dict(steps=len(signal))) as sim:
    net = build_network(sim, n_inputs=n_inputs, n_e=n_e, n_i=n_i, dt=dt, stimulus_values=signal,
                        stimulus_dt=dt, feedforward=feedforward_synapses,
                        recurrent=dale_synapses, **rules)
    set_weights(sim, net, w0)
    spikes = {pop: SpikeMonitor(net[pop], name=f"spikes_{pop}") for pop in ("exc", "inh")}
    objects = [o for k, o in net.items() if k not in ("stimulus", "arbitration")]
    sim.run(sim.network(*objects, *net["arbitration"], *spikes.values()), duration,
            namespace={"stimulus": net["stimulus"]})
    sim.finish()
    learned = read_weights(net, n_inputs, n_e, n_i)
    trains = {pop: (m.i[:], m.t[:] / second) for pop, m in spikes.items()}

# Rasters of the last 0.5 s, rates over learning, and the signs of the learned weights
end = float(duration / second)
fig, axes = plt.subplots(3, 1, figsize=(8, 8))
for pop, offset, n, color in (("exc", 0, n_e, "tab:green"), ("inh", n_e, n_i, "tab:orange")):
    plotting.raster(axes[0], trains[pop][0] + offset, trains[pop][1], start=end - 0.5,
                    stop=end, color=color, markersize=1)
    plotting.rate_trace(axes[1], trains[pop][1], n, 0, end, bin_size=end / 20, color=color)
axes[1].set_xlabel("learning time (s): E (green), I (orange)")
off_diagonal = learned["w_ee"][~np.eye(n_e, dtype=bool)]  # the autapse is the reset
for key, values in (("E->E", off_diagonal), ("E->I", learned["w_ei"]),
                    ("I->E", learned["w_ie"]), ("I->I", learned["w_ii"])):
    axes[2].hist(np.ravel(values), bins=60, histtype="step", label=key)
axes[2].set(xlabel="learned weight (Dale's law: E >= 0, I <= 0)", yscale="log")
axes[2].legend(frameon=False)
plt.tight_layout()
plt.show()
