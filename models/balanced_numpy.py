"""A plain NumPy loop of the balanced-coding network with frozen weights (for ``bench``).

The same equations as ``models.balanced_coding`` (see its docstring), one loop iteration per
time step, no learning: the reference the Brian2 code generation is timed against.
"""

import numpy as np


def simulate(f, omega, inputs, *, dt, lam, threshold, sigma_v=0.0, sigma_t=0.0, rng=None):
    """Run the network on ``inputs`` (steps, M) in 1/second; returns (spike steps, neurons).

    Per step: V <- (1 - lam dt) V + dt F^T I + Omega[:, k_prev] + sigma_v xi, the input trace
    and the filtered spike trains decay, and the neuron with the largest V - T - sigma_t xi'
    spikes if that is >= 0.
    """
    f, omega = np.asarray(f, dtype=float), np.asarray(omega, dtype=float)
    n = f.shape[1]
    v, r, x = np.zeros(n), np.zeros(n), np.zeros(f.shape[0])
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
            score -= sigma_t * rng.standard_normal(n)
        k = int(np.argmax(score))
        if score[k] >= 0:
            r[k] += 1
            steps.append(t)
            neurons.append(k)
            k_prev = k
        else:
            k_prev = -1
        r *= 1 - lam * dt
    return np.array(steps, dtype=int), np.array(neurons, dtype=int)
