"""Learning rules of the E/I network with Dale's law (Brendel et al. 2020, Algorithm 2).

The rules of Algorithm 1 (``rules.balanced``), with sign constraints: excitatory weights are
clipped at zero from below, inhibitory weights from above, so no synapse changes sign. Voltages
and rates are read before the spike's effects are delivered.

* input -> E (feedforward, Hebbian, on the E spike): ``rules.balanced.FEEDFORWARD_HEBBIAN``
  with alpha = 1 and an input trace of leak 6 lam.
* E -> E (voltage-based, on the E spike), clipped at 0; the autapse stays at a fixed value.
* E -> I (Hebbian, on the I spike): pulled towards the E spike trace seen by the I neuron,
  clipped at 0.
* I -> I and I -> E (voltage-based, on the I spike), clipped at 0 from above.

``plastic`` (0 or 1) switches learning off without changing the generated code.
"""

from brian2 import Synapses

from rules import connect_all

#: on_pre of E -> E: W_EE[:, k] = max(W_EE[:, k] - eps_o (V + mu r + W_EE[:, k]), 0); the
#: autapse (``autapse`` = 1) is held at ``w_autapse``
EE_VOLTAGE = (
    "w_ee = (1 - autapse) * clip(w_ee - plastic * eps_o * (v_post + mu * r_post + w_ee), 0, inf)"
    " + autapse * w_autapse"
)

#: on_pre of I -> E: W_IE[:, k] = min(W_IE[:, k] - eps_o (V_E + mu r_E + W_IE[:, k]), 0)
IE_VOLTAGE = "w_ie = clip(w_ie - plastic * eps_o * (v_post + mu * r_post + w_ie), -inf, 0)"

#: on_pre of I -> I: W_II[:, k] = min(W_II[:, k] - eps_o (V_I + mu r_I + W_II[:, k] + mu e_k), 0)
II_VOLTAGE = (
    "w_ii = clip(w_ii - plastic * eps_o * (v_post + mu * r_post + w_ii + mu * autapse), -inf, 0)"
)

#: on_post of E -> I: W_EI[k, :] = max(W_EI[k, :] + eps_f (cbar_I - W_EI[k, :]), 0)
EI_HEBBIAN = "w_ei = clip(w_ei + plastic * eps_f * (cbar_i_pre - w_ei), 0, inf)"

_RATES = """
eps_o : 1 (shared, constant)
eps_f : 1 (shared, constant)
mu : 1 (shared, constant)
plastic : 1 (shared)
"""


def _schedule(pathway, when, order):
    pathway.when = when
    pathway.order = order


def dale_synapses(pre, post, kind, *, transmit_order, learn_order, eps_o, eps_f, mu,
                  w_autapse=0.0, name=None, when="groups"):
    """One of the four recurrent projections of Algorithm 2, all-to-all, [pre major] order.

    ``kind`` is ``"ee"``, ``"ie"`` (I -> E), ``"ei"`` (E -> I) or ``"ii"``. The transmission
    (``v_post += w``) and the learning run at ``transmit_order`` and ``learn_order`` of the
    ``when`` slot: the schedule of Algorithm 2 needs each at its own place in the step.
    ``pre`` needs ``cbar_i`` for ``"ei"``; ``post`` needs ``v`` and ``r``.
    """
    weight = f"w_{kind}"
    model = f"{weight} : 1\n" + _RATES
    if kind in ("ee", "ii"):
        model += "autapse : 1 (constant)\n"
    if kind == "ee":
        model += "w_autapse : 1 (shared, constant)\n"
    transmit = f"v_post += {weight}"
    if kind == "ei":  # Hebbian: learns on the postsynaptic (I) spike
        syn = Synapses(pre, post, model, on_pre=transmit, on_post=EI_HEBBIAN,
                       name=name or f"syn_{kind}")
        _schedule(syn.pre, when, transmit_order)
        _schedule(syn.post, when, learn_order)
    else:
        rule = {"ee": EE_VOLTAGE, "ie": IE_VOLTAGE, "ii": II_VOLTAGE}[kind]
        syn = Synapses(pre, post, model, on_pre={"transmit": transmit, "learn": rule},
                       name=name or f"syn_{kind}")
        _schedule(syn.transmit, when, transmit_order)
        _schedule(syn.learn, when, learn_order)
    src, tgt = connect_all(syn)
    if kind in ("ee", "ii"):
        syn.autapse = (src == tgt).astype(float)
    if kind == "ee":
        syn.w_autapse = w_autapse
    syn.eps_o = eps_o
    syn.eps_f = eps_f
    syn.mu = mu
    syn.plastic = 1
    return syn
