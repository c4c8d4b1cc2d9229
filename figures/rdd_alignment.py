"""Weight inference on the RDD network (Guerguiev et al. 2020 Fig 3-like; Ahmad et al. 2020).

For each network: alignment of the inferred feedback with W^T against simulated time, for RDD,
STDWI, the weight mirror and fixed random feedback (FA), with the numbers the authors' public
code reached (research notes) as open markers; and the final RDD estimates against W^T.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from analysis.io import write_json
from figures.common import save_figure
from models.cli import run_model

NAME = "rdd-alignment"

#: (label, settings, duration, quick duration)
NETWORKS = (
    ("64 -> 32", ["sizes=64,32"], "60s", "10s"),
    ("256 -> 128", ["sizes=256,128"], "60s", "5s"),
    ("100 -> 10 (Ahmad et al.)", ["network=ahmad"], "200s", "10s"),
)

#: the authors' NumPy code, rerun on a 2-core CPU (shared/research/rdd.md): t -> value
REFERENCE = {
    "64 -> 32": {"angle_deg": {10: 45, 30: 32, 60: 27.5},
                 "sign_agreement": {10: 0.80, 30: 0.88, 60: 0.92}},
    "256 -> 128": {"angle_deg": {10: 60, 30: 45, 60: 36},
                   "sign_agreement": {10: 0.69, 30: 0.78, 60: 0.84}},
    "100 -> 10 (Ahmad et al.)": {  # Ahmad et al.'s code, seed 1: sign agreement / Pearson r
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


def make(out_dir, quick=False, device="cpp", seed=1):
    out_dir = Path(out_dir) / NAME
    results = []
    for label, settings, duration, quick_duration in NETWORKS:
        result = run_model("rdd-alignment", device=device, seed=seed,
                           duration=quick_duration if quick else duration, settings=settings)
        result.write(out_dir / f"run-{settings[0].replace('=', '-').replace(',', 'x')}")
        results.append((label, result))
    png = draw(results, out_dir / f"{NAME}.png",
               f"weight inference, seed {seed} ({device}{', quick' if quick else ''})")
    metrics = {}
    for (label, settings, _, _), (_, result) in zip(NETWORKS, results):
        key = settings[0].split("=")[1].replace(",", "x")
        metrics.update({f"{key}_{k}": v for k, v in result.metrics.items()})
    write_json(out_dir / "metrics.json", metrics)
    return [png, out_dir / "metrics.json"]


def draw(results, out, title=""):
    fig, axes = plt.subplots(len(results), 3, figsize=(14, 3.6 * len(results)), squeeze=False)
    for row, (label, result) in zip(axes, results):
        tr, m = result.traces, result.metrics
        t = tr["snapshot_t"]
        ref = REFERENCE.get(label, {})
        first = "angle_deg" if "angle_deg" in ref else "pearson_r"
        for ax, key in zip(row[:2], (first, "sign_agreement")):
            for rule in ("rdd", "stdwi", "mirror"):
                if f"{rule}0_{key}" in tr:
                    ax.plot(t, tr[f"{rule}0_{key}"], color=COLORS[rule], label=LABELS[rule])
                    ref_rule = ref.get(key, {}).get(rule) if key in ref else None
                    if isinstance(ref_rule, dict):
                        ax.plot(list(ref_rule), list(ref_rule.values()), "o", mfc="none",
                                color=COLORS[rule])
            ax.axhline(m[f"fa_{key}"], color=COLORS["fa"], ls="--", label="FA")
            flat = ref.get(key, {})
            if flat and not isinstance(next(iter(flat.values())), dict):
                ax.plot(list(flat), list(flat.values()), "o", mfc="none", color=COLORS["rdd"],
                        label="RDD, authors' code")
            ax.set_xlabel("simulated time (s)")
            ax.set_ylabel({"angle_deg": "angle Y vs W^T (deg)", "pearson_r": "Pearson r",
                           "sign_agreement": "sign agreement"}[key])
            ax.set_title(label)
        row[0].legend(fontsize=8, loc="best")
        y, w = result.weights["rdd0"], result.weights["W0"]
        row[2].plot(w.T.ravel(), y.ravel(), ".", ms=1.5, alpha=0.4, color=COLORS["rdd"])
        row[2].set_xlabel("W^T entry")
        row[2].set_ylabel("RDD feedback Y entry")
        row[2].set_title(f"RDD: {m['rdd_angle_deg']:.1f} deg, sign {m['rdd_sign_agreement']:.3f}"
                         f", r {m['rdd_pearson_r']:.3f}", fontsize=9)
    fig.suptitle(title + "\nlines: this suite; open circles: the authors' code")
    fig.tight_layout()
    return save_figure(fig, out)
