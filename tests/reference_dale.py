"""NumPy reference of Algorithm 2 of Brendel et al. (2020): the E/I network with Dale's law.

One loop per time step, no Brian2, written from the algorithm (research notes, section D):
models/balanced_ei.py must follow it spike for spike when the noise is off.

Matrices are [post, pre]: w_ee (E <- E), w_ie (E <- I), w_ei (I <- E), w_ii (I <- I); the
feedforward weights f are (inputs, N_E). Per step t:
    V_E <- (1 - lam dt) V_E + dt F^T I_t + W_EE[:, kE(t-1)] + W_IE[:, kI(t-1)] + sigma_v xi
    cbar_E <- (1 - 6 lam dt) cbar_E + dt I_t          (input trace)
    cbar_I <- (1 - lam dt) cbar_I + o_E(t-1)          (E spike trace, seen by the I neurons)
    kE = argmax(V_E - T - sigma_t xi'): fires if >= 0 and not refractory
    on an E spike:  F[:, kE] += eps_f (cbar_E - F[:, kE])
                    W_EE[:, kE] = max(W_EE[:, kE] - eps_o (V_E + mu r_E + W_EE[:, kE]), 0)
                    W_EE[kE, kE] = autapse
    V_I <- (1 - lam dt) V_I + W_EI[:, kE(t)] + W_II[:, kI(t-1)] + sigma_v xi
    kI = argmax(V_I - T - sigma_t xi'): fires if >= 0 and not refractory
    on an I spike:  W_EI[kI, :] = max(W_EI[kI, :] + eps_f (cbar_I - W_EI[kI, :]), 0)
                    W_II[:, kI] = min(W_II[:, kI] - eps_o (V_I + mu r_I + W_II[:, kI] + mu e_kI), 0)
                    W_IE[:, kI] = min(W_IE[:, kI] - eps_o (V_E + mu r_E + W_IE[:, kI]), 0)
    r_E <- (1 - lam dt)(r_E + o_E);  r_I <- (1 - lam dt)(r_I + o_I)
A neuron that fired at step s may fire again at step s + refractory_steps + 1; if the argmax
neuron is refractory, no neuron of that population fires in that step.
"""

import numpy as np


def run_algorithm2(weights, inputs, *, dt, lam, threshold, eps_f, eps_o, mu, autapse,
                   refractory_steps, trace_leak_e, trace_leak_i, learn=True, sigma_v=0.0,
                   sigma_t=0.0, rng=None, state=None):
    """Simulate ``len(inputs)`` steps of inputs (steps, M) in 1/second.

    ``weights`` is a dict with f, w_ee, w_ie, w_ei, w_ii (copied). ``state``, a dict, carries
    the voltages, traces, refractory clocks and last spikes from one call to the next (updated
    in place; None or empty: from rest), so a long run can go in pieces. Returns (E spike
    steps, E neurons, I spike steps, I neurons, learned weights); steps count from the call.
    """
    w = {k: np.array(v, dtype=float) for k, v in weights.items()}
    f, w_ee, w_ie, w_ei, w_ii = (w[k] for k in ("f", "w_ee", "w_ie", "w_ei", "w_ii"))
    m, n_e = f.shape
    n_i = w_ii.shape[0]
    state = {} if state is None else state
    rest = dict(v_e=np.zeros(n_e), v_i=np.zeros(n_i), r_e=np.zeros(n_e), r_i=np.zeros(n_i),
                cbar_e=np.zeros(m), cbar_i=np.zeros(n_e), last_e=np.full(n_e, -10**9),
                last_i=np.full(n_i, -10**9), k_e=-1, k_i=-1)
    for key, value in rest.items():
        state.setdefault(key, value)
    v_e, v_i, r_e, r_i, cbar_e, cbar_i = (
        state[k] for k in ("v_e", "v_i", "r_e", "r_i", "cbar_e", "cbar_i"))
    # spike steps relative to this call; k_e, k_i: the neuron that fired in the previous step
    shift = state.get("steps", 0)
    last_e, last_i = state["last_e"] - shift, state["last_i"] - shift
    k_e, k_i = state["k_e"], state["k_i"]
    eye_i = np.eye(n_i)
    out = ([], [], [], [])

    def winner(v, last, t):
        """The argmax neuron if it reaches threshold and is not refractory, else -1."""
        score = v - threshold - (sigma_t * rng.standard_normal(len(v)) if sigma_t else 0)
        k = int(np.argmax(score))
        if score[k] >= 0 and t - last[k] > refractory_steps:
            last[k] = t
            return k
        return -1

    for t, current in enumerate(np.asarray(inputs, dtype=float)):
        v_e = (1 - lam * dt) * v_e + dt * (f.T @ current)
        if sigma_v:
            v_e += sigma_v * rng.standard_normal(n_e)
        if k_e >= 0:
            v_e += w_ee[:, k_e]
        if k_i >= 0:
            v_e += w_ie[:, k_i]
        cbar_e = (1 - trace_leak_e * dt) * cbar_e + dt * current
        cbar_i = (1 - trace_leak_i * dt) * cbar_i
        if k_e >= 0:
            cbar_i[k_e] += 1
        k_e = k = winner(v_e, last_e, t)
        if k >= 0:
            out[0].append(t)
            out[1].append(k)
            if learn:
                f[:, k] += eps_f * (cbar_e - f[:, k])
                w_ee[:, k] = np.maximum(w_ee[:, k] - eps_o * (v_e + mu * r_e + w_ee[:, k]), 0)
                w_ee[k, k] = autapse
        v_i = (1 - lam * dt) * v_i
        if sigma_v:
            v_i += sigma_v * rng.standard_normal(n_i)
        if k_e >= 0:
            v_i += w_ei[:, k_e]
        if k_i >= 0:
            v_i += w_ii[:, k_i]
        k_i = k = winner(v_i, last_i, t)
        if k >= 0:
            out[2].append(t)
            out[3].append(k)
            if learn:
                w_ei[k, :] = np.maximum(w_ei[k, :] + eps_f * (cbar_i - w_ei[k, :]), 0)
                w_ii[:, k] = np.minimum(
                    w_ii[:, k] - eps_o * (v_i + mu * r_i + w_ii[:, k] + mu * eye_i[:, k]), 0)
                w_ie[:, k] = np.minimum(w_ie[:, k] - eps_o * (v_e + mu * r_e + w_ie[:, k]), 0)
        if k_e >= 0:
            r_e[k_e] += 1
        if k_i >= 0:
            r_i[k_i] += 1
        r_e *= 1 - lam * dt
        r_i *= 1 - lam * dt
    state.update(v_e=v_e, v_i=v_i, r_e=r_e, r_i=r_i, cbar_e=cbar_e, cbar_i=cbar_i,
                 last_e=last_e, last_i=last_i, k_e=k_e, k_i=k_i, steps=len(inputs))
    return (*(np.array(x, dtype=int) for x in out),
            dict(f=f, w_ee=w_ee, w_ie=w_ie, w_ei=w_ei, w_ii=w_ii))
