"""Plotting primitives: arrays in, matplotlib axes out."""

import numpy as np

from analysis.spikes import isi_cv, per_neuron, population_rate, split_trains


def raster(ax, spike_i, spike_t, *, start=None, stop=None, color="k", markersize=2):
    """Dots at (time, neuron index) for spikes in [start, stop)."""
    spike_i, spike_t = np.asarray(spike_i), np.asarray(spike_t, dtype=float)
    keep = np.ones(spike_t.shape, bool)
    if start is not None:
        keep &= spike_t >= start
    if stop is not None:
        keep &= spike_t < stop
    ax.plot(spike_t[keep], spike_i[keep], "|", color=color, markersize=markersize)
    ax.set_ylabel("neuron")
    if start is not None and stop is not None:
        ax.set_xlim(start, stop)
    return ax


def rate_trace(ax, spike_t, n, start, stop, bin_size=0.01, color="k"):
    """Population rate (Hz per neuron) in bins of ``bin_size`` s."""
    centres, rate = population_rate(spike_t, n, start, stop, bin_size)
    ax.plot(centres, rate, color=color, lw=0.8)
    ax.set_ylabel("rate (Hz)")
    ax.set_xlim(start, stop)
    return ax


def cv_per_neuron(ax, spike_i, spike_t, n, start, stop, color="k"):
    """ISI CV of each neuron (horizontal bars), with the Poisson value 1 marked."""
    cv = per_neuron(isi_cv, split_trains(spike_i, spike_t, n, start, stop))
    ax.barh(np.arange(n), np.nan_to_num(cv), color=color, height=0.8)
    ax.axvline(1.0, color="r", lw=0.8, ls="--")
    ax.set_xlabel("ISI CV")
    ax.set_ylim(-0.5, n - 0.5)
    return ax


def learning_curve(ax, times, values, *, ylabel, logy=True, color="k"):
    """Values at checkpoints over learning time on a log time axis; t = 0 drawn dashed."""
    times, values = np.asarray(times, float), np.asarray(values, float)
    pos = times > 0
    ax.plot(times[pos], values[pos], "o-", color=color, ms=3)
    if (~pos).any():
        ax.axhline(values[~pos][0], color=color, ls=":", lw=0.8, label="before learning")
        ax.legend(frameon=False, fontsize=7)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("learning time (s)")
    ax.set_ylabel(ylabel)
    return ax


def scatter_identity(ax, x, y, *, xlabel, ylabel, color="k"):
    """Scatter with the identity line, for learned-vs-optimal comparisons."""
    x, y = np.ravel(x), np.ravel(y)
    ax.plot(x, y, ".", color=color, ms=3)
    lim = [min(x.min(), y.min()), max(x.max(), y.max())]
    ax.plot(lim, lim, color="0.6", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def wall_time_scaling(ax, sizes, seconds, *, label, color=None, marker="o"):
    """Loop wall time against network size on log-log axes."""
    order = np.argsort(sizes)
    ax.loglog(np.asarray(sizes)[order], np.asarray(seconds)[order], marker=marker, color=color,
              label=label)
    ax.set_ylabel("loop wall time (s)")
    return ax
