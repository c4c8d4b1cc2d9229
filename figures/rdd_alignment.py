"""Weight inference on the RDD network (Guerguiev et al. 2020 Fig 3-like; Ahmad et al. 2020).

For each network: alignment of the inferred feedback with W^T against simulated time, for RDD,
STDWI, the weight mirror and fixed random feedback (FA), with the numbers the authors' public
code reached (research notes) as open markers; and the final RDD estimates against W^T.
"""

import matplotlib.pyplot as plt

from figures import Run

DESCRIPTION = "weight inference: RDD, STDWI, weight mirror, FA (Guerguiev et al. 2020)"
RUNS = (
    Run("sizes-64x32", "rdd-alignment", settings={"sizes": "64,32"},
        full={"duration": "60s"}, quick={"duration": "10s"}, prefix="64x32_"),
    Run("sizes-256x128", "rdd-alignment", settings={"sizes": "256,128"},
        full={"duration": "60s"}, quick={"duration": "5s"}, prefix="256x128_"),
    Run("network-ahmad", "rdd-alignment", settings={"network": "ahmad"},
        full={"duration": "200s"}, quick={"duration": "10s"}, prefix="ahmad_"),
)

#: the row title of each run
TITLES = {"sizes-64x32": "64 -> 32", "sizes-256x128": "256 -> 128",
          "network-ahmad": "100 -> 10 (Ahmad et al.)"}

#: the authors' NumPy code, rerun on a 2-core CPU (shared/research/rdd.md): t -> value
REFERENCE = {
    "sizes-64x32": {"angle_deg": {10: 45, 30: 32, 60: 27.5},
                    "sign_agreement": {10: 0.80, 30: 0.88, 60: 0.92}},
    "sizes-256x128": {"angle_deg": {10: 60, 30: 45, 60: 36},
                      "sign_agreement": {10: 0.69, 30: 0.78, 60: 0.84}},
    "network-ahmad": {  # Ahmad et al.'s code, seed 1: sign agreement / Pearson r per rule
        "pearson_r": {"stdwi": {10: .74, 50: .93, 100: .97, 200: .98},
                      "mirror": {10: .67, 50: .89, 100: .94, 200: .97},
                      "rdd": {10: .03, 50: .30, 100: .55, 200: .80}},
        "sign_agreement": {"stdwi": {10: .79, 50: .90, 100: .93, 200: .94},
                           "mirror": {10: .69, 50: .80, 100: .82, 200: .83},
                           "rdd": {10: .49, 50: .57, 100: .67, 200: .80}},
    },
}

COLORS = {"rdd": "tab:red", "stdwi": "tab:blue", "mirror": "tab:green", "fa": "0.5"}
LABELS = {"rdd": "RDD", "stdwi": "STDWI", "mirror": "weight mirror", "fa": "FA"}
YLABELS = {"angle_deg": "angle Y vs W^T (deg)", "pearson_r": "Pearson r",
           "sign_agreement": "sign agreement"}


def draw(results, title=""):
    """One row per run: the first alignment measure and the sign agreement over time, and
    the final RDD estimates against W^T. Returns the Figure."""
    labels = [run.label for run in RUNS if run.label in results]
    fig, axes = plt.subplots(len(labels), 3, figsize=(14, 3.6 * len(labels)), squeeze=False)
    for row, label in zip(axes, labels):
        result, ref = results[label], REFERENCE.get(label, {})
        first = "angle_deg" if "angle_deg" in ref else "pearson_r"
        for ax, key in zip(row[:2], (first, "sign_agreement")):
            time_course(ax, result, key, ref.get(key, {}))
            ax.set_title(TITLES.get(label, label))
        row[0].legend(fontsize=8, loc="best")
        final_estimates(row[2], result)
    fig.suptitle(title + "\nlines: this suite; open circles: the authors' code")
    fig.tight_layout()
    return fig


def time_course(ax, result, key, ref):
    """``key`` of every rule's estimate of W_0^T over simulated time, FA dashed, and the
    authors' numbers (``ref``: t -> value, or rule -> {t -> value}) as open circles."""
    tr, m = result.traces, result.metrics
    t = tr["snapshot_t"]
    per_rule = bool(ref) and isinstance(next(iter(ref.values())), dict)
    for rule in ("rdd", "stdwi", "mirror"):
        if f"{rule}0_{key}" in tr:
            ax.plot(t, tr[f"{rule}0_{key}"], color=COLORS[rule], label=LABELS[rule])
            if per_rule and rule in ref:
                ax.plot(list(ref[rule]), list(ref[rule].values()), "o", mfc="none",
                        color=COLORS[rule])
    ax.axhline(m[f"fa_{key}"], color=COLORS["fa"], ls="--", label="FA")
    if ref and not per_rule:
        ax.plot(list(ref), list(ref.values()), "o", mfc="none", color=COLORS["rdd"],
                label="RDD, authors' code")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(YLABELS[key])


def final_estimates(ax, result):
    """The final RDD feedback against W^T, entry by entry."""
    m = result.metrics
    y, w = result.weights["rdd0"], result.weights["W0"]
    ax.plot(w.T.ravel(), y.ravel(), ".", ms=1.5, alpha=0.4, color=COLORS["rdd"])
    ax.set_xlabel("W^T entry")
    ax.set_ylabel("RDD feedback Y entry")
    ax.set_title(f"RDD: {m['rdd_angle_deg']:.1f} deg, sign {m['rdd_sign_agreement']:.3f}"
                 f", r {m['rdd_pearson_r']:.3f}", fontsize=9)
