"""Gradient descent for spiking networks (Huh & Sejnowski 2018, Figs 2-3).

Both tasks of ``gradient-autoencode`` and ``gradient-xor``: loss over Adam steps, readout
against target on test trials (with the Brian2 re-simulation drawn over the NumPy readout),
and rasters of a test trial before and after training.
"""

from pathlib import Path

import matplotlib.pyplot as plt

from analysis.io import write_json
from figures.common import save_figure
from figures.plotting import raster
from models.cli import run_model
from models.gradient_xor import CONDITIONS

NAME = "gradient-snn"
TASKS = ("gradient-autoencode", "gradient-xor")


def make(out_dir, quick=False, device="cpp", seed=1):
    out_dir = Path(out_dir) / NAME
    results = {}
    for task in TASKS:
        results[task] = run_model(task, device=device, seed=seed, quick=quick)
        results[task].write(out_dir / f"run-{task}")
    title = f"gradient descent for spiking networks, seed {seed} ({device}{', quick' if quick else ''})"
    png = draw(results, out_dir / f"{NAME}.png", title)
    metrics = {f"{task.split('-')[1]}_{k}": v for task, r in results.items()
               for k, v in r.metrics.items()}
    write_json(out_dir / "metrics.json", metrics)
    return [png, out_dir / "metrics.json"]


def _loss_panel(ax, tr, ylabel, title):
    ax.plot(tr["iteration"], tr["loss"], color="0.6", lw=0.6, label="training batch")
    ax.plot(tr["eval_iteration"], tr["validation_loss"], "o-", color="k", ms=2.5,
            label="validation")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)


def draw(results, out, title=""):
    ae, xor = results["gradient-autoencode"], results["gradient-xor"]
    fig = plt.figure(figsize=(16, 10.5))
    grid = fig.add_gridspec(3, 4, hspace=0.45, wspace=0.3)

    ma = ae.metrics
    _loss_panel(fig.add_subplot(grid[0, 0]), ae.traces, "NMSE",
                f"auto-encoding: NMSE {ma['nmse_initial']:.2f} -> {ma['nmse_final']:.3f}\n"
                f"(best readout of the untrained net {ma['nmse_initial_best_readout']:.3f})")
    ax = fig.add_subplot(grid[0, 1:3])
    tr = ae.traces
    t = tr["t"]
    for d, color in enumerate(("tab:blue", "tab:orange")):
        ax.plot(t, tr["x_test"][:, 0, d], color=color, lw=3, alpha=0.35,
                label=f"x{d + 1} (target)")
        ax.plot(t, tr["o_final"][:, 0, d], color=color, lw=1, label=f"o{d + 1} trained (NumPy)")
        if "brian2_o" in tr:
            ax.plot(t, tr["brian2_o"][:, 0, d], "k:", lw=1,
                    label="Brian2 re-simulation" if d == 0 else None)
    ax.axvspan(0, float(ae.params["warmup"]), color="0.9", zorder=0)  # Quantity in s
    ax.set_xlabel("time (s)")
    ax.set_ylabel("signal")
    ax.set_title("test signal and trained readout (grey: warm-up, not scored)", fontsize=10)
    ax.legend(fontsize=7, ncol=3)

    mx = xor.metrics
    _loss_panel(fig.add_subplot(grid[0, 3]), xor.traces, "MSE in the response window",
                f"XOR: worst condition {100 * mx['accuracy_min_initial']:.0f} % -> "
                f"{100 * mx['accuracy_min']:.0f} % correct")

    n_ae = ae.params["n_neurons"]
    for col, label in ((0, "initial"), (2, "final")):
        ax = fig.add_subplot(grid[1, col:col + 2])
        raster(ax, *ae.spikes[label], markersize=3)
        ax.set_xlim(0, t[-1])
        ax.set_ylim(-0.5, n_ae - 0.5)
        rate = ma[f"rate_{label}_hz"]
        ax.set_title(f"auto-encoding, {'before' if label == 'initial' else 'after'} training "
                     f"({rate:.1f} Hz)", fontsize=10)
        ax.set_xlabel("time (s)")

    tx = xor.traces
    ax = fig.add_subplot(grid[2, 0:2])
    colors = ("tab:blue", "tab:green", "tab:red", "tab:purple")
    for c in range(4):
        ax.plot(tx["t"], tx["o_final"][:, c, 0], color=colors[c],
                label=f"{CONDITIONS[c]}: {100 * mx[f'accuracy_{CONDITIONS[c]}']:.0f} %")
        ax.plot(tx["t"], tx["target_shown"][:, c, 0], "--", color=colors[c], lw=0.8)
    edges = tx["timeline"]
    for (a, b), shade in zip(edges.reshape(4, 2), ("0.85", "0.85", "#ffe9b0", "#d9f2d9")):
        ax.axvspan(a, b, color=shade, zorder=0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("readout o")
    ax.set_title("XOR after training, a test trial per condition\n(grey: pulses, yellow: go "
                 "cue, green: response window; dashed: target)", fontsize=10)
    ax.legend(fontsize=7, ncol=4, title="pulse signs: test accuracy", title_fontsize=7)

    n_x = xor.params["n_neurons"]
    for col, label in ((2, "initial"), (3, "final")):
        ax = fig.add_subplot(grid[2, col])
        raster(ax, *xor.spikes[f"{label}_1"], markersize=2)
        for a, b in edges.reshape(4, 2)[:3]:
            ax.axvspan(a, b, color="0.9", zorder=0)
        ax.set_xlim(0, tx["t"][-1])
        ax.set_ylim(-0.5, n_x - 0.5)
        ax.set_title(f"XOR trial {CONDITIONS[1]}, {'before' if label == 'initial' else 'after'}"
                     f" ({mx[f'rate_{label}_hz']:.1f} Hz)", fontsize=10)
        ax.set_xlabel("time (s)")
    fig.suptitle(title)
    return save_figure(fig, out)
