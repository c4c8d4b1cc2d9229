"""Algorithm 1 of Brendel et al. (2020) as a plain NumPy loop, written from the algorithm.

One iteration per time step, no Brian2. The Brian2 network (``network.py``) must follow it:
with the noise off, spike for spike and weight for weight (tests). With the learning rates at 0
it is the frozen network that ``spikerules bench`` times Brian2's generated code against.
"""

import numpy as np


def algorithm1(f0, omega0, inputs, *, dt, lam, threshold, eps_f=0.0, eps_o=0.0, alpha=1.0,
               beta=1.0, mu=0.0, sigma_v=0.0, sigma_t=0.0, rng=None, learn=True):
    """Run (and learn) on ``inputs`` (steps, M) in 1/second.

    Per step: V <- (1 - lam dt) V + dt F^T I + Omega[:, k_prev] + sigma_v xi; x likewise;
    the neuron with the largest V - T - sigma_t xi' spikes if that is >= 0 (one per step);
    on a spike of k (when ``learn``): F[:, k] += eps_f (alpha x - F[:, k]) and
    Omega[:, k] -= eps_o (beta (V + mu r) + Omega[:, k] + mu e_k); then r <- (1-lam dt)(r + o).

    ``omega0=None`` (frozen weights only): Omega = -F^T F - mu I, one column at a time (the
    low-rank network's recurrence, without the N x N matrix; Omega is returned as None).

    Returns (spike steps, spike neurons, F, Omega).
    """
    lowrank = omega0 is None
    if lowrank and learn:
        raise ValueError("learning needs the matrix omega0")
    f = np.array(f0, dtype=float)
    omega = None if lowrank else np.array(omega0, dtype=float)
    m, n = f.shape
    v, r, x = np.zeros(n), np.zeros(n), np.zeros(m)
    k_prev = -1
    steps, neurons = [], []
    for t, current in enumerate(np.asarray(inputs, dtype=float)):
        v = v + dt * (-lam * v + f.T @ current)
        if sigma_v:
            v += sigma_v * rng.standard_normal(n)
        if k_prev >= 0 and lowrank:
            column = -(f.T @ f[:, k_prev])
            column[k_prev] -= mu
            v += column
        elif k_prev >= 0:
            v += omega[:, k_prev]
        x = x + dt * (-lam * x + current)
        score = v - threshold
        if sigma_t:
            score = score - sigma_t * rng.standard_normal(n)
        k = int(np.argmax(score))
        if score[k] >= 0:
            if learn:
                omega[:, k] -= eps_o * (beta * (v + mu * r) + omega[:, k] + mu * np.eye(n)[:, k])
                f[:, k] += eps_f * (alpha * x - f[:, k])
            r[k] += 1
            steps.append(t)
            neurons.append(k)
            k_prev = k
        else:
            k_prev = -1
        r *= 1 - lam * dt
    return np.array(steps, dtype=int), np.array(neurons, dtype=int), f, omega
