"""Raster, population rate and per-neuron ISI CV of one population (``spikerules raster``)."""

import matplotlib.pyplot as plt

from figures import plotting


def raster_figure(spike_i, spike_t, *, start, stop, title=""):
    """Spikes in [start, stop) s: raster over the population rate, ISI CV per neuron beside."""
    n = int(spike_i.max()) + 1 if spike_i.size else 1
    fig = plt.figure(figsize=(9, 5))
    grid = fig.add_gridspec(2, 2, width_ratios=[5, 1], height_ratios=[3, 1], hspace=0.08,
                            wspace=0.05)
    ax_r = fig.add_subplot(grid[0, 0])
    plotting.raster(ax_r, spike_i, spike_t, start=start, stop=stop)
    ax_r.set_title(title)
    ax_r.tick_params(labelbottom=False)
    ax_p = fig.add_subplot(grid[1, 0], sharex=ax_r)
    bin_size = max((stop - start) / 200, 1e-3)
    plotting.rate_trace(ax_p, spike_t, n, start, stop, bin_size=bin_size)
    ax_p.set_xlabel("time (s)")
    ax_c = fig.add_subplot(grid[0, 1], sharey=ax_r)
    plotting.cv_per_neuron(ax_c, spike_i, spike_t, n, start, stop)
    ax_c.tick_params(labelleft=False)
    return fig
