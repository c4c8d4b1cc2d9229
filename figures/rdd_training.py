"""Training with RDD-learned feedback (Guerguiev et al. 2020 Fig 4-like, on digits).

Test error against epochs for backprop, feedback alignment and RDD (mean and s.d. over seeds),
and the angle between each hidden layer's feedback matrix and W^T.
"""

import matplotlib.pyplot as plt

from figures import Run

DESCRIPTION = "training with BP, FA and RDD feedback on digits (Guerguiev et al. 2020)"
RUNS = (Run("", "rdd-training"),)

COLORS = {"bp": "k", "fa": "0.5", "rdd": "tab:red"}
LABELS = {"bp": "backprop", "fa": "feedback alignment", "rdd": "RDD"}


def draw(results, title=""):
    """The figure of one rdd-training run (``results[""]``); returns the Figure."""
    result = results[""]
    tr, m = result.traces, result.metrics
    methods = [k for k in ("bp", "fa", "rdd") if f"{k}_test_error" in tr]
    n_hidden = tr[f"{methods[0]}_angle_deg"].shape[-1]
    fig, axes = plt.subplots(1, 1 + n_hidden, figsize=(5 * (1 + n_hidden), 4))
    epochs = tr["epoch"]
    for k in methods:
        err = 100 * tr[f"{k}_test_error"]  # (seeds, epochs + 1)
        axes[0].plot(epochs, err.mean(axis=0), color=COLORS[k], label=LABELS[k])
        axes[0].fill_between(epochs, err.mean(0) - err.std(0), err.mean(0) + err.std(0),
                             color=COLORS[k], alpha=0.2, lw=0)
        ang = tr[f"{k}_angle_deg"]  # (seeds, epochs, hidden)
        for l in range(n_hidden):
            axes[1 + l].plot(epochs[:-1] + 1, ang[:, :, l].mean(axis=0), color=COLORS[k],
                             label=LABELS[k])
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("test error (%)")
    axes[0].set_yscale("log")
    axes[0].legend()
    for l in range(n_hidden):
        axes[1 + l].set_ylim(-2, 95)
        axes[1 + l].axhline(45, color="0.8", ls=":")
        axes[1 + l].set_xlabel("epoch")
        axes[1 + l].set_ylabel(f"feedback angle to W^T, hidden layer {l + 1} (deg)")
    n_seeds = tr[f"{methods[0]}_test_error"].shape[0]
    fig.suptitle(title + f" and the next {n_seeds - 1} (mean and s.d.)" * (n_seeds > 1)
                 + ": final test error " + ", ".join(
        f"{LABELS[k]} {100 * m[f'test_error_{k}']:.1f} %" for k in methods))
    fig.tight_layout()
    return fig
