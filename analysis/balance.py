"""E/I balance of input currents.

A neuron is *balanced* when the excitatory and the inhibitory parts of its input track each
other in time, so that the net input is a small difference of two large currents. We split
each neuron's input by the sign of each contribution (weight times presynaptic signal),
low-pass filter both parts and correlate them over time.
"""

import numpy as np

from analysis.decoding import leaky_filter


def signed_input_currents(weights, presynaptic):
    """Excitatory and inhibitory input of each neuron.

    ``weights`` (N, M) maps presynaptic signals (T, M) to N neurons; the contribution
    ``weights[n, m] * presynaptic[t, m]`` counts as excitatory when positive. Returns
    (excitatory, inhibitory), each (T, N); inhibitory <= 0.
    """
    w = np.asarray(weights, dtype=float)
    s = np.asarray(presynaptic, dtype=float)
    if w.ndim != 2 or s.ndim != 2 or w.shape[1] != s.shape[1]:
        raise ValueError(f"weights (N, M) and signals (T, M) do not match: {w.shape}, {s.shape}")
    # the sign of a contribution is the product of the signs of weight and signal
    pos_s, neg_s = np.clip(s, 0, None), np.clip(s, None, 0)
    pos_w, neg_w = np.clip(w, 0, None), np.clip(w, None, 0)
    excitatory = pos_s @ pos_w.T + neg_s @ neg_w.T
    inhibitory = pos_s @ neg_w.T + neg_s @ pos_w.T
    return excitatory, inhibitory


def balance_correlation(excitatory, inhibitory, dt, tau):
    """Per-neuron Pearson correlation of the low-pass filtered E and -I currents.

    Both (T, N) currents are filtered with time constant ``tau`` (s) at step ``dt`` (s).
    1 means inhibition follows excitation exactly; NaN for a neuron whose E or I is constant.
    """
    leak = 1.0 / tau
    e = leaky_filter(excitatory, dt, leak) * dt * leak
    i = -leaky_filter(inhibitory, dt, leak) * dt * leak
    e = e - e.mean(axis=0)
    i = i - i.mean(axis=0)
    denom = np.sqrt(np.sum(e**2, axis=0) * np.sum(i**2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.sum(e * i, axis=0) / denom
    return np.where(denom > 0, corr, np.nan)


def net_to_excitatory_ratio(excitatory, inhibitory):
    """Per neuron: mean |E + I| / mean E (0 for perfect cancellation, 1 for no inhibition)."""
    e = np.asarray(excitatory, dtype=float)
    net = np.abs(e + np.asarray(inhibitory, dtype=float))
    mean_e = e.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean_e > 0, net.mean(axis=0) / mean_e, np.nan)
