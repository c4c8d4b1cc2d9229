"""Spike-train statistics: rates, ISI CV, local variation, Fano factor, ISI exponential test.

Spike trains are 1-D arrays of spike times in seconds; a population is given as the pair
(``spike_i``, ``spike_t``) of neuron indices and times, as Brian2's ``SpikeMonitor`` gives.
"""

import numpy as np
from scipy import stats


def split_trains(spike_i, spike_t, n, t_start=-np.inf, t_stop=np.inf):
    """List of n sorted spike-time arrays, keeping spikes with t_start <= t < t_stop."""
    spike_i = np.asarray(spike_i)
    spike_t = np.asarray(spike_t, dtype=float)
    keep = (spike_t >= t_start) & (spike_t < t_stop)
    spike_i, spike_t = spike_i[keep], spike_t[keep]
    order = np.lexsort((spike_t, spike_i))
    spike_i, spike_t = spike_i[order], spike_t[order]
    bounds = np.searchsorted(spike_i, np.arange(n + 1))
    return [spike_t[bounds[k] : bounds[k + 1]] for k in range(n)]


def firing_rates(spike_i, spike_t, n, t_start, t_stop):
    """Per-neuron firing rate (Hz) in [t_start, t_stop)."""
    if t_stop <= t_start:
        raise ValueError("t_stop must be after t_start")
    spike_i = np.asarray(spike_i)
    spike_t = np.asarray(spike_t, dtype=float)
    keep = (spike_t >= t_start) & (spike_t < t_stop)
    return np.bincount(spike_i[keep], minlength=n)[:n] / (t_stop - t_start)


def max_spikes_per_step(spike_t, dt):
    """Largest number of spikes that fall in one time step of ``dt`` s (0 without spikes)."""
    spike_t = np.asarray(spike_t, dtype=float)
    if spike_t.size == 0:
        return 0
    return int(np.bincount(np.rint(spike_t / dt).astype(np.int64)).max())


def population_rate(spike_t, n, t_start, t_stop, bin_size):
    """Mean rate per neuron (Hz) in bins of ``bin_size`` s; returns (bin centres, rate)."""
    n_bins = int(round((t_stop - t_start) / bin_size))
    if n_bins < 1:
        raise ValueError("the window is shorter than one bin")
    edges = t_start + bin_size * np.arange(n_bins + 1)
    counts, _ = np.histogram(np.asarray(spike_t, dtype=float), bins=edges)
    return 0.5 * (edges[:-1] + edges[1:]), counts / (n * bin_size)


def interval_cv(intervals, min_isis=2):
    """std / mean of a set of inter-spike intervals (population std); NaN if too few."""
    intervals = np.asarray(intervals, dtype=float)
    if intervals.size < max(min_isis, 1) or intervals.mean() <= 0:
        return np.nan
    return float(np.std(intervals) / np.mean(intervals))


def isi_cv(train, min_isis=2):
    """Coefficient of variation of the inter-spike intervals of one train.

    NaN when the train has fewer than ``min_isis`` intervals. A Poisson process gives 1,
    a regular one 0. To pool ISIs over trials, pass their concatenation to ``interval_cv``.
    """
    return interval_cv(np.diff(np.sort(np.asarray(train, dtype=float))), min_isis)


def local_variation(train, min_isis=2):
    """Local variation LV (Shinomoto et al. 2003): 3/(n-1) sum ((I_k - I_k+1)/(I_k + I_k+1))^2.

    1 for a Poisson process, 0 for a regular one; insensitive to slow rate changes.
    """
    isi = np.diff(np.sort(np.asarray(train, dtype=float)))
    if isi.size < max(min_isis, 2):
        return np.nan
    a, b = isi[:-1], isi[1:]
    return float(3.0 * np.mean(((a - b) / (a + b)) ** 2))


def per_neuron(statistic, trains, **kwargs):
    """Apply a statistic of one train to each train of a list; returns an array."""
    return np.array([statistic(tr, **kwargs) for tr in trains], dtype=float)


def finite_median(values):
    """Median of the finite entries (per-neuron statistics are NaN for silent neurons); NaN if
    there are none."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def fano_factor(counts):
    """Fano factor var/mean of spike counts (population variance, as Elephant); NaN if mean 0."""
    counts = np.asarray(counts, dtype=float)
    mean = counts.mean()
    return float(counts.var() / mean) if mean > 0 else np.nan


def windowed_counts(train, t_start, t_stop, window):
    """Spike counts of one train in consecutive windows of ``window`` s in [t_start, t_stop)."""
    n_win = int(np.floor((t_stop - t_start) / window + 1e-9))
    if n_win < 1:
        raise ValueError("the window is longer than the recording")
    edges = t_start + window * np.arange(n_win + 1)
    counts, _ = np.histogram(np.asarray(train, dtype=float), bins=edges)
    return counts


def fano_factor_windowed(train, t_start, t_stop, window):
    """Fano factor of one train's spike counts in consecutive windows (Poisson: 1)."""
    return fano_factor(windowed_counts(train, t_start, t_stop, window))


def isi_exponential_ks(train):
    """Kolmogorov-Smirnov test of the ISIs against an exponential with the same mean.

    Returns (statistic, p-value). The rate is estimated from the same data, so the p-value is
    conservative (Lilliefors); use it to rank trains, not as an exact test.
    """
    isi = np.diff(np.sort(np.asarray(train, dtype=float)))
    if isi.size < 2:
        return np.nan, np.nan
    res = stats.kstest(isi, "expon", args=(0, isi.mean()))
    return float(res.statistic), float(res.pvalue)
