"""How well a feedback matrix Y matches the transpose of the forward weights W.

``forward`` is W (n_out, n_in), as used in y = W x; ``feedback`` is Y (n_in, n_out), the matrix
that carries errors backwards. Backprop has Y = W^T; random feedback gives about 90 degrees.
"""

import numpy as np


def _pair(feedback, forward):
    y = np.asarray(feedback, dtype=float)
    w_t = np.asarray(forward, dtype=float).T
    if y.shape != w_t.shape:
        raise ValueError(f"feedback has shape {y.shape}, W^T has shape {w_t.shape}")
    return y.ravel(), w_t.ravel()


def angle_deg(feedback, forward):
    """Angle between vec(Y) and vec(W^T) in degrees (0: aligned, 90: unrelated, 180: opposite)."""
    y, w = _pair(feedback, forward)
    ny, nw = np.linalg.norm(y), np.linalg.norm(w)
    if ny == 0 or nw == 0:
        return np.nan
    u, v = y / ny, w / nw
    # 2 atan2(|u - v|, |u + v|) is exact near 0 and 180 degrees, where arccos of the cosine
    # loses half the digits (arccos(1 - 1e-16) is already 1e-6 degrees)
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))


def sign_agreement(feedback, forward):
    """Fraction of entries where Y and W^T have the same sign (random: about 0.5)."""
    y, w = _pair(feedback, forward)
    return float(np.mean(np.sign(y) == np.sign(w)))


def pearson_r(feedback, forward):
    """Pearson correlation between the entries of Y and of W^T."""
    y, w = _pair(feedback, forward)
    if np.std(y) == 0 or np.std(w) == 0:
        return np.nan
    return float(np.corrcoef(y, w)[0, 1])


def alignment_course(feedbacks, forward):
    """angle, sign agreement and Pearson r for a time series of feedback matrices.

    ``feedbacks`` is (T, n_in, n_out), or any iterable of (n_in, n_out) matrices (taken one
    at a time); ``forward`` is one W or a matching (T, n_out, n_in).
    Returns a dict of arrays of length T.
    """
    forward = np.asarray(forward, dtype=float)
    if forward.ndim == 3:
        feedbacks = list(feedbacks)
        if len(forward) != len(feedbacks):
            raise ValueError("feedback and forward time series differ in length")
        pairs = zip(feedbacks, forward)
    else:  # any iterable of matrices, one at a time (large series need not be stacked)
        pairs = ((y, forward) for y in feedbacks)
    out = {"angle_deg": [], "sign_agreement": [], "pearson_r": []}
    for y, w in pairs:
        y = np.asarray(y, dtype=float)
        out["angle_deg"].append(angle_deg(y, w))
        out["sign_agreement"].append(sign_agreement(y, w))
        out["pearson_r"].append(pearson_r(y, w))
    return {k: np.asarray(v) for k, v in out.items()}
