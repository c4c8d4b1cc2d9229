"""``spikerules raster``: raster, population rate and per-neuron ISI CV of any run."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.io import load_spikes  # noqa: E402
from figures import plotting  # noqa: E402
from figures.common import save_figure  # noqa: E402
from models.registry import ParameterError  # noqa: E402


def raster_figure(rundir, population=None, start=None, stop=None, out=None, window=2.0):
    """Draw one population of a run directory in [start, stop); returns the PNG path."""
    rundir = Path(rundir)
    pops = load_spikes(rundir)
    if not pops:
        raise ParameterError(f"{rundir}/spikes.npz holds no populations")
    if population is None:
        population = next(iter(pops))
    if population not in pops:
        raise ParameterError(
            f"unknown population '{population}'; accepted: {', '.join(pops)}"
        )
    spike_i, spike_t = pops[population]
    if spike_t.size == 0:
        raise ParameterError(f"population '{population}' has no spikes")
    start = float(spike_t.min()) if start is None else start
    stop = start + window if stop is None else stop
    if stop <= start:
        raise ParameterError("--stop must be after --start")
    n = int(spike_i.max()) + 1
    fig = plt.figure(figsize=(9, 5))
    grid = fig.add_gridspec(2, 2, width_ratios=[5, 1], height_ratios=[3, 1], hspace=0.08,
                            wspace=0.05)
    ax_r = fig.add_subplot(grid[0, 0])
    plotting.raster(ax_r, spike_i, spike_t, start=start, stop=stop)
    ax_r.set_title(f"{rundir.name}: {population}")
    ax_r.tick_params(labelbottom=False)
    ax_p = fig.add_subplot(grid[1, 0], sharex=ax_r)
    bin_size = max((stop - start) / 200, 1e-3)
    plotting.rate_trace(ax_p, spike_t, n, start, stop, bin_size=bin_size)
    ax_p.set_xlabel("time (s)")
    ax_c = fig.add_subplot(grid[0, 1], sharey=ax_r)
    plotting.cv_per_neuron(ax_c, spike_i, spike_t, n, start, stop)
    ax_c.tick_params(labelleft=False)
    return save_figure(fig, Path(out) if out else rundir / f"raster-{population}.png", dpi=120)
