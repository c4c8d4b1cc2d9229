"""Supervised learning of dynamics (Bourdoukan & Deneve 2015), damped oscillator and leaky
integrator side by side.

Per system: weight distances and learning error over learning; target and autonomous (K = 0)
trajectories before and after learning; rasters of the autonomous runs; E/I balance of each
neuron's input before and after learning.
"""

import matplotlib.pyplot as plt
import numpy as np

from figures import Run, plotting

DESCRIPTION = ("learning an oscillator and an integrator with fast and slow connections "
               "(Bourdoukan & Deneve 2015)")
RUNS = tuple(Run(system, "supervised-dynamics", settings={"system": system},
                 prefix=f"{system}_") for system in ("oscillator", "integrator"))
SHOW_S = 2.0  # seconds of each autonomous test drawn


def draw(results, title=""):
    """One column per system (``results["oscillator"]``, ``results["integrator"]``; those
    present, in that order); returns the Figure."""
    shown = [run.label for run in RUNS if run.label in results]
    fig = plt.figure(figsize=(13, 16))
    grid = fig.add_gridspec(6, 2 * len(shown), hspace=0.75, wspace=0.5, top=0.94)
    for col, system in enumerate(shown):
        _column(fig, grid, 2 * col, system, results[system])
    fig.suptitle(title, y=0.985)
    return fig


def _column(fig, grid, col, system, result):
    traces, m = result.traces, result.metrics
    t = traces["learning_time"]
    ax = fig.add_subplot(grid[0, col:col + 2])
    for key, color, label in (("fast", "tab:red", "fast: to -FF$^T$ - μI"),
                              ("slow", "tab:blue", "slow: to F(A + λI)D")):
        d = traces[f"{key}_weight_distance"]
        ax.plot(t, d, "o-", color=color, ms=3, label=f"{label} ({d[-1]:.3f})")
    ax.set_yscale("log")
    ax.set_xlabel("learning time (s)")
    ax.set_ylabel("relative distance")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"{system}: weights over learning", fontsize=10)
    ax = fig.add_subplot(grid[1, col:col + 2])
    plotting.learning_curve(ax, t[1:], traces["learning_error"][1:], ylabel="error with K on")
    ax.set_title("normalised error of x̂ during learning", fontsize=9)

    tt = traces["t_test"]
    show = tt < min(SHOW_S, tt[-1])
    for row, phase, tag in ((2, "before", "_initial"), (3, "after", "")):
        ax = fig.add_subplot(grid[row, col:col + 2])
        x, xhat = traces[f"x_{phase}"], traces[f"xhat_{phase}"]
        for d, color in enumerate(("tab:blue", "tab:orange")):
            ax.plot(tt[show], x[show, d], color=color, lw=2, alpha=0.45)
            ax.plot(tt[show], xhat[show, d], color=color, lw=0.8)
        span = np.abs(x[show]).max()
        ax.set_ylim(-2 * span, 2 * span)  # x-hat before learning runs far off
        ax.set_title(f"autonomous (K = 0) {phase} learning: error "
                     f"{m['autonomous_error' + tag]:.3g}; x (thick), x̂ (thin)", fontsize=9)
        ax.set_xlabel("time (s)")
    for sub, phase in enumerate(("before", "after")):
        tag = "_initial" if phase == "before" else ""
        ax = fig.add_subplot(grid[4, col + sub])
        i, ts = result.spikes[phase]
        plotting.raster(ax, i, ts, start=0, stop=min(SHOW_S, tt[-1]), markersize=1)
        ax.set_title(f"{phase}: max {m['rate_max_hz' + tag]:.0f} Hz", fontsize=9)
        ax.set_xlabel("time (s)")
        ax = fig.add_subplot(grid[5, col + sub])
        exc, inh = traces[f"excitatory_mean_{phase}"], -traces[f"inhibitory_mean_{phase}"]
        plotting.scatter_identity(ax, exc, inh, xlabel="mean E input (1/s)",
                                  ylabel="mean -I input (1/s)",
                                  color="0.5" if phase == "before" else "k")
        ax.set_title(f"{phase}: E-I corr. {m['balance_correlation_median' + tag]:.2f}",
                     fontsize=9)
