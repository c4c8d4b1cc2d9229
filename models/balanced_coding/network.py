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

With frozen optimal weights, Omega = -F^T F - mu I has rank M plus its diagonal, and the
network does not need the N x N matrix (``recurrence="lowrank"``, :func:`lowrank_recurrence`):
a spike of k adds F[:, k] to an M-dimensional read-out change, every neuron n receives
-F[:, n] . (that change), and the neuron that spiked its own -mu. Memory O(N M), work O(N M)
per step, and the same sums in the same order as the dense matrix of
:func:`frozen_optimal_recurrent`, so the same spikes.
"""

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, Synapses, defaultclock

from models.common import noise
from models.common.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                       one_spike_per_step_judge)
from rules import connect_blocks
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
#: extra neuron variables of the low-rank recurrence (:func:`lowrank_recurrence`)
LOWRANK_NEURON = """
I_rec : 1                        # F[:, n] . (change of the read-out), from the read-out units
own : 1                          # 1 in the step after the neuron's own spike (its -mu)
mu : 1 (shared, constant)
"""

#: the recurrent input of one step, as the dense network adds Omega[n, k]: one addition of
#: (-(F[0, n] F[0, k] + F[1, n] F[1, k] + ...) - mu [n == k])
LOWRANK_APPLY = """
v += -I_rec - mu * own
own = 0
"""

#: the parameters ``build_network`` takes from the model's parameter record
RULE_PARAMETERS = ("lam", "threshold", "sigma_v", "sigma_t", "eps_o", "eps_f", "alpha", "beta",
                   "mu", "rng", "recurrence")

#: noise streams of ``gauss`` (models.common.noise): voltage and threshold noise
VOLTAGE_NOISE, THRESHOLD_NOISE = 0, 1


def initial_weights(rng, n_inputs, n_neurons, recurrent=True):
    """F: random unit columns; Omega: weak random recurrence, strong autapses (official code).

    ``recurrent=False``: F alone; the generator skips Omega's N x N uniforms without making
    them (one 64-bit word each), so what it draws next is what it would draw after Omega.
    """
    f = 0.5 * rng.standard_normal((n_inputs, n_neurons))
    f /= np.sqrt(np.sum(f**2, axis=0, keepdims=True))
    if not recurrent:
        rng.bit_generator.advance(n_neurons**2)
        return f
    omega = -0.2 * rng.random((n_neurons, n_neurons)) - 0.5 * np.eye(n_neurons)
    return f, omega


def optimal_recurrent(f, mu):
    """Omega_opt = -F^T F - mu I (fixed point of the learning for alpha = beta = 1)."""
    return -f.T @ f - mu * np.eye(f.shape[1])


def frozen_optimal_recurrent(f, mu):
    """Omega_opt = -F^T F - mu I, its sums done input by input in order (j = 0, 1, ...).

    The weights of the non-learning network (learn=0). The low-rank recurrence adds up the
    same products in the same order, so the two give the same voltages; a BLAS product
    (:func:`optimal_recurrent`) orders and fuses them as it likes, which changes the last bit
    of a quarter of the entries.
    """
    f = np.asarray(f, dtype=float)
    gram = f[0][:, None] * f[0][None, :]
    for row in f[1:]:
        gram = gram + row[:, None] * row[None, :]
    return -gram - mu * np.eye(f.shape[1])


def build_network(sim, *, copies, n_neurons, n_inputs, stimulus_values, columns, cycle, dt,
                  lam, threshold, sigma_v, sigma_t, eps_o, eps_f, alpha, beta, mu, rng="fast",
                  noise_index=None, feedforward=feedforward_synapses,
                  recurrent=recurrent_synapses, recurrence="dense"):
    """Brian2 objects of ``copies`` independent networks (one for learning, many to evaluate).

    ``stimulus_values`` (steps, columns) is the input in 1/second; copy c's input unit d reads
    column ``columns[c * n_inputs + d]``. ``feedforward`` and ``recurrent`` build the two
    plastic pathways (default: the rules of ``rules.balanced``; another rule is a builder
    with the same signature). ``rng`` picks the noise generator (``models.common.noise``);
    with ``fast``, neuron k draws the noise of neuron ``noise_index[k]`` (default: its own
    index). ``recurrence="lowrank"``: frozen optimal recurrence through the read-out
    (:func:`lowrank_recurrence`) instead of ``recurrent``; the weights come from F
    (:func:`set_weights`). Returns a dict of the objects.
    """
    lowrank = recurrence == "lowrank"
    defaultclock.dt = dt
    stimulus = sim.timed_array(stimulus_values * Hz, dt=dt, name="stimulus")
    inputs = NeuronGroup(copies * n_inputs, INPUT_EQUATIONS, method="euler", name="inputs")
    equations = noise.equations(NEURON_EQUATIONS + (LOWRANK_NEURON if lowrank else ""), rng,
                                VOLTAGE_NOISE, index="noise_index")
    neurons = NeuronGroup(
        copies * n_neurons, equations, threshold=JUDGE_THRESHOLD,
        reset="r += 1\nown = 1" if lowrank else "r += 1",
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
    noise.prepare(sim, neurons, rng, VOLTAGE_NOISE, index="noise_index")
    if noise_index is None:
        noise_index = np.arange(copies * n_neurons)
    sim.set_values(neurons.noise_index, np.asarray(noise_index, dtype=np.int32))
    neurons.run_regularly("r = (1 - lam * dt) * r", when="end", name="neurons_rate_decay")
    draw = noise.near(rng, THRESHOLD_NOISE, "v - threshold", "sigma_t", "noise_index")
    score = f"v - threshold - sigma_t * {draw}"  # drawn near threshold only
    arbitration = one_spike_per_step_judge(neurons, score_expression=score, block_size=n_neurons)
    ff = feedforward(inputs, neurons, eps_f=eps_f, alpha=alpha, copies=copies)
    objs = dict(stimulus=stimulus, inputs=inputs, neurons=neurons, arbitration=arbitration,
                ff=ff)
    if lowrank:
        neurons.mu = mu
        objs["readout"] = lowrank_recurrence(neurons, n_inputs, copies=copies)
    else:
        objs["rec"] = recurrent(neurons, eps_o=eps_o, beta=beta, mu=mu, copies=copies)
    return objs


def lowrank_recurrence(neurons, n_inputs, *, copies=1, name="readout"):
    """Omega = -F^T F - mu I without the matrix: M read-out units per copy.

    Each step, in the ``groups`` slot right after the neurons' state update (where the dense
    network delivers Omega[:, k] of the previous step's spike k):

    1. ``up`` (neuron n -> read-out j, weight F[j, n]) delivers the spike: delta_j = F[j, k]
       (delta was cleared at the start of the step);
    2. ``down`` (read-out j -> neuron n, weight F[j, n]) sums I_rec = sum_j F[j, n] delta_j,
       j in order (synapse index (c, j, n));
    3. every neuron adds -I_rec - mu own (:data:`LOWRANK_APPLY`), ``own`` set by its reset.

    ``neurons`` need :data:`LOWRANK_NEURON`. Weights: :func:`set_weights`. Returns [read-out
    group, up, down] (the clearing and the neurons' addition run with their groups).
    """
    n = len(neurons) // copies
    readout = NeuronGroup(copies * n_inputs, "delta : 1", name=name)
    readout.run_regularly("delta = 0", when="start", name=f"{name}_clear")
    up = Synapses(neurons, readout, "w_up : 1", on_pre="delta_post += w_up", name=f"{name}_up")
    connect_blocks(up, n, n_inputs, copies)
    up.pre.when, up.pre.order = "groups", neurons.order + 1
    down = Synapses(readout, neurons, "w_down : 1\nI_rec_post = w_down * delta_pre : 1 (summed)",
                    name=f"{name}_down")
    connect_blocks(down, n_inputs, n, copies)
    updater = down.summed_updaters["I_rec_post"]
    updater.when, updater.order = "groups", neurons.order + 2
    neurons.run_regularly(LOWRANK_APPLY, when="groups", order=neurons.order + 3,
                          name=f"{name}_apply")
    return [readout, up, down]


def set_weights(sim, objs, f, omega):
    """F (copies, M, N) and Omega (copies, N, N) into the synapses (run_args on standalone).

    With the low-rank recurrence, ``omega`` is not used: the read-out synapses take F.
    """
    f = np.ascontiguousarray(f)
    sim.set_values(objs["ff"].w_ff, f.ravel())
    if "readout" in objs:
        _, up, down = objs["readout"]
        sim.set_values(up.w_up, np.swapaxes(f, 1, 2).ravel())  # (c, n, j)
        sim.set_values(down.w_down, f.ravel())  # (c, j, n)
        return
    sim.set_values(objs["rec"].w_rec, weights_to_synapses(f, omega)[1])


def weights_to_synapses(f, omega):
    """F (copies, M, N) and Omega (copies, N, N) in the synapse order of rules.balanced."""
    return np.ascontiguousarray(f).ravel(), np.ascontiguousarray(np.swapaxes(omega, 1, 2)).ravel()


def synapses_to_weights(w_ff, w_rec, n_inputs, n_neurons):
    """The inverse of :func:`weights_to_synapses`: (F, Omega) with a leading copy axis."""
    f = np.asarray(w_ff).reshape(-1, n_inputs, n_neurons)
    omega = np.swapaxes(np.asarray(w_rec).reshape(-1, n_neurons, n_neurons), -1, -2)
    return f, omega


def freeze(objs):
    """Learning off in every plastic pathway."""
    for key in ("ff", "rec"):
        if key in objs:
            objs[key].plastic = 0


def run_frozen(*, sim, f, omega, stimulus, dt, **rule_parameters):
    """One network with frozen weights F (M, N) and Omega (N, N) on ``stimulus`` (steps, M).

    For benchmarks and tests; ``recurrence="lowrank"`` among the rule parameters takes
    Omega = -F^T F - mu I from F (``omega`` may be None). Returns the ``SpikeMonitor`` (None
    when only building).
    """
    n_inputs, n_neurons = f.shape
    objs = build_network(sim, copies=1, n_neurons=n_neurons, n_inputs=n_inputs,
                         stimulus_values=stimulus, columns=np.arange(n_inputs),
                         cycle=(len(stimulus) + 1) * dt, dt=dt, **rule_parameters)
    set_weights(sim, objs, f[None], None if omega is None else omega[None])
    freeze(objs)
    spikes = SpikeMonitor(objs["neurons"], name="spikes")
    net = sim.network(*[o for k, o in objs.items() if k != "stimulus"], spikes)
    sim.run(net, len(stimulus) * dt, namespace={"stimulus": objs["stimulus"]})
    sim.finish()
    return None if sim.build_only else spikes
