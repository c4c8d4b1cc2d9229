"""The balanced-coding network in Brian2: equations, initial and optimal weights, builders.

Per time step dt (all quantities dimensionless except rates), Algorithm 1 of Brendel et al.:

    V <- (1 - lam dt) V + dt F^T I + Omega[:, k_prev] + sigma_v xi      (leak, input, recurrence)
    x <- (1 - lam dt) x + dt I                                            (input trace)
    k = argmax(V - T - sigma_t xi'); k spikes if that is >= 0             (one spike per step)
    on a spike of k:  F[:, k] += eps_f (alpha x - F[:, k])                (Hebbian, on_post)
                      Omega[:, k] -= eps_o (beta (V + mu r) + Omega[:, k] + mu e_k)  (on_pre)
    r <- (1 - lam dt) (r + o)                                             (filtered spikes)

There is no explicit reset: the diagonal of Omega (the autapses) resets the voltage. The rules
are ``rules.balanced``; the arbitration is ``models.common.arbitration``'s judge.
"""

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, defaultclock

from models.common import noise
from models.common.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                       one_spike_per_step_judge)
from rules.balanced import feedforward_synapses, recurrent_synapses

#: ``{xi}`` and ``{key}``: white noise and its key (``models.common.noise.equations``)
NEURON_EQUATIONS = (
    """
dv/dt = -lam * v + I_ff + sigma_v * {xi} / sqrt(dt) : 1   # sigma_v is the noise s.d. per step
{key}I_ff : 1/second                  # F^T I, summed by the feedforward synapses
r : 1                            # filtered spike train
keep : 1 (constant)              # 0: the state is reset at every test trial (evaluation)
noise_index : integer (constant) # the neuron's number in the noise streams (gauss)
lam : 1/second (shared, constant)
threshold : 1 (shared, constant)
sigma_v : 1 (shared, constant)
sigma_t : 1 (shared, constant)
"""
    + JUDGE_VARIABLES
)

INPUT_EQUATIONS = """
I : 1/second                         # the input of this step (READ_INPUT, once per step)
stimulus_now = stimulus(t - cycle * floor((t + 0.5 * dt) / cycle), column) : 1/second  # = I
dx/dt = -lam * x + stimulus_now : 1  # leaky integral of the input: the signal to represent
column : integer (constant)          # column of the stimulus array this unit reads
cycle : second (shared, constant)    # the stimulus array repeats with this period
lam : 1/second (shared, constant)
"""

#: the input of the step, read at its start: once per input unit, not once per synapse that
#: uses it (the feedforward synapses sum w_ff * I_pre). The integral x reads the stimulus
#: itself: the same value, in the arithmetic order of the runs before (same bits)
READ_INPUT = "I = stimulus_now"

#: the parameters ``build_network`` takes from the model's parameter record
RULE_PARAMETERS = ("lam", "threshold", "sigma_v", "sigma_t", "eps_o", "eps_f", "alpha", "beta",
                   "mu", "rng")

#: noise streams of ``gauss`` (models.common.noise): voltage and threshold noise
VOLTAGE_NOISE, THRESHOLD_NOISE = 0, 1


def initial_weights(rng, n_inputs, n_neurons):
    """F: random unit columns; Omega: weak random recurrence, strong autapses (official code)."""
    f = 0.5 * rng.standard_normal((n_inputs, n_neurons))
    f /= np.sqrt(np.sum(f**2, axis=0, keepdims=True))
    omega = -0.2 * rng.random((n_neurons, n_neurons)) - 0.5 * np.eye(n_neurons)
    return f, omega


def optimal_recurrent(f, mu):
    """Omega_opt = -F^T F - mu I (fixed point of the learning for alpha = beta = 1)."""
    return -f.T @ f - mu * np.eye(f.shape[1])


