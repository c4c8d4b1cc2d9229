"""Gradient descent for spiking networks (Huh & Sejnowski 2018, Figs 2-3).

Both tasks of ``gradient-autoencode`` and ``gradient-xor``: loss over Adam steps, readout
against target on test trials (with the Brian2 re-simulation drawn over the NumPy readout),
and rasters of a test trial before and after training.
"""

import matplotlib.pyplot as plt

from figures import Run
from figures.plotting import raster

DESCRIPTION = ("gradient descent for spiking networks: auto-encoding and delayed XOR "
               "(Huh & Sejnowski 2018 Figs 2-3)")
RUNS = (Run("gradient-autoencode", "gradient-autoencode", prefix="autoencode_"),
        Run("gradient-xor", "gradient-xor", prefix="xor_"))
#: the XOR conditions (signs of the two pulses) in the order of the model's condition index
CONDITIONS = ("-,-", "+,-", "-,+", "+,+")


def _seconds(text):
    """A duration as params.json holds it ('100 ms', '0.5 second') in seconds."""
    number, unit = str(text).split()
    return float(number) * {"ms": 1e-3, "second": 1.0, "s": 1.0}[unit]


def _loss_panel(ax, tr, ylabel, title):
    ax.plot(tr["iteration"], tr["loss"], color="0.6", lw=0.6, label="training batch")
    ax.plot(tr["eval_iteration"], tr["validation_loss"], "o-", color="k", ms=2.5,
            label="validation")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)


def draw(results, title=""):
    """The figure of one auto-encoding and one XOR run; returns the Figure."""
    fig = plt.figure(figsize=(16, 10.5))
    grid = fig.add_gridspec(3, 4, hspace=0.45, wspace=0.3)
    _autoencode_panels(fig, grid, results["gradient-autoencode"])
    _xor_panels(fig, grid, results["gradient-xor"])
    fig.suptitle("gradient descent for spiking networks" + (f": {title}" if title else ""))
    return fig


def _autoencode_panels(fig, grid, ae):
    """Loss, a test signal with the readouts, and rasters before and after (rows 1-2)."""
    ma, tr = ae.metrics, ae.traces
    _loss_panel(fig.add_subplot(grid[0, 0]), tr, "NMSE",
                f"auto-encoding: NMSE {ma['nmse_initial']:.2f} -> {ma['nmse_final']:.3f}\n"
                f"(best readout of the untrained net {ma['nmse_initial_best_readout']:.3f})")
    ax = fig.add_subplot(grid[0, 1:3])
    t = tr["t"]
    for d, color in enumerate(("tab:blue", "tab:orange")):
        ax.plot(t, tr["x_test"][:, 0, d], color=color, lw=3, alpha=0.35,
                label=f"x{d + 1} (target)")
        ax.plot(t, tr["o_final"][:, 0, d], color=color, lw=1, label=f"o{d + 1} trained (NumPy)")
        if "brian2_o" in tr:
            ax.plot(t, tr["brian2_o"][:, 0, d], "k:", lw=1,
                    label="Brian2 re-simulation" if d == 0 else None)
    ax.axvspan(0, _seconds(ae.params["warmup"]), color="0.9", zorder=0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("signal")
    ax.set_title("test signal and trained readout (grey: warm-up, not scored)", fontsize=10)
    ax.legend(fontsize=7, ncol=3)
    for col, label in ((0, "initial"), (2, "final")):
        ax = fig.add_subplot(grid[1, col:col + 2])
        raster(ax, *ae.spikes[label], markersize=3)
        ax.set_xlim(0, t[-1])
        ax.set_ylim(-0.5, ae.params["n_neurons"] - 0.5)
        ax.set_title(f"auto-encoding, {'before' if label == 'initial' else 'after'} training "
                     f"({ma[f'rate_{label}_hz']:.1f} Hz)", fontsize=10)
        ax.set_xlabel("time (s)")


def _xor_panels(fig, grid, xor):
    """Loss (row 1, right), a test trial per condition and rasters of one (row 3)."""
    mx, tx = xor.metrics, xor.traces
    _loss_panel(fig.add_subplot(grid[0, 3]), tx, "MSE in the response window",
                f"XOR: worst condition {100 * mx['accuracy_min_initial']:.0f} % -> "
                f"{100 * mx['accuracy_min']:.0f} % correct")
    ax = fig.add_subplot(grid[2, 0:2])
    colors = ("tab:blue", "tab:green", "tab:red", "tab:purple")
    for c in range(4):
        ax.plot(tx["t"], tx["o_final"][:, c, 0], color=colors[c],
                label=f"{CONDITIONS[c]}: {100 * mx[f'accuracy_{CONDITIONS[c]}']:.0f} %")
        ax.plot(tx["t"], tx["target_shown"][:, c, 0], "--", color=colors[c], lw=0.8)
    edges = tx["timeline"].reshape(4, 2)  # pulses, go cue, response window (s)
    for (a, b), shade in zip(edges, ("0.85", "0.85", "#ffe9b0", "#d9f2d9")):
        ax.axvspan(a, b, color=shade, zorder=0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("readout o")
    ax.set_title("XOR after training, a test trial per condition\n(grey: pulses, yellow: go "
                 "cue, green: response window; dashed: target)", fontsize=10)
    ax.legend(fontsize=7, ncol=4, title="pulse signs: test accuracy", title_fontsize=7)
    for col, label in ((2, "initial"), (3, "final")):
        ax = fig.add_subplot(grid[2, col])
        raster(ax, *xor.spikes[f"{label}_1"], markersize=2)
        for a, b in edges[:3]:
            ax.axvspan(a, b, color="0.9", zorder=0)
        ax.set_xlim(0, tx["t"][-1])
        ax.set_ylim(-0.5, xor.params["n_neurons"] - 0.5)
        ax.set_title(f"XOR trial {CONDITIONS[1]}, {'before' if label == 'initial' else 'after'}"
                     f" ({mx[f'rate_{label}_hz']:.1f} Hz)", fontsize=10)
        ax.set_xlabel("time (s)")
