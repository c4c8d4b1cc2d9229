"""How the science and the cost scale: balanced-coding to N = 100,000, RDD to 25 M synapses.

Top row, balanced-coding with frozen optimal weights and the low-rank recurrence
(``recurrence=lowrank``), N = 20 ... 100,000 on half-decade steps, the same input for every N
(``input_seed``): coding error of the network's own read-out F r (and of the fitted decoder
where it is fitted), mean and largest rate, median ISI CV and spikes per step, and loop wall
time per simulated second per target with the fitted log-log slope. Bottom row, rdd-alignment
(RDD rule, the authors' network) from 64 -> 32 to 10,000 -> 2,500 after 10 s: angle and sign
agreement with W^T against the downstream neurons' fan-in, with the authors' code rerun
(research notes) as open markers; loop wall time per simulated second and peak memory against
the synapse count per target, with slopes. The study is two sweeps of the suite per target
(docs/speed.md, "Scaling"); the figure draws their run directories (``--from``).
"""

import matplotlib.pyplot as plt
import numpy as np

from analysis.scaling import loglog_slope
from figures import Run

DESCRIPTION = "scaling: balanced-coding to N = 100,000, RDD to 10,000 -> 2,500"

#: network sizes of the balanced-coding study (half decades) and layer sizes of the RDD study
BALANCED_N = (20, 63, 200, 632, 2000, 6325, 20000, 63246, 100000)
RDD_SIZES = ("64,32", "256,64", "1000,250", "2500,625", "5000,1250", "10000,2500")
#: the largest sizes each target runs (runtime holds everything in Python and is slower)
LARGEST = {"cpp": (100000, 10000), "runtime": (100000, 2500)}

BALANCED = {"learn": "0", "recurrence": "lowrank", "input_seed": "1"}
BALANCED_FULL = {"decoder_duration": "10s", "test_duration": "10s", "test_trials": "1"}
BALANCED_QUICK = {"decoder_duration": "1s", "test_duration": "1s", "test_trials": "1"}
RDD = {"rules": "rdd"}
RDD_FULL = {"duration": "10s"}
RDD_QUICK = {"duration": "1s", "snapshot_interval": "0s"}


def _runs():
    """Every (target, size) point: ``settings`` name the point (``--from`` matches them),
    ``full`` and ``quick`` only set how long it runs."""
    runs = []
    for target, (n_max, rdd_max) in LARGEST.items():
        for n in (n for n in BALANCED_N if n <= n_max):
            runs.append(Run(f"balanced-{target}-N{n}", "balanced-coding",
                            settings=dict(BALANCED, N=str(n)), full=BALANCED_FULL,
                            quick=dict(BALANCED, **BALANCED_QUICK, N=str(n)),
                            prefix=f"balanced_{target}_N{n}_", device=target))
        for sizes in (s for s in RDD_SIZES if int(s.split(",")[0]) <= rdd_max):
            tag = sizes.replace(",", "x")
            runs.append(Run(f"rdd-{target}-{tag}", "rdd-alignment",
                            settings=dict(RDD, sizes=sizes), full=RDD_FULL,
                            quick=dict(RDD, **RDD_QUICK, sizes=sizes),
                            prefix=f"rdd_{target}_{tag}_", device=target))
    return tuple(runs)


RUNS = _runs()

#: the authors' NumPy code after 10 s, rerun on a 2-core CPU (shared/research/rdd.md):
#: downstream fan-in -> (angle in degrees, sign agreement)
REFERENCE_10S = {32: (43, 0.80), 64: (45, 0.80), 256: (60, 0.69), 784: (72, 0.61),
                 1600: (77, 0.58)}

TARGET_STYLE = {"cpp": dict(color="tab:blue", marker="o"),
                "runtime": dict(color="tab:orange", marker="s"),
                "cuda": dict(color="tab:green", marker="^")}

#: sizes from which the slopes are fitted (below them fixed per-step costs dominate)
SLOPE_FROM = {"balanced": 2000, "rdd": 250_000}


