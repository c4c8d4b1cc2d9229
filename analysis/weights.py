"""Distances between learned and optimal connectivity."""

import numpy as np


def recurrent_weight_distance(recurrent, feedforward):
    """ErrC of Brendel et al. (2020): distance of Omega from the best multiple of -F^T F.

    ``recurrent`` is Omega (N, N), ``feedforward`` is F (inputs, N). With C_opt = -F^T F and
    s = tr(Omega^T C_opt) / |C_opt|^2, returns |Omega - s C_opt|^2 / |Omega|^2 (Frobenius).
    0 when Omega is proportional to -F^T F; near 1 for unrelated matrices.
    """
    omega = np.asarray(recurrent, dtype=float)
    f = np.asarray(feedforward, dtype=float)
    c_opt = -f.T @ f
    scale = np.sum(omega * c_opt) / np.sum(c_opt**2)
    return float(np.sum((omega - scale * c_opt) ** 2) / np.sum(omega**2))


def relative_distance(weights, target):
    """|W - W_target|_F / |W_target|_F."""
    weights = np.asarray(weights, dtype=float)
    target = np.asarray(target, dtype=float)
    return float(np.linalg.norm(weights - target) / np.linalg.norm(target))
