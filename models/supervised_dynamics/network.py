"""The supervised-dynamics network in Brian2: equations, encoder and target weights, builder.

Bourdoukan & Denève (NIPS 2015), reconstructed from the paper's equations (no code was
published). N neurons with a fixed encoder F (N x J, rows F_i) and decoder D = F^T:

    xhat = D r,   dr/dt = -lam r + o                         (readout, filtered spikes)
    dV/dt = -lam V + F c + Omega_s r + K F e + sigma_v xi,   e = x - xhat
    on a spike of k:  V += Omega_f[:, k]                     (fast; diagonal = the reset)
    threshold T_i = (|F_i|^2 + mu) / 2; at most one spike per step; refractory period

The fast weights learn with the voltage-based rule of ``rules.balanced`` on presynaptic spikes,
the slow weights with the current-based Hebbian rule of ``rules.supervised`` at every step.
The target system dx/dt = A x + c is integrated beside the network (the readout units), so
the error e is available to the neurons as it is to the NumPy loop of ``reference.py``.
"""

import numpy as np
from brian2 import Hz, NeuronGroup, Synapses, defaultclock

from models.common import noise
from models.common.arbitration import NEURON_VARIABLES, THRESHOLD, one_spike_per_step
from rules import connect_all
from rules.balanced import recurrent_synapses
from rules.supervised import slow_synapses

#: ``{xi}`` and ``{key}``: white noise and its key (``models.common.noise``)
NEURON_EQUATIONS = (
    """
dv/dt = -lam * v + I_cmd + I_err + I_slow + sigma_v * {xi} : 1
{key}I_cmd : 1/second               # F c, summed by the encoder synapses
I_err : 1/second               # K F e, summed by the encoder synapses
I_slow : 1/second              # Omega_s r, summed by the slow synapses
r : 1                          # filtered spike train
threshold : 1 (constant)
lam : 1/second (shared, constant)
sigma_v : 1/second**0.5 (shared, constant)
sigma_t : 1 (shared, constant)
"""
    + NEURON_VARIABLES
)

#: the J readout units: target state x, command c, decoded xhat and the error
READOUT_EQUATIONS = """
dx/dt = Ax + c : 1              # the target system, integrated with the network
Ax : 1/second                   # (A x)_i, summed by the system synapses
c = command(t, i) : 1/second
xhat : 1                        # D r, summed by the decoder synapses
err = x - xhat : 1
"""

#: refractory neurons never win the one-spike-per-step arbitration; ``{normal}``: a draw
SCORE = "v - threshold - sigma_t * {normal} - 1e9 * (1 - int(not_refractory))"

#: noise streams of ``gauss`` (models.common.noise): voltage and threshold noise
VOLTAGE_NOISE, THRESHOLD_NOISE = 0, 1

# order of the code in the 'groups' slot of each time step (see reference.py)
ORDER_DECODER = -10      # xhat = D r from the rates of the step
ORDER_NEURONS = 0        # V update; the summed currents run just before (order -1)
ORDER_SLOW_RULE = 2      # after the currents and the fast transmission (order 1)
ORDER_READOUT = 5        # x <- x + dt (A x + c), after everything that reads x


def encoder(rng, n_neurons, dims, norm):
    """F (N, J): random directions of length ``norm``."""
    f = rng.standard_normal((n_neurons, dims))
    return norm * f / np.linalg.norm(f, axis=1, keepdims=True)


def optimal_weights(f, a, lam_hz, mu):
    """(Omega_f, Omega_s) of the network that implements dx/dt = A x + c with D = F^T."""
    fast = -f @ f.T - mu * np.eye(len(f))
    slow = f @ (a + lam_hz * np.eye(len(a))) @ f.T
    return fast, slow


def build_network(sim, *, a, f, thresholds, fast_initial, slow_initial, commands, dt,
                  command_dt, lam, mu, refractory, sigma_v, sigma_t, eps_fast, beta, eps_slow,
                  rng="fast", fast_rule=recurrent_synapses, slow_rule=slow_synapses):
    """Brian2 objects of the network, its readout units and its four pathways.

    ``commands`` (samples, J) is c in 1/second, one sample every ``command_dt``. The weight
    matrices are [post, pre]; synapse order is presynaptic index major. ``fast_rule`` and
    ``slow_rule`` build the plastic recurrent pathways (defaults: ``rules.balanced`` and
    ``rules.supervised``; another rule is a builder with the same signature). Returns a dict
    of the objects; ``encoder.k_gain`` (the feedback gain K) is left to the caller. ``rng``
    picks the noise generator (``models.common.noise``).
    """
    n_neurons, dims = f.shape
    defaultclock.dt = dt
    command = sim.timed_array(commands * Hz, dt=command_dt, name="command")
    equations = noise.equations(NEURON_EQUATIONS, rng, VOLTAGE_NOISE)
    neurons = NeuronGroup(n_neurons, equations, threshold=THRESHOLD, reset="r += 1",
                          refractory=refractory, method="euler", order=ORDER_NEURONS,
                          name="neurons")
    neurons.lam = lam
    neurons.sigma_v = sigma_v
    neurons.sigma_t = sigma_t
    noise.prepare(sim, neurons, rng, VOLTAGE_NOISE)
    sim.set_values(neurons.threshold, thresholds)
    neurons.run_regularly("r = (1 - lam * dt) * r", when="end", name="neurons_rate_decay")
    score = SCORE.format(normal=noise.near(rng, THRESHOLD_NOISE, "v - threshold", "sigma_t"))
    arbitration = one_spike_per_step(neurons, score_expression=score)
    readout = NeuronGroup(dims, READOUT_EQUATIONS, method="euler", order=ORDER_READOUT,
                          name="readout")
    target_system = Synapses(readout, readout, "a : 1/second\n"
                             "Ax_post = a * x_pre : 1/second (summed)", name="target_system")
    decoder = Synapses(neurons, readout, "d : 1\nxhat_post = d * r_pre : 1 (summed)",
                       name="decoder")
    enc = Synapses(readout, neurons, """
        f : 1
        k_gain : 1/second (shared)
        I_cmd_post = f * c_pre : 1/second (summed)
        I_err_post = k_gain * f * err_pre : 1/second (summed)
        """, name="encoder")
    for syn in (target_system, decoder, enc):
        connect_all(syn)
    decoder.summed_updaters["xhat_post"].order = ORDER_DECODER
    fast = fast_rule(neurons, eps_o=eps_fast, beta=beta, mu=mu, name="fast")
    slow = slow_rule(neurons, eps_s=eps_slow, order=ORDER_SLOW_RULE, name="slow")
    sim.set_values(target_system.a, a.T.ravel() * Hz)
    sim.set_values(decoder.d, f.ravel())                 # (neuron n, dim j) <-> D[j, n]
    sim.set_values(enc.f, f.T.ravel())                   # (dim j, neuron n) <-> F[n, j]
    sim.set_values(fast.w_rec, fast_initial.T.ravel())
    sim.set_values(slow.w_slow, slow_initial.T.ravel() * Hz)
    return dict(command=command, neurons=neurons, arbitration=arbitration, readout=readout,
                target_system=target_system, decoder=decoder, encoder=enc, fast=fast,
                slow=slow)


def synapses_to_matrices(values, n):
    """Synapse-major (N*N, snapshots) values -> (snapshots, N, N) matrices [post, pre]."""
    values = np.asarray(values, dtype=float)
    return np.swapaxes(values.T.reshape(-1, n, n), 1, 2)
