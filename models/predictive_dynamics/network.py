"""The predictive-dynamics network in Brian2: equations, the optimal weights, the builder.

A network of N integrate-and-fire neurons tracks x(t) of dx/dt = A x + c(t), given only the
command c(t) (Boerlin, Machens & Denève 2013). The readout is xhat = Gamma r with
dr/dt = -lam_d r + o. Voltages

    dV/dt = -lam_v V + Gamma^T c + Omega_s r - Omega_f o + sigma_v xi
    Omega_f = Gamma^T Gamma + mu lam_d^2 I        (fast: instantaneous, diagonal = reset)
    Omega_s = Gamma^T (A + lam_d I) Gamma         (slow: through the filtered spike trains r)
    threshold T_i = (nu lam_d + mu lam_d^2 + |Gamma_i|^2) / 2

No weight is learned (this is the non-learning base of supervised-dynamics, which learns
Omega_f and Omega_s). At most one neuron spikes per time step
(``models.common.arbitration``).
"""

import numpy as np
from brian2 import Hz, NeuronGroup, Synapses, defaultclock

from models.common import noise
from models.common.arbitration import NEURON_VARIABLES, THRESHOLD, one_spike_per_step

#: ``{xi}`` and ``{key}``: white noise and its key (``models.common.noise``, stream 0)
NEURON_EQUATIONS = (
    """
dv/dt = -lam_v * v + I_command + I_slow + sigma_v * {xi} : 1
{key}dr/dt = -lam_d * r : 1
I_command : 1/second            # Gamma^T c, summed by the command synapses
I_slow : 1/second               # Omega_s r, summed by the slow synapses
threshold : 1 (constant)
lam_v : 1/second (shared, constant)
lam_d : 1/second (shared, constant)
sigma_v : 1/second**0.5 (shared, constant)
"""
    + NEURON_VARIABLES
)

#: the J command units: c(t) read from the ``command`` TimedArray
COMMAND_EQUATIONS = """
c = command(t, i) : 1/second
"""


def decoding_vectors(rng, dims, n_neurons, norm):
    """Gamma (J, N): random directions, every column of length ``norm``."""
    gamma = rng.standard_normal((dims, n_neurons))
    gamma *= norm / np.linalg.norm(gamma, axis=0, keepdims=True)
    return gamma


def optimal_weights(gamma, a, lam_d_hz, mu, nu):
    """(Omega_f, Omega_s, thresholds) of the network whose readout Gamma r follows dx/dt = A x
    + c; ``lam_d_hz`` is the readout leak in 1/second, Omega_s in 1/second."""
    n_neurons, dims = gamma.shape[1], len(a)
    omega_f = gamma.T @ gamma + mu * lam_d_hz**2 * np.eye(n_neurons)
    omega_s = gamma.T @ (a + lam_d_hz * np.eye(dims)) @ gamma
    thresholds = 0.5 * (nu * lam_d_hz + mu * lam_d_hz**2 + np.sum(gamma**2, axis=0))
    return omega_f, omega_s, thresholds


def build_network(sim, *, gamma, omega_f, omega_s, thresholds, command_values, dt, lam_v,
                  lam_d, sigma_v, rng="fast"):
    """Brian2 objects of the network: command units, neurons, arbitration and the three
    pathways (command Gamma^T c, fast Omega_f, slow Omega_s), with the weights set.

    ``command_values`` (steps, J) is c(t) in 1/second at every step ``dt``. Synapse order is
    that of ``connect()``: presynaptic index major. ``rng`` picks the noise generator
    (``models.common.noise``). Returns a dict of the objects.
    """
    dims, n_neurons = gamma.shape
    defaultclock.dt = dt
    command = sim.timed_array(command_values * Hz, dt=dt, name="command")
    cmd = NeuronGroup(dims, COMMAND_EQUATIONS, name="command_units")
    equations = noise.equations(NEURON_EQUATIONS, rng, 0)
    neurons = NeuronGroup(n_neurons, equations, threshold=THRESHOLD, reset="r += 1",
                          method="euler", name="neurons")
    neurons.lam_v = lam_v
    neurons.lam_d = lam_d
    neurons.sigma_v = sigma_v
    noise.prepare(sim, neurons, rng, 0)
    arbitration = one_spike_per_step(neurons, score_expression="v - threshold")
    to_neurons = Synapses(cmd, neurons, "w : 1\nI_command_post = w * c_pre : 1/second (summed)",
                          name="command_synapses")
    to_neurons.connect()
    fast = Synapses(neurons, neurons, "w : 1", on_pre="v_post -= w", name="fast")
    fast.connect()
    slow = Synapses(neurons, neurons, "w : 1/second\nI_slow_post = w * r_pre : 1/second (summed)",
                    name="slow")
    slow.connect()
    sim.set_values(neurons.threshold, thresholds)
    sim.set_values(to_neurons.w, gamma.ravel())       # (d, n) <-> Gamma[d, n]
    sim.set_values(fast.w, omega_f.T.ravel())         # (k, n) <-> Omega_f[n, k]
    sim.set_values(slow.w, omega_s.T.ravel() * Hz)    # (k, n) <-> Omega_s[n, k]
    return dict(command=command, command_units=cmd, neurons=neurons, arbitration=arbitration,
                command_synapses=to_neurons, fast=fast, slow=slow)
