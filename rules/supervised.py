"""The slow-connection rule of supervised learning of dynamics (Bourdoukan & Deneve 2015).

During learning the network receives the error e = x - xhat of its readout through the
feedback current ``I_err = K F e``. The slow (rate-based) recurrent connections learn with a
current-based Hebbian rule: the error current into the postsynaptic neuron times the filtered
spike train (rate) of the presynaptic neuron,

    d Omega_s[i, j] / dt = eps_s * I_err_i * r_j ,

which vanishes once the error is uncorrelated with the rates; for a fixed decoder D = F^T
this happens at Omega_s = F (A + lam I) D. It runs every time step (a clock-driven synaptic
equation, not an event). The fast connections use the voltage-based rule of
``rules.balanced.recurrent_synapses`` unchanged.

``plastic`` (0 or 1) switches learning off without changing the generated code.
"""

from brian2 import Synapses

from rules import connect_all

#: the clock-driven learning equation of a slow synapse j -> i
SLOW_HEBBIAN = "dw_slow/dt = plastic * eps_s * I_err_post * r_pre : 1/second (clock-driven)"

#: the slow synapse's contribution to the postsynaptic current
SLOW_TRANSMIT = "I_slow_post = w_slow * r_pre : 1/second (summed)"


def slow_synapses(neurons, *, eps_s, order, name="slow"):
    """All-to-all slow synapses (autapses included) with the current-based Hebbian rule.

    ``neurons`` needs ``r`` (filtered spike train), ``I_err`` (the error feedback current,
    1/second) and ``I_slow`` (1/second, filled here as a summed variable). Synapse index:
    (pre j, post i), row-major. ``order`` places the weight update in the ``groups`` slot: it
    must come after the summed currents of the step are computed, so that a step uses the
    weights of the step before, as the NumPy reference does.
    """
    syn = Synapses(
        neurons,
        neurons,
        model=f"""
        {SLOW_HEBBIAN}
        {SLOW_TRANSMIT}
        eps_s : 1/second (shared, constant)
        plastic : 1 (shared)
        """,
        method="euler",
        name=name,
    )
    connect_all(syn)
    syn.state_updater.order = order
    syn.eps_s = eps_s
    syn.plastic = 1
    return syn
