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


def optimal_weight_distance(feedforward, mu):
    """:func:`recurrent_weight_distance` of Omega = -F^T F - mu I, from F alone.

    With G = F^T F (never formed: |G|^2 = |F F^T|^2 and tr G = |F|^2), s = 1 + mu tr G / |G|^2
    and Omega - s C_opt = (s - 1) G - mu I, so ErrC = ((s - 1)^2 |G|^2 - 2 (s - 1) mu tr G
    + mu^2 N) / (|G|^2 + 2 mu tr G + mu^2 N). O(N M^2) instead of O(N^2 M).
    """
    f = np.asarray(feedforward, dtype=float)
    n = f.shape[1]
    g2, tr = float(np.sum((f @ f.T) ** 2)), float(np.sum(f**2))
    s1 = mu * tr / g2
    return (s1**2 * g2 - 2 * s1 * mu * tr + mu**2 * n) / (g2 + 2 * mu * tr + mu**2 * n)


def relative_distance(weights, target):
    """|W - W_target|_F / |W_target|_F (any arrays of one shape: also a readout against
    another). 0 when both are zero (they agree exactly: an output that never spikes reads out
    zero in both), infinite when only the target is."""
    weights = np.asarray(weights, dtype=float)
    target = np.asarray(target, dtype=float)
    if weights.shape != target.shape:
        raise ValueError(f"shapes differ: {weights.shape} vs {target.shape}")
    distance, scale = np.linalg.norm(weights - target), np.linalg.norm(target)
    if scale == 0:
        return 0.0 if distance == 0 else float("inf")
    return float(distance / scale)