def _number(result, key):
    value = result.metrics.get(key)
    return np.nan if value is None else float(value)


def balanced_rows(results):
    """One dict per balanced-coding run: target, N and the numbers the figure draws."""
    rows = []
    for result in results.values():
        if result.model != "balanced-coding":
            continue
        m = result.metrics
        rows.append(dict(
            target=result.params["device"], n=int(result.params["n_neurons"]),
            error_readout=_number(result, "coding_error_readout_final"),
            error_fitted=_number(result, "coding_error_final"),
            rate=_number(result, "rate_final_hz"), rate_max=_number(result, "rate_max_final_hz"),
            cv=_number(result, "cv_isi_median"),
            spikes_per_step=_number(result, "spikes_per_step_final"),
            wall_per_s=_number(result, "evaluate_loop_s") / m["evaluate_simulated_s"],
            cpu_per_s=_number(result, "evaluate_sim_cpu_s") / m["evaluate_simulated_s"],
            peak_mb=_number(result, "evaluate_sim_peak_memory_mb"
                            if "evaluate_sim_peak_memory_mb" in m else "peak_memory_mb"),
            process_peak_mb=_number(result, "peak_memory_mb")))
    return sorted(rows, key=lambda r: (r["target"], r["n"]))


def rdd_rows(results):
    """One dict per rdd-alignment run: target, sizes, synapses and the numbers drawn."""
    rows = []
    for result in results.values():
        if result.model != "rdd-alignment":
            continue
        sizes = [int(s) for s in str(result.params["sizes"]).split(",")]
        simulated = float(str(result.params["duration"]).split()[0])
        synapses = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        rows.append(dict(
            target=result.params["device"], sizes=sizes, fan_in=sizes[0], synapses=synapses,
            angle=_number(result, "rdd_angle_deg"), sign=_number(result, "rdd_sign_agreement"),
            simulated_s=simulated, wall_per_s=_number(result, "loop_s") / simulated,
            cpu_per_s=_number(result, "sim_cpu_s") / simulated,
            peak_mb=_number(result, "sim_peak_memory_mb" if "sim_peak_memory_mb" in result.metrics
                            else "peak_memory_mb"),
            process_peak_mb=_number(result, "peak_memory_mb")))
    return sorted(rows, key=lambda r: (r["target"], r["synapses"]))


def slopes(results):
    """{'balanced_TARGET': slope of the loop's wall time per simulated second against N,
    'rdd_TARGET': against the synapse count, and '..._cpu' of the simulation's CPU time
    (C++)}, fitted from SLOPE_FROM on."""
    out = {}
    for name, rows, size in (("balanced", balanced_rows(results), "n"),
                             ("rdd", rdd_rows(results), "synapses")):
        for target in sorted({r["target"] for r in rows}):
            sel = [r for r in rows if r["target"] == target]
            for cost, suffix in (("wall_per_s", ""), ("cpu_per_s", "_cpu")):
                slope = loglog_slope([r[size] for r in sel], [r[cost] for r in sel],
                                     min_size=SLOPE_FROM[name])
                if np.isfinite(slope):
                    out[f"{name}_{target}{suffix}"] = slope
    return out


def _by_target(rows):
    for target in sorted({r["target"] for r in rows}):
        yield target, [r for r in rows if r["target"] == target], TARGET_STYLE.get(
            target, dict(color="k", marker="x"))


