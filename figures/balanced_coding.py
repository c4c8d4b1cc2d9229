"""Learning an efficient balanced spike code (Brendel et al. 2020, Fig 2).

Coding error, mean rate and weight distance ErrC over learning time; learned feedforward
weights against the least-squares decoder and learned recurrent weights against -F^T F; rasters
and decoded signals before and after learning; ISI CV distribution after learning.
"""

import matplotlib.pyplot as plt
import numpy as np

from figures import Run, plotting

DESCRIPTION = "learning an efficient balanced code (Brendel et al. 2020 Fig 2)"
RUNS = (Run("", "balanced-coding"),)


def draw(results, title=""):
    """The figure of one balanced-coding run (``results[""]``); returns the Figure."""
    result = results[""]
    traces, weights, spikes = result.traces, result.weights, result.spikes
    title += f": {result.metrics['learning_time_s']:g} s of learning"
    fig = plt.figure(figsize=(13, 10))
    grid = fig.add_gridspec(4, 4, hspace=0.55, wspace=0.45)
    t = traces["checkpoint_time"]
    plotting.learning_curve(fig.add_subplot(grid[0, 0]), t, traces["coding_error"],
                            ylabel="coding error")
    plotting.learning_curve(fig.add_subplot(grid[0, 1]), t, traces["rate_hz"],
                            ylabel="mean rate (Hz)", logy=False)
    plotting.learning_curve(fig.add_subplot(grid[0, 2]), t, traces["weight_distance"],
                            ylabel="ErrC (distance to -F$^T$F)")
    ax = fig.add_subplot(grid[0, 3])
    cv = traces["cv_isi_final"]
    ax.hist(cv[np.isfinite(cv)], bins=15, color="0.3")
    ax.axvline(1, color="r", ls="--", lw=0.8)
    ax.set_xlabel("ISI CV after learning")
    ax.set_ylabel("neurons")

    for col, tag in ((0, "initial"), (1, "final")):
        f = weights[f"F_{tag}"]
        ax = fig.add_subplot(grid[1, col])
        ax.plot(f[0], f[1], "k.")
        ax.plot(0, 0, "r+")
        ax.set_aspect("equal")
        ax.set_title(f"F {'before' if tag == 'initial' else 'after'} learning", fontsize=9)
        ax.set_xlabel("F$_1$")
        ax.set_ylabel("F$_2$")
    plotting.scatter_identity(
        fig.add_subplot(grid[1, 2]), -weights["F_final"].T @ weights["F_final"],
        weights["Omega_final"], xlabel="-F$^T$F", ylabel="learned $\\Omega$")
    dec = traces["decoder_final"].T
    ax = fig.add_subplot(grid[1, 3])
    scale = np.sum(dec * weights["F_final"]) / np.sum(dec**2)
    plotting.scatter_identity(ax, scale * dec, weights["F_final"],
                              xlabel="decoder (scaled)", ylabel="learned F")

    tt = traces["t_trial"]
    show = tt < min(2.0, tt[-1])
    for row, tag, when in ((2, "initial", "before"), (3, "final", "after")):
        i, ts = spikes[f"test_{tag}"]
        ax = fig.add_subplot(grid[row, 0:2])
        plotting.raster(ax, i, ts, start=0, stop=tt[show][-1])
        ax.set_title(f"test trial {when} learning", fontsize=9)
        ax = fig.add_subplot(grid[row, 2:4])
        x, xhat = traces[f"x_{when}"], traces[f"xhat_{when}"]
        for d, color in enumerate(("tab:blue", "tab:orange")):
            ax.plot(tt[show], x[show, d], color=color, lw=1.5, alpha=0.5)
            ax.plot(tt[show], xhat[show, d], color=color, lw=0.8)
        ax.set_title(f"signal (thick) and decoded (thin), {when} learning", fontsize=9)
        ax.set_xlabel("time (s)")
    fig.suptitle(title)
    return fig
