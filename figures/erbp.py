"""eRBP and peRBP on digits (Neftci et al. 2017, Fig 3-like).

Test error against epochs for eRBP (p_syn = 1) and peRBP (stochastic synapses), next to NumPy
rate networks of the same size trained by feedback alignment and backprop on the same training
set; weight histograms before and after learning; a raster of two training samples (input,
label, hidden, output and error neurons) with the dendrite U of a hidden neuron.
"""

import matplotlib.pyplot as plt
import numpy as np

from figures import Run, plotting

DESCRIPTION = "eRBP and peRBP learning digits, against FA and BP (Neftci et al. 2017 Fig 3)"
#: the peRBP run: transmission probability 0.65 (the paper's deep network); its NumPy
#: baselines are not drawn (the eRBP run's are), so they train for one epoch only
RUNS = (Run("erbp", "erbp"),
        Run("perbp", "erbp", settings={"p_syn": "0.65", "baseline_epochs": "1"},
            prefix="perbp_"))

#: raster populations, colours, and the rows each takes at least
POPULATIONS = (("input", "k", 1), ("labels", "tab:green", 10), ("hidden", "tab:blue", 1),
               ("output", "tab:red", 10), ("err_pos", "tab:purple", 10),
               ("err_neg", "tab:brown", 10))


def draw(results, title=""):
    """The figure of an eRBP run (``results["erbp"]``) and, if given, a peRBP run
    (``results["perbp"]``); returns the Figure."""
    r = results["erbp"]
    fig = plt.figure(figsize=(15, 8.5))
    grid = fig.add_gridspec(3, 4, height_ratios=[1, 1, 1])
    _learning_curves(fig.add_subplot(grid[0:2, 0:2]), r, results.get("perbp"))
    for k, name in enumerate(("input_hidden", "hidden_output")):
        _weight_histogram(fig.add_subplot(grid[0, 2 + k]), r.weights, name)
    _raster(fig.add_subplot(grid[1, 2:]), r)
    ax = fig.add_subplot(grid[2, 2:])
    tr = r.traces
    ax.plot(tr["trace_t"], tr["trace_u"][:, 0], color="tab:purple", label="U (dendrite)")
    ax.plot(tr["trace_t"], tr["trace_is"][:, 0], color="tab:blue", label="Is")
    ax.set_xlim(*tr["raster_window"])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("hidden neuron 0")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[2, 0:2])
    ax.axis("off")
    ax.text(0, 0.9, "\n".join(_summary(r, results.get("perbp"))), va="top", fontsize=11)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _sizes(r):
    """'64-100-10': the layer sizes, read from the weight matrices."""
    n_in, n_hidden = r.weights["input_hidden_initial"].shape
    n_out = r.weights["hidden_output_initial"].shape[1]
    return f"{n_in}-{n_hidden}-{n_out}"


def _learning_curves(ax, r, perbp):
    curves = [("eRBP", r, "tab:red")]
    if perbp is not None:
        curves.append((f"peRBP (p_syn {perbp.params.get('p_syn', '?')})", perbp, "tab:orange"))
    for label, res, color in curves:
        err = 100 * np.asarray(res.traces["test_error_erbp"])
        ax.plot(np.arange(len(err)), err, "o-", color=color, label=label)
    for method, color, label in (("fa", "0.5", "NumPy feedback alignment"),
                                 ("bp", "k", "NumPy backprop")):
        err = 100 * np.asarray(r.traces[f"test_error_{method}"])
        ax.plot(np.arange(len(err)), err, color=color, label=label)
    ax.set_ylim(0, None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test error (%)")
    ax.legend()
    ax.set_title(f"{r.params.get('dataset', 'digits')}, {_sizes(r)}", fontsize=10)


def _weight_histogram(ax, weights, name):
    w0, w1 = weights[f"{name}_initial"].ravel(), weights[f"{name}_final"].ravel()
    bins = np.linspace(min(w0.min(), w1.min()), max(w0.max(), w1.max()), 40)
    ax.hist(w0, bins=bins, color="0.7", label="initial")
    ax.hist(w1, bins=bins, histtype="step", color="tab:red", lw=1.5, label="learned")
    ax.set_xlabel(f"weight {name.replace('_', ' -> ')}")
    ax.legend(fontsize=8)


def _raster(ax, r):
    """All populations stacked, in the raster window (the last training samples of epoch 1)."""
    t0, t1 = r.traces["raster_window"]
    offset, ticks = 0, []
    for pop, color, rows in POPULATIONS:
        i, t = r.spikes[pop]
        n = max(int(i.max()) + 1 if i.size else 1, rows)
        plotting.raster(ax, i + offset, t, start=t0, stop=t1, color=color, markersize=1.5)
        ticks.append((offset + n / 2, pop))
        offset += n + 4
    ax.set_yticks([p for p, _ in ticks], [name for _, name in ticks], fontsize=8)
    ax.set_title(f"the last {r.params.get('raster_samples', 2)} training samples of epoch 1",
                 fontsize=10)


def _summary(r, perbp):
    m, tr = r.metrics, r.traces
    lines = [f"eRBP: {100 * m['test_error_initial']:.1f} % -> {100 * m['test_error_erbp']:.1f} %"
             f" test error after {len(tr['test_error_erbp']) - 1} epochs"]
    if perbp is not None:
        lines.append(f"peRBP: {100 * perbp.metrics['test_error_erbp']:.1f} %")
    lines += [f"NumPy FA: {100 * m['test_error_fa']:.1f} %, backprop: "
              f"{100 * m['test_error_bp']:.1f} % ({len(tr['test_error_fa']) - 1} epochs)",
              f"hidden rate {m['rate_hidden_hz']:.1f} Hz"]
    return lines