def _cost(ax, rows, size, slope_from, xlabel):
    for target, sel, style in _by_target(rows):
        x = np.array([r[size] for r in sel], float)
        y = np.array([r["wall_per_s"] for r in sel])
        ax.loglog(x, y, label=f"{target} loop wall (slope "
                  f"{loglog_slope(x, y, min_size=slope_from):.2f})", **style)
        cpu = np.array([r["cpu_per_s"] for r in sel])
        if np.isfinite(cpu).any():
            ax.loglog(x, cpu, ls="--", mfc="none", color=style["color"],
                      marker=style["marker"], label=f"{target} simulation CPU (slope "
                      f"{loglog_slope(x, cpu, min_size=slope_from):.2f})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("s per simulated s")
    ax.legend(frameon=False, fontsize=7)


def draw(results, title=""):
    brows, rrows = balanced_rows(results), rdd_rows(results)
    fig, axes = plt.subplots(2, 4, figsize=(17, 7.5))
    a = axes[0]
    for target, sel, style in _by_target(brows):
        n = [r["n"] for r in sel]
        a[0].loglog(n, [r["error_readout"] for r in sel], label=f"read-out F r ({target})",
                    **style)
        fitted = [(r["n"], r["error_fitted"]) for r in sel if np.isfinite(r["error_fitted"])]
        if fitted:
            a[0].loglog(*zip(*fitted), ls=":", mfc="none", color=style["color"],
                        marker=style["marker"], label=f"fitted decoder ({target})")
        a[1].loglog(n, [r["rate"] for r in sel], label=f"mean ({target})", **style)
        a[1].loglog(n, [r["rate_max"] for r in sel], ls="--", mfc="none",
                    color=style["color"], marker=style["marker"], label=f"largest ({target})")
        a[2].semilogx(n, [r["cv"] for r in sel], label=f"median ISI CV ({target})", **style)
        a[2].semilogx(n, [r["spikes_per_step"] for r in sel], ls="--", mfc="none",
                      color=style["color"], marker=style["marker"],
                      label=f"spikes per step ({target})")
    a[0].set_ylabel("coding error (test)")
    a[1].set_ylabel("rate (Hz)")
    a[2].set_ylabel("ISI CV; spikes per step")
    for ax in a[:3]:
        ax.set_xlabel("N")
        ax.legend(frameon=False, fontsize=7)
    a[0].set_title("balanced-coding, optimal weights, low rank", fontsize=9)
    _cost(a[3], brows, "n", SLOPE_FROM["balanced"], "N")
    a[3].set_title(f"cost (slopes fitted from N = {SLOPE_FROM['balanced']:,})", fontsize=9)

    b = axes[1]
    for target, sel, style in _by_target(rrows):
        fan_in = [r["fan_in"] for r in sel]
        b[0].semilogx(fan_in, [r["angle"] for r in sel], label=f"suite ({target})", **style)
        b[1].semilogx(fan_in, [r["sign"] for r in sel], label=f"suite ({target})", **style)
        b[3].loglog([r["synapses"] for r in sel], [r["peak_mb"] for r in sel],
                    label=f"simulation ({target})", **style)
        b[3].loglog([r["synapses"] for r in sel], [r["process_peak_mb"] for r in sel],
                    ls="--", mfc="none", color=style["color"], marker=style["marker"],
                    label=f"whole run ({target})")
    ref = sorted(REFERENCE_10S.items())
    for ax, k in ((b[0], 0), (b[1], 1)):
        ax.semilogx([f for f, _ in ref], [v[k] for _, v in ref], "o", mfc="none",
                    color="k", label="authors' code (rerun)")
        ax.set_xlabel("downstream fan-in (upstream layer size)")
        ax.legend(frameon=False, fontsize=7)
    b[0].axhline(90, color="0.7", lw=0.8)
    b[0].set_ylabel("angle to W^T after 10 s (deg)")
    b[1].set_ylabel("sign agreement after 10 s")
    b[0].set_title("rdd-alignment, RDD rule", fontsize=9)
    _cost(b[2], rrows, "synapses", SLOPE_FROM["rdd"], "synapses")
    b[2].set_title(f"cost (slopes fitted from {SLOPE_FROM['rdd']:,} synapses)", fontsize=9)
    b[3].set_xlabel("synapses")
    b[3].set_ylabel("peak resident memory (MB)")
    b[3].legend(frameon=False, fontsize=7)
    fig.suptitle(title or "scaling", fontsize=10)
    fig.tight_layout()
    return fig
