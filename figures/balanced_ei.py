"""Balanced E/I network with Dale's law (Brendel et al. 2020, Fig 4).

Coding error and rates of E and I over learning; ISI CV and Fano factor distributions of the
constant-input protocol before and after learning; each E neuron's mean excitatory against
inhibitory input under the time-varying test input; the filtered E and I input of one E
neuron after learning (as Fig 4C); tuning curves; rasters of both populations.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from figures import Run, plotting

DESCRIPTION = ("E/I network with Dale's law: learning, Poisson-like statistics, balance "
               "(Brendel et al. 2020 Fig 4)")
RUNS = (Run("", "balanced-ei"),)
E_COLOR, I_COLOR = "tab:green", "tab:orange"


def draw(results, title=""):
    """The figure of one balanced-ei run (``results[""]``); returns the Figure."""
    result = results[""]
    traces, m = result.traces, result.metrics
    fig = plt.figure(figsize=(13, 11))
    grid = fig.add_gridspec(4, 4, hspace=0.6, wspace=0.45, top=0.93)
    for col, (key, label) in enumerate((("coding_error", "coding error"),
                                        ("rate", "mean rate (Hz)"))):
        _learning_curve(fig.add_subplot(grid[0, 2 * col:2 * col + 2]), traces, key, label)
    for col, (key, label) in enumerate((("cv_isi", "ISI CV"), ("fano", "Fano factor"))):
        _histograms(fig.add_subplot(grid[1, col]), traces, key, label)
    for col, tag in ((2, "initial"), (3, "final")):
        if f"excitatory_mean_{tag}" in traces:
            _mean_currents(fig.add_subplot(grid[1, col]), traces, m, tag)
    _tuning(fig.add_subplot(grid[2, 0:2]), traces)
    _example_currents(fig.add_subplot(grid[2, 2:4]), traces)
    for col, tag in ((0, "initial"), (2, "final")):
        ax = fig.add_subplot(grid[3, col:col + 2])
        if f"exc_{tag}" in result.spikes:
            _raster(ax, result.spikes, traces["tuning_final"].shape[0], tag)
    fig.suptitle(title + f": {m['learning_time_s']:g} s of learning", y=0.98)
    return fig


def _learning_curve(ax, traces, key, label):
    """E and I over learning on log axes; dotted: before learning."""
    t = traces["checkpoint_time"]
    suffix = "_hz" if key == "rate" else ""
    for pop, color in (("e", E_COLOR), ("i", I_COLOR)):
        values = traces[f"{key}_{pop}{suffix}"]
        ax.plot(t[t > 0], values[t > 0], "o-", color=color, ms=3, label=pop.upper())
        ax.axhline(values[0], color=color, ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # minor labels crowd a short log range
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("learning time (s)")
    ax.set_ylabel(label)
    ax.legend(frameon=False, fontsize=8, title="dotted: before", title_fontsize=7)


def _histograms(ax, traces, key, label):
    """Distribution over (neuron, direction) of the protocol, before and after learning."""
    for tag, color in (("initial", "0.6"), ("final", "k")):
        values = traces.get(f"{key}_{tag}")
        if values is None:
            continue
        values = np.ravel(values)
        values = values[np.isfinite(values)]
        if values.size:
            ax.hist(values, bins=30, range=(0, 2), histtype="step", color=color,
                    label="before" if tag == "initial" else "after")
    ax.axvline(1, color="r", ls="--", lw=0.8)
    ax.set_xlabel(f"{label} (neuron, direction)")
    ax.legend(frameon=False, fontsize=8)


def _mean_currents(ax, traces, m, tag):
    """Each E neuron's mean excitatory against inhibitory input (time-varying input)."""
    suffix = "" if tag == "final" else "_initial"
    plotting.scatter_identity(ax, traces[f"excitatory_mean_{tag}"],
                              -traces[f"inhibitory_mean_{tag}"],
                              xlabel="mean E input (1/s)", ylabel="mean -I input (1/s)",
                              color="0.5" if tag == "initial" else "k")
    ax.set_title(f"{'before' if tag == 'initial' else 'after'}: E-I corr. "
                 f"{m['balance_correlation_median' + suffix]:.2f}\n(constant input: "
                 f"{m.get('balance_correlation_protocol_median' + suffix, np.nan):.2f})",
                 fontsize=9)


def _tuning(ax, traces):
    """Rate against F_k . direction of the six most active E neurons after learning."""
    tuning, proj = traces["tuning_final"], traces["projection"]  # (n_e, dirs), (dirs, n_e)
    for n in np.argsort(tuning.mean(axis=1))[-6:]:
        order = np.argsort(proj[:, n])
        ax.plot(proj[order, n], tuning[n, order], "o-", ms=3)
    ax.set_xlabel("F$_k$ · input direction")
    ax.set_ylabel("rate (Hz)")
    ax.set_title("tuning of the six most active E neurons after learning", fontsize=9)


def _example_currents(ax, traces):
    """The filtered E and I input of one E neuron after learning (as Fig 4C)."""
    if "excitatory_example_final" in traces:
        exc, inh = traces["excitatory_example_final"], -traces["inhibitory_example_final"]
        time_ms = np.arange(len(exc))  # 1-ms bins
        ax.plot(time_ms, exc, color=E_COLOR, lw=1, label="excitatory")
        ax.plot(time_ms, inh, color="tab:blue", lw=1, label="inhibitory (sign flipped)")
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel("time in a test trial (ms)")
    ax.set_ylabel("input (1/s)")
    ax.set_title("one E neuron after learning, time-varying test input (low-pass filtered)",
                 fontsize=9)


def _raster(ax, spikes, n_e, tag):
    """The first second of the constant-input trials: E (green) below I (orange)."""
    i_e, t_e = spikes[f"exc_{tag}"]
    i_i, t_i = spikes[f"inh_{tag}"]
    plotting.raster(ax, i_e, t_e, start=0, stop=1.0, color=E_COLOR, markersize=1)
    plotting.raster(ax, i_i + n_e, t_i, start=0, stop=1.0, color=I_COLOR, markersize=1)
    ax.set_title(f"constant input, {'before' if tag == 'initial' else 'after'} learning "
                 "(E green, I orange)", fontsize=9)
    ax.set_xlabel("time (s)")
