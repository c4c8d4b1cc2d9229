"""Tracking a damped oscillator with fast and slow connections (Boerlin et al. 2013, Fig 4-like).

Target and decoded trajectories, the command, a raster and the population rate.
"""

import matplotlib.pyplot as plt

from figures import Run, plotting

DESCRIPTION = "tracking a damped oscillator (Boerlin et al. 2013)"
RUNS = (Run("", "predictive-dynamics"),)


def draw(results, title=""):
    """The figure of one predictive-dynamics run (``results[""]``); returns the Figure."""
    result = results[""]
    traces, spikes = result.traces, result.spikes["neurons"]
    title += f": tracking error {result.metrics['tracking_error']:.3g}"
    t = traces["t"]
    fig, axes = plt.subplots(4, 1, figsize=(10, 9), sharex=True,
                             gridspec_kw=dict(height_ratios=[1, 2, 2, 0.8]))
    for d in range(traces["command"].shape[1]):
        axes[0].plot(t, traces["command"][:, d], lw=0.8)
    axes[0].set_ylabel("command c (1/s)")
    for d, color in enumerate(("tab:blue", "tab:orange")):
        axes[1].plot(t, traces["x"][:, d], color=color, lw=2, alpha=0.45)
        axes[1].plot(t, traces["xhat"][:, d], color=color, lw=0.8)
    axes[1].set_ylabel("x (thick), x̂ (thin)")
    spike_i, spike_t = spikes
    plotting.raster(axes[2], spike_i, spike_t, start=t[0], stop=t[-1])
    plotting.rate_trace(axes[3], spike_t, len(traces["rates_hz"]), t[0], t[-1] + t[1] - t[0],
                        bin_size=0.02)
    axes[3].set_xlabel("time (s)")
    fig.suptitle(title)
    return fig