def build_network(sim, *, copies, n_neurons, n_inputs, stimulus_values, columns, cycle, dt,
                  lam, threshold, sigma_v, sigma_t, eps_o, eps_f, alpha, beta, mu, rng="fast",
                  noise_index=None, feedforward=feedforward_synapses,
                  recurrent=recurrent_synapses):
    """Brian2 objects of ``copies`` independent networks (one for learning, many to evaluate).

    ``stimulus_values`` (steps, columns) is the input in 1/second; copy c's input unit d reads
    column ``columns[c * n_inputs + d]``. ``feedforward`` and ``recurrent`` build the two
    plastic pathways (default: the rules of ``rules.balanced``; another rule is a builder
    with the same signature). ``rng`` picks the noise generator (``models.common.noise``);
    with ``fast``, neuron k draws the noise of neuron ``noise_index[k]`` (default: its own
    index). Returns a dict of the objects.
    """
    defaultclock.dt = dt
    stimulus = sim.timed_array(stimulus_values * Hz, dt=dt, name="stimulus")
    inputs = NeuronGroup(copies * n_inputs, INPUT_EQUATIONS, method="euler", name="inputs")
    equations = noise.equations(NEURON_EQUATIONS, rng, VOLTAGE_NOISE, index="noise_index")
    neurons = NeuronGroup(
        copies * n_neurons, equations, threshold=JUDGE_THRESHOLD, reset="r += 1",
        events=dict(JUDGE_EVENTS), method="euler", name="neurons",  # Brian2 adds to it
    )
    inputs.column = np.asarray(columns)
    inputs.cycle = cycle
    inputs.run_regularly(READ_INPUT, when="start", name="inputs_read")
    for group in (inputs, neurons):
        group.lam = lam
    neurons.threshold = threshold
    neurons.sigma_v = sigma_v
    neurons.sigma_t = sigma_t
    neurons.keep = 1
    noise.set_key(sim, neurons, rng)
    if noise_index is None:
        noise_index = np.arange(copies * n_neurons)
    sim.set_values(neurons.noise_index, np.asarray(noise_index, dtype=np.int32))
    neurons.run_regularly("r = (1 - lam * dt) * r", when="end", name="neurons_rate_decay")
    score = f"v - threshold - sigma_t * {noise.normal(rng, THRESHOLD_NOISE, 'noise_index')}"
    arbitration = one_spike_per_step_judge(neurons, score_expression=score, block_size=n_neurons)
    ff = feedforward(inputs, neurons, eps_f=eps_f, alpha=alpha, copies=copies)
    rec = recurrent(neurons, eps_o=eps_o, beta=beta, mu=mu, copies=copies)
    return dict(stimulus=stimulus, inputs=inputs, neurons=neurons, arbitration=arbitration,
                ff=ff, rec=rec)


def set_weights(sim, objs, f, omega):
    """F (copies, M, N) and Omega (copies, N, N) into the synapses (run_args on standalone)."""
    w_ff, w_rec = weights_to_synapses(f, omega)
    sim.set_values(objs["ff"].w_ff, w_ff)
    sim.set_values(objs["rec"].w_rec, w_rec)


def weights_to_synapses(f, omega):
    """F (copies, M, N) and Omega (copies, N, N) in the synapse order of rules.balanced."""
    return np.ascontiguousarray(f).ravel(), np.ascontiguousarray(np.swapaxes(omega, 1, 2)).ravel()


def synapses_to_weights(w_ff, w_rec, n_inputs, n_neurons):
    """The inverse of :func:`weights_to_synapses`: (F, Omega) with a leading copy axis."""
    f = np.asarray(w_ff).reshape(-1, n_inputs, n_neurons)
    omega = np.swapaxes(np.asarray(w_rec).reshape(-1, n_neurons, n_neurons), -1, -2)
    return f, omega


def run_frozen(*, sim, f, omega, stimulus, dt, **rule_parameters):
    """One network with frozen weights F (M, N) and Omega (N, N) on ``stimulus`` (steps, M).

    For benchmarks and tests. Returns the ``SpikeMonitor`` (None when only building).
    """
    n_inputs, n_neurons = f.shape
    objs = build_network(sim, copies=1, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=stimulus, columns=np.arange(n_inputs),
                         cycle=(len(stimulus) + 1) * dt, dt=dt, **rule_parameters)
    set_weights(sim, objs, f[None], omega[None])
    objs["ff"].plastic = 0
    objs["rec"].plastic = 0
    spikes = SpikeMonitor(objs["neurons"], name="spikes")
    net = sim.network(*[o for k, o in objs.items() if k != "stimulus"], spikes)
    sim.run(net, len(stimulus) * dt, namespace={"stimulus": objs["stimulus"]})
    sim.finish()
    return None if sim.build_only else spikes
