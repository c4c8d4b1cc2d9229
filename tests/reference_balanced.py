"""NumPy reference of Algorithm 1 (Brendel et al. 2020), written from the algorithm itself.

One loop per time step, no Brian2: the model in models/balanced_coding.py must follow it.
"""

import numpy as np


def run_algorithm1(f0, omega0, inputs, *, dt, lam, threshold, eps_f, eps_o, alpha, beta, mu,
                   sigma_v=0.0, sigma_t=0.0, rng=None):
    """Learn from ``inputs`` (steps, M) in 1/second. Returns (spike steps, spike neurons, F, Omega).

    Per step: V <- (1 - lam dt) V + dt F^T I + Omega[:, k_prev] + sigma_v xi; x likewise;
    the neuron with the largest V - T - sigma_t xi' spikes if that is >= 0 (one per step);
    on a spike of k: F[:, k] += eps_f (alpha x - F[:, k]) and
    Omega[:, k] -= eps_o (beta (V + mu r) + Omega[:, k] + mu e_k); then r <- (1-lam dt)(r + o).
    """
    f, omega = np.array(f0, dtype=float), np.array(omega0, dtype=float)
    m, n = f.shape
    v, r, x = np.zeros(n), np.zeros(n), np.zeros(m)
    k_prev = -1
    steps, neurons = [], []
    for t, current in enumerate(np.asarray(inputs, dtype=float)):
        v = v + dt * (-lam * v + f.T @ current)
        if sigma_v:
            v += sigma_v * rng.standard_normal(n)
        if k_prev >= 0:
            v += omega[:, k_prev]
        x = x + dt * (-lam * x + current)
        score = v - threshold
        if sigma_t:
            score = score - sigma_t * rng.standard_normal(n)
        k = int(np.argmax(score))
        if score[k] >= 0:
            omega[:, k] -= eps_o * (beta * (v + mu * r) + omega[:, k] + mu * np.eye(n)[:, k])
            f[:, k] += eps_f * (alpha * x - f[:, k])
            r[k] += 1
            steps.append(t)
            neurons.append(k)
            k_prev = k
        else:
            k_prev = -1
        r *= 1 - lam * dt
    return np.array(steps), np.array(neurons), f, omega
