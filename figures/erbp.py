"""eRBP and peRBP on digits (Neftci et al. 2017, Fig 3-like).

Test error against epochs for eRBP (p_syn = 1) and peRBP (stochastic synapses), next to NumPy
rate networks of the same size trained by feedback alignment and backprop on the same training
set; weight histograms before and after learning; a raster of two training samples (input,
label, hidden, output and error neurons) with the dendrite U of a hidden neuron.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from analysis.io import write_json
from figures.common import save_figure
from figures.plotting import raster
from models.cli import run_model

NAME = "erbp"
#: transmission probability of the peRBP run (the paper's deep network used 0.65)
P_SYN = 0.65


def make(out_dir, quick=False, device="cpp", seed=1):
    out_dir = Path(out_dir) / NAME
    results = {}
    for label, settings in (("erbp", []), ("perbp", [f"p_syn={P_SYN}"])):
        if label == "perbp":
            settings.append("baseline_epochs=1")  # the baselines come from the eRBP run
        results[label] = run_model("erbp", device=device, seed=seed, quick=quick,
                                   settings=settings)
        results[label].write(out_dir / f"run-{label}")
    title = f"erbp, seed {seed} ({device}{', quick' if quick else ''})"
    png = draw(results, out_dir / f"{NAME}.png", title)
    metrics = dict(results["erbp"].metrics)
    metrics.update({f"perbp_{k}": v for k, v in results["perbp"].metrics.items()
                    if k.startswith("test_error_erbp") or k == "rate_hidden_hz"})
    write_json(out_dir / "metrics.json", metrics)
    return [png, out_dir / "metrics.json"]


def draw(results, out, title=""):
    r = results["erbp"]
    tr = r.traces
    fig = plt.figure(figsize=(15, 8.5))
    grid = fig.add_gridspec(3, 4, height_ratios=[1, 1, 1])
    ax = fig.add_subplot(grid[0:2, 0:2])
    for label, res, color in (("eRBP", r, "tab:red"),
                              (f"peRBP (p_syn {P_SYN})", results.get("perbp"), "tab:orange")):
        if res is not None:
            err = 100 * res.traces["test_error_erbp"]
            ax.plot(np.arange(len(err)), err, "o-", color=color, label=label)
    for method, color, label in (("fa", "0.5", "NumPy feedback alignment"),
                                 ("bp", "k", "NumPy backprop")):
        err = 100 * tr[f"test_error_{method}"]
        ax.plot(np.arange(len(err)), err, color=color, label=label)
    ax.set_ylim(0, None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test error (%)")
    ax.legend()
    ax.set_title("digits, " + r.params["sizes"].replace(",", "-"), fontsize=10)

    for k, name in enumerate(("input_hidden", "hidden_output")):
        ax = fig.add_subplot(grid[0, 2 + k])
        w0, w1 = r.weights[f"{name}_initial"].ravel(), r.weights[f"{name}_final"].ravel()
        bins = np.linspace(min(w0.min(), w1.min()), max(w0.max(), w1.max()), 40)
        ax.hist(w0, bins=bins, color="0.7", label="initial")
        ax.hist(w1, bins=bins, histtype="step", color="tab:red", lw=1.5, label="learned")
        ax.set_xlabel(f"weight {name.replace('_', ' -> ')}")
        ax.legend(fontsize=8)

    t0, t1 = tr["raster_window"]
    pops = [("input", "k"), ("labels", "tab:green"), ("hidden", "tab:blue"),
            ("output", "tab:red"), ("err_pos", "tab:purple"), ("err_neg", "tab:brown")]
    ax = fig.add_subplot(grid[1, 2:])
    offset = 0
    ticks = []
    for pop, color in pops:
        i, t = r.spikes[pop]
        n = int(i.max()) + 1 if i.size else 1
        n = max(n, 10 if pop in ("labels", "output", "err_pos", "err_neg") else n)
        raster(ax, i + offset, t, start=t0, stop=t1, color=color, markersize=1.5)
        ticks.append((offset + n / 2, pop))
        offset += n + 4
    ax.set_yticks([p for p, _ in ticks], [name for _, name in ticks], fontsize=8)
    ax.set_title("two training samples (end of epoch 1)", fontsize=10)
    ax = fig.add_subplot(grid[2, 2:])
    ax.plot(tr["trace_t"], tr["trace_u"][:, 0], color="tab:purple", label="U (dendrite)")
    ax.plot(tr["trace_t"], tr["trace_is"][:, 0], color="tab:blue", label="Is")
    ax.set_xlim(t0, t1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("hidden neuron 0")
    ax.legend(fontsize=8)

    ax = fig.add_subplot(grid[2, 0:2])
    ax.axis("off")
    m = r.metrics
    lines = [f"eRBP: {100 * m['test_error_initial']:.1f} % -> {100 * m['test_error_erbp']:.1f} %"
             f" test error after {len(tr['test_error_erbp']) - 1} epochs"]
    if "perbp" in results:
        lines.append(f"peRBP: {100 * results['perbp'].metrics['test_error_erbp']:.1f} %")
    lines += [f"NumPy FA: {100 * m['test_error_fa']:.1f} %, backprop: "
              f"{100 * m['test_error_bp']:.1f} % ({len(tr['test_error_fa']) - 1} epochs)",
              f"hidden rate {m['rate_hidden_hz']:.1f} Hz"]
    ax.text(0, 0.9, "\n".join(lines), va="top", fontsize=11)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, out)
