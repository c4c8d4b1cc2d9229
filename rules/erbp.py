"""Event-driven random backpropagation (eRBP; Neftci et al. 2017) as synaptic code.

Each neuron that learns has a dendritic compartment ``U`` that integrates the spikes of the
error neurons through fixed random weights. On every transmitted presynaptic spike j -> i::

    w_ij += eta * U_i      if b_min < Is_i < b_max and learning is on

and then the spike is transmitted, ``Is_i += w_ij``. The gate on the synaptic current ``Is``
plays the part of the derivative of the activation function (a boxcar). With stochastic
synapses (peRBP) a spike is transmitted, and learns, with probability ``p_syn``.

Error neurons are non-leaky integrators clamped at 0: err+ integrates label minus output
spikes, err- output minus label. They drive the dendrites: one-to-one onto the output
neurons, through a random matrix with zero mean over the error channels onto hidden neurons.
"""

import numpy as np
from brian2 import Synapses

from rules import connect_all, quiet_order_warning

#: variables a learning (postsynaptic) neuron group must have
ERBP_NEURON = """
dIs/dt = -Is / tau_syn : 1          # synaptic current, jumps by w on each input spike
dU/dt = -U / tau_u : 1              # dendritic compartment: filtered error spikes
tau_syn : second (shared, constant)
tau_u : second (shared, constant)
"""

ERBP_SYNAPSE = """
w : 1
eta : 1 (shared, constant)
b_min : 1 (shared, constant)
b_max : 1 (shared, constant)
p_syn : 1 (shared, constant)
"""

#: learning first, then transmission; ``learning(t)`` is the gate of the schedule (0 or 1)
ERBP_ON_PRE = """
transmitted = int(rand() < p_syn)
w += transmitted * learning(t) * eta * U_post * int(Is_post > b_min) * int(Is_post < b_max)
Is_post += transmitted * w
"""


def erbp_synapses(pre, post, *, eta, b_min, b_max, p_syn, name):
    """All-to-all learning synapses ``pre -> post`` (synapse (j, i), presynaptic index major).

    The code calls ``learning(t)``: a TimedArray (1 = learning on) in the run's namespace.
    """
    # Brian2 warns that the gate reads Is_post, which other spikes of the same step may have
    # raised: intended, spikes act in order as in the event-driven original
    quiet_order_warning("transmitted := int(rand() < p_syn)")
    syn = Synapses(pre, post, model=ERBP_SYNAPSE, on_pre=ERBP_ON_PRE, name=name)
    connect_all(syn)
    syn.eta, syn.b_min, syn.b_max, syn.p_syn = eta, b_min, b_max, p_syn
    return syn


#: non-leaky error neuron: integrates signed inputs, never below 0, subtracts on a spike
ERROR_NEURON = """
Ve : 1
theta_err : 1 (shared, constant)
"""
ERROR_THRESHOLD = "Ve >= theta_err"
ERROR_RESET = "Ve -= theta_err"


def error_synapses(pre, errors, *, sign, weight, name):
    """``pre`` (labels: sign +1, outputs: sign -1) -> the error population.

    ``errors`` holds err+ of every class, then err- of every class (2 n neurons): unit k of
    ``pre`` reaches err+_k with ``sign * weight`` and err-_k with ``-sign * weight``.
    """
    n = len(pre)
    quiet_order_warning("Ve_post = clip(Ve_post + w_err")  # one input per class and sign
    syn = Synapses(pre, errors, "w_err : 1 (constant)",
                   on_pre="Ve_post = clip(Ve_post + w_err, 0, inf)", name=name)
    syn.connect(i=np.tile(np.arange(n), 2), j=np.arange(2 * n))
    syn.w_err = np.repeat([sign * weight, -sign * weight], n)
    return syn


def signed_feedback(g):
    """Weights from the error population (err+ rows, then err- rows) for feedback ``g``
    (n_classes, n_targets): err+ adds g, err- subtracts it."""
    g = np.asarray(g, dtype=float)
    return np.vstack([g, -g])


def feedback_synapses(errors, targets, *, weights, name):
    """Error population -> dendrites ``U`` of ``targets`` (``U += g``), one synapse for each
    nonzero entry of ``weights`` (2 n_classes, n_targets). Returns (synapses, g in synapse
    order)."""
    weights = np.asarray(weights, dtype=float)
    i, j = np.nonzero(weights)
    syn = Synapses(errors, targets, "g : 1 (constant)", on_pre="U_post += g", name=name)
    syn.connect(i=i, j=j)
    syn.g = weights[i, j]
    return syn, weights[i, j]


def random_feedback(rng, n_errors, n_hidden):
    """g ~ U(+-sqrt(7 / (n_errors + n_hidden))), minus its mean over the error channels, so
    that an error signal equal on every channel moves no dendrite. (n_errors, n_hidden)."""
    limit = np.sqrt(7.0 / (n_errors + n_hidden))
    g = rng.uniform(-limit, limit, (n_errors, n_hidden))
    return g - g.mean(axis=0, keepdims=True)
