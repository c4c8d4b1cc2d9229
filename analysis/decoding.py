"""Readouts of a spike code: filtered spike trains, least-squares decoders, coding error."""

import numpy as np
from scipy.signal import lfilter


def spike_matrix(spike_i, spike_t, n, t_start, n_steps, dt, steps_per_bin=1):
    """Spike counts (n_steps // steps_per_bin, n) in the n_steps time steps from t_start.

    Each spike counts in the time step it falls on (its time rounded to a step); with
    ``steps_per_bin`` > 1 the steps are grouped into bins of that many (the first bin holds
    steps 0 .. steps_per_bin - 1). With 1, a 0/1 matrix of the steps.
    """
    steps = np.rint((np.asarray(spike_t, dtype=float) - t_start) / dt).astype(np.int64)
    n_bins = n_steps // steps_per_bin
    bins = steps // steps_per_bin
    keep = (steps >= 0) & (bins < n_bins)
    o = np.zeros((n_bins, n))
    np.add.at(o, (bins[keep], np.asarray(spike_i)[keep]), 1.0)
    return o


def leaky_filter(signal, dt, leak):
    """Discrete leaky integration y_t = (1 - leak dt) y_(t-1) + s_t along axis 0, y_(-1) = 0."""
    return lfilter([1.0], [1.0, -(1.0 - leak * dt)], np.asarray(signal, dtype=float), axis=0)


def filtered_rates(spike_i, spike_t, n, t_start, n_steps, dt, leak):
    """Filtered spike trains r (n_steps, n): r_t = (1 - leak dt) r_(t-1) + o_t."""
    return leaky_filter(spike_matrix(spike_i, spike_t, n, t_start, n_steps, dt), dt, leak)


def readout(spike_i, spike_t, decoder, t_start, n_steps, dt, leak):
    """Read-out xhat (n_steps, dims) = filtered spike trains @ ``decoder`` (n, dims), without
    the (n_steps, n) matrix of filtered trains: each step's spikes add their decoder rows,
    then the sum is filtered as :func:`filtered_rates` filters the trains.

    Parameters
    ----------
    spike_i, spike_t : arrays
        Neuron indices and times (s) of the spikes.
    decoder : array (n, dims)
    t_start, n_steps, dt, leak : the window (s, steps), the time step (s) and the leak (1/s).

    Returns
    -------
    array (n_steps, dims); equal to ``filtered_rates(...) @ decoder`` up to rounding.
    """
    decoder = np.asarray(decoder, dtype=float)
    steps = np.rint((np.asarray(spike_t, dtype=float) - t_start) / dt).astype(np.int64)
    keep = (steps >= 0) & (steps < n_steps)
    summed = np.zeros((n_steps, decoder.shape[1]))
    np.add.at(summed, steps[keep], decoder[np.asarray(spike_i)[keep]])
    return leaky_filter(summed, dt, leak)


def fit_decoder(rates, target):
    """Least-squares decoder D (n, dims) with target ~ rates @ D (no intercept)."""
    decoder, *_ = np.linalg.lstsq(np.asarray(rates), np.asarray(target), rcond=None)
    return decoder


def coding_error(target, estimate):
    """sum_d var(x_d - xhat_d) / sum_d var(x_d): 0 for a perfect readout, ~1 for none."""
    target = np.asarray(target, dtype=float)
    estimate = np.asarray(estimate, dtype=float)
    if target.shape != estimate.shape:
        raise ValueError(f"shapes differ: {target.shape} vs {estimate.shape}")
    denom = np.sum(np.var(target, axis=0))
    if denom == 0:
        raise ValueError("the target has zero variance")
    return float(np.sum(np.var(target - estimate, axis=0)) / denom)


def normalised_mse(target, estimate):
    """mean |x - xhat|^2 / sum_d var(x_d): like coding_error but biases count too."""
    target = np.asarray(target, dtype=float)
    estimate = np.asarray(estimate, dtype=float)
    return float(np.mean(np.sum((target - estimate) ** 2, axis=1)) / np.sum(np.var(target, axis=0)))
