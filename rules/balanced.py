"""Learning rules of the efficient balanced network (Brendel et al. 2020, Algorithm 1).

Both rules are local. The feedforward rule is Hebbian: it runs when the *postsynaptic* neuron
fires and pulls the weight towards the (scaled) presynaptic input trace. The recurrent rule is
voltage-based: it runs when the *presynaptic* neuron fires and moves the weight against the
postsynaptic voltage, which drives the network towards the balanced fixed point
``Omega = -F^T F - mu I`` (up to scaling). Voltages and rates are read before the spike's
effects are delivered, as in the algorithm.

``plastic`` (0 or 1) switches learning off without changing the generated code.
"""

from brian2 import Synapses

from rules import connect_blocks

#: on_post of input -> neuron synapses: F[:, k] += eps_f (alpha x - F[:, k])
FEEDFORWARD_HEBBIAN = "w_ff += plastic * eps_f * (alpha * x_pre - w_ff)"

#: on_pre of neuron -> neuron synapses:
#: Omega[:, k] -= eps_o (beta (V + mu r) + Omega[:, k] + mu e_k)
#: (``autapse`` is 1 on the synapse of a neuron onto itself: brian2cuda's templates declare
#: their own ``j``, so the rule cannot compare ``i == j``)
RECURRENT_VOLTAGE = (
    "w_rec -= plastic * eps_o * (beta * (v_post + mu * r_post) + w_rec + mu * autapse)"
)

#: the spike's effect on the postsynaptic voltage (delivered on the next time step)
RECURRENT_TRANSMIT = "v_post += w_rec"


def feedforward_synapses(inputs, neurons, *, eps_f, alpha, copies=1, name="feedforward"):
    """``inputs -> neurons`` synapses with the Hebbian rule, all-to-all within each copy.

    ``inputs`` needs variables ``I`` (input current, 1/second) and ``x`` (its leaky integral);
    ``neurons`` needs ``I_ff`` (1/second), which the synapses fill as a summed variable.
    With ``copies`` > 1 both groups hold that many independent copies (copy c: inputs
    c*M..c*M+M-1, neurons c*N..c*N+N-1). Synapse index: (c, input j, neuron k), row-major.
    """
    syn = Synapses(
        inputs,
        neurons,
        model="""
        w_ff : 1
        I_ff_post = w_ff * I_pre : 1/second (summed)
        eps_f : 1 (shared, constant)
        alpha : 1 (shared, constant)
        plastic : 1 (shared)
        """,
        on_post=FEEDFORWARD_HEBBIAN,
        name=name,
    )
    connect_blocks(syn, len(inputs) // copies, len(neurons) // copies, copies)
    syn.eps_f = eps_f
    syn.alpha = alpha
    syn.plastic = 1
    return syn


def recurrent_synapses(neurons, *, eps_o, beta, mu, copies=1, name="recurrent"):
    """Recurrent synapses (autapses included) with the voltage-based rule.

    All-to-all within each of ``copies`` independent copies; synapse index: (c, pre k, post n).

    The transmission pathway runs in the ``groups`` slot of the *next* time step, right after
    the neurons' state update, so a spike at step t adds ``Omega[:, k]`` to V(t+1) after the
    leak: ``V(t+1) = (1 - lam dt) V(t) + dt F^T I + Omega[:, k]`` exactly as in Algorithm 1.
    The learning pathway runs in the usual ``synapses`` slot of step t, with V(t) and r(t-1).
    ``neurons`` needs ``v`` and ``r``.
    """
    syn = Synapses(
        neurons,
        neurons,
        model="""
        w_rec : 1
        autapse : 1 (constant)
        eps_o : 1 (shared, constant)
        beta : 1 (shared, constant)
        mu : 1 (shared, constant)
        plastic : 1 (shared)
        """,
        on_pre={"transmit": RECURRENT_TRANSMIT, "learn": RECURRENT_VOLTAGE},
        name=name,
    )
    n = len(neurons) // copies
    pre, post = connect_blocks(syn, n, n, copies)
    syn.autapse = (pre == post).astype(float)
    syn.transmit.when = "groups"
    syn.transmit.order = neurons.order + 1
    syn.eps_o = eps_o
    syn.beta = beta
    syn.mu = mu
    syn.plastic = 1
    return syn
