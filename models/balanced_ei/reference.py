"""Algorithm 2 of Brendel et al. (2020), the E/I network with Dale's law, as a NumPy loop.

One iteration per time step, no Brian2, written from the algorithm (research notes, section
D). The Brian2 network (``network.py``) must follow it spike for spike and weight for weight
when the noise is off (tests).

Matrices are [post, pre]: w_ee (E <- E), w_ie (E <- I), w_ei (I <- E), w_ii (I <- I); the
feedforward weights f are (inputs, N_E). Per step t:

    V_E <- (1 - lam dt) V_E + dt F^T I_t + W_EE[:, kE(t-1)] + W_IE[:, kI(t-1)] + sigma_v xi
    cbar_E <- (1 - trace_leak_e dt) cbar_E + dt I_t   (input trace)
    cbar_I <- (1 - trace_leak_i dt) cbar_I + o_E(t-1) (E spike trace, seen by the I neurons)
    kE = argmax(V_E - T - sigma_t xi'): fires if >= 0 and not refractory
    on an E spike:  F[:, kE] += eps_f (cbar_E - F[:, kE])
                    W_EE[:, kE] = max(W_EE[:, kE] - eps_o (V_E + mu r_E + W_EE[:, kE]), 0)
                    W_EE[kE, kE] = w_autapse
    V_I <- (1 - lam dt) V_I + W_EI[:, kE(t)] + W_II[:, kI(t-1)] + sigma_v xi
    kI = argmax(V_I - T - sigma_t xi'): fires if >= 0 and not refractory
    on an I spike:  W_EI[kI, :] = max(W_EI[kI, :] + eps_f (cbar_I - W_EI[kI, :]), 0)
                    W_II[:, kI] = min(W_II[:, kI] - eps_o (V_I + mu r_I + W_II[:, kI] + mu e_kI), 0)
                    W_IE[:, kI] = min(W_IE[:, kI] - eps_o (V_E + mu r_E + W_IE[:, kI]), 0)
    r_E <- (1 - lam dt)(r_E + o_E);  r_I <- (1 - lam dt)(r_I + o_I)

A neuron that fired at step s may fire again at step s + refractory_steps + 1; if the argmax
neuron is refractory, no neuron of that population fires in that step.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _Constants:
    dt: float
    lam: float
    threshold: float
    eps_f: float
    eps_o: float
    mu: float
    w_autapse: float
    refractory_steps: int
    trace_leak_e: float
    trace_leak_i: float
    learn: bool
    sigma_v: float
    sigma_t: float
    rng: object
    eye_i: np.ndarray  # identity of the I population: the e_kI of the W_II rule


def algorithm2(weights, inputs, *, dt, lam, threshold, eps_f, eps_o, mu, w_autapse,
               refractory_steps, trace_leak_e, trace_leak_i, learn=True, sigma_v=0.0,
               sigma_t=0.0, rng=None, state=None):
    """Simulate ``len(inputs)`` steps of inputs (steps, M) in 1/second.

    ``weights`` is a dict with f, w_ee, w_ie, w_ei, w_ii (copied). ``state``, a dict, carries
    the voltages, traces, refractory clocks and last spikes from one call to the next (updated
    in place; None or empty: from rest), so a long run can go in pieces. Rates in 1/second,
    ``dt`` in seconds; ``rng`` (a numpy Generator) draws the noise when a sigma is not 0.
    Returns (E spike steps, E neurons, I spike steps, I neurons, learned weights); steps count
    from the call.
    """
    w = {k: np.array(v, dtype=float) for k, v in weights.items()}
    c = _Constants(dt, lam, threshold, eps_f, eps_o, mu, w_autapse, refractory_steps,
                   trace_leak_e, trace_leak_i, learn, sigma_v, sigma_t, rng,
                   np.eye(len(w["w_ii"])))
    s = _begin({} if state is None else state, w)
    out = ([], [], [], [])
    for t, current in enumerate(np.asarray(inputs, dtype=float)):
        k_e = _excitatory_step(s, w, c, current, t)
        k_i = _inhibitory_step(s, w, c, t)  # after the E step: it reads this step's E spike
        for first, k in ((0, k_e), (2, k_i)):
            if k >= 0:
                out[first].append(t)
                out[first + 1].append(k)
        if k_e >= 0:
            s["r_e"][k_e] += 1
        if k_i >= 0:
            s["r_i"][k_i] += 1
        s["r_e"] *= 1 - lam * dt
        s["r_i"] *= 1 - lam * dt
    s["steps"] = len(inputs)
    return (*(np.array(x, dtype=int) for x in out),
            {k: w[k] for k in ("f", "w_ee", "w_ie", "w_ei", "w_ii")})


def _begin(state, w):
    """``state`` from rest where it holds nothing; last spikes made relative to this call."""
    m, n_e = w["f"].shape
    n_i = w["w_ii"].shape[0]
    rest = dict(v_e=np.zeros(n_e), v_i=np.zeros(n_i), r_e=np.zeros(n_e), r_i=np.zeros(n_i),
                cbar_e=np.zeros(m), cbar_i=np.zeros(n_e), last_e=np.full(n_e, -10**9),
                last_i=np.full(n_i, -10**9), k_e=-1, k_i=-1)
    for key, value in rest.items():
        state.setdefault(key, value)
    shift = state.get("steps", 0)  # k_e, k_i: the neuron that fired in the previous step
    state["last_e"], state["last_i"] = state["last_e"] - shift, state["last_i"] - shift
    return state


def _winner(v, last, t, c):
    """The argmax neuron if it reaches threshold and is not refractory, else -1."""
    score = v - c.threshold - (c.sigma_t * c.rng.standard_normal(len(v)) if c.sigma_t else 0)
    k = int(np.argmax(score))
    if score[k] >= 0 and t - last[k] > c.refractory_steps:
        last[k] = t
        return k
    return -1


def _excitatory_step(s, w, c, current, t):
    """V_E, both traces, the E arbitration and the F and W_EE rules; returns kE (or -1)."""
    f, w_ee = w["f"], w["w_ee"]
    v_e = (1 - c.lam * c.dt) * s["v_e"] + c.dt * (f.T @ current)
    if c.sigma_v:
        v_e += c.sigma_v * c.rng.standard_normal(len(v_e))
    if s["k_e"] >= 0:
        v_e += w_ee[:, s["k_e"]]
    if s["k_i"] >= 0:
        v_e += w["w_ie"][:, s["k_i"]]
    s["cbar_e"] = (1 - c.trace_leak_e * c.dt) * s["cbar_e"] + c.dt * current
    s["cbar_i"] = (1 - c.trace_leak_i * c.dt) * s["cbar_i"]
    if s["k_e"] >= 0:
        s["cbar_i"][s["k_e"]] += 1
    s["v_e"] = v_e
    s["k_e"] = k = _winner(v_e, s["last_e"], t, c)
    if k >= 0 and c.learn:
        f[:, k] += c.eps_f * (s["cbar_e"] - f[:, k])
        w_ee[:, k] = np.maximum(w_ee[:, k] - c.eps_o * (v_e + c.mu * s["r_e"] + w_ee[:, k]), 0)
        w_ee[k, k] = c.w_autapse
    return k


def _inhibitory_step(s, w, c, t):
    """V_I (with this step's E spike), the I arbitration and the W_EI, W_II and W_IE rules;
    returns kI (or -1)."""
    w_ei, w_ii, w_ie = w["w_ei"], w["w_ii"], w["w_ie"]
    v_i = (1 - c.lam * c.dt) * s["v_i"]
    if c.sigma_v:
        v_i += c.sigma_v * c.rng.standard_normal(len(v_i))
    if s["k_e"] >= 0:
        v_i += w_ei[:, s["k_e"]]
    if s["k_i"] >= 0:
        v_i += w_ii[:, s["k_i"]]
    s["v_i"] = v_i
    s["k_i"] = k = _winner(v_i, s["last_i"], t, c)
    if k >= 0 and c.learn:
        v_e, r_e, r_i, mu, eps_o = s["v_e"], s["r_e"], s["r_i"], c.mu, c.eps_o
        w_ei[k, :] = np.maximum(w_ei[k, :] + c.eps_f * (s["cbar_i"] - w_ei[k, :]), 0)
        w_ii[:, k] = np.minimum(
            w_ii[:, k] - eps_o * (v_i + mu * r_i + w_ii[:, k] + mu * c.eye_i[:, k]), 0)
        w_ie[:, k] = np.minimum(w_ie[:, k] - eps_o * (v_e + mu * r_e + w_ie[:, k]), 0)
    return k
