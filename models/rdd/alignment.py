"""The rdd-alignment experiment: how well spikes alone reveal the forward weights.

Guerguiev, Kording & Richards (ICLR 2020); Ahmad et al. (2020); Akrout et al. (2019). Random
forward weights are drawn, the spiking network of ``network.py`` runs its feedback phase with
the chosen rules estimating W^T on every pair of layers, and each estimate (and a fixed random
matrix, FA) is compared with W^T: angle, sign agreement and Pearson r, over time and at the
end. Phases:

1. :func:`draw_weights`: the forward weights and the FA matrices, from the seed (NumPy);
2. :func:`infer`: the spiking feedback phase (Brian2) with every chosen rule;
3. :func:`measure`: rates, and the alignment of every estimate with W^T.
"""

from __future__ import annotations

import numpy as np
from brian2 import second

from analysis.alignment import alignment_course
from analysis.io import RunResult
from analysis.spikes import firing_rates
from models.rdd.network import forward_weights, rdd_feedback, simulate_feedback

NAME = "rdd-alignment"

#: metrics of the one-line summary
SUMMARY = ("rdd_angle_deg", "rdd_sign_agreement", "rdd_pearson_r", "stdwi_pearson_r",
           "mirror_pearson_r", "fa_angle_deg")

#: what is measured of each estimate against W^T
ALIGNMENT = ("angle_deg", "sign_agreement", "pearson_r")


def draw_weights(p):
    """Forward weights W_l as the network's authors draw them, and the FA matrices (random
    normal, the shape of W_l^T): a stream of their own, apart from the simulation's."""
    rng = np.random.default_rng([p.seed, 1])
    weights = forward_weights(rng, p.layer_sizes, p.network)
    feedback_fa = [rng.standard_normal(w.T.shape) for w in weights]
    return weights, feedback_fa


def infer(p, weights):
    """The spiking feedback phase with the chosen rules; :func:`simulate_feedback`'s dict."""
    return simulate_feedback(weights=weights, duration=p.duration, seed=p.seed,
                             rules_used=p.rule_names, snapshot_interval=p.snapshot_interval,
                             **p.feedback_keywords())


def estimate_series(rule, l, out, feedback_fa):
    """The feedback matrices of ``rule`` on layer pair ``l`` over time, T (n_l, n_{l+1})
    matrices: the recorded time course, whose last entry is the final state, or the final
    state alone. RDD's estimates become feedback as the authors' code makes them
    (:func:`rdd_feedback`), one at a time (an iterator: the largest series hold gigabytes)."""
    snapshots = out.get("snapshots", {})
    if rule == "fa":
        return [feedback_fa[l]]
    if rule == "rdd":
        betas = snapshots.get(f"rdd{l}", [out["final"][f"rdd{l}_beta"]])
        return (rdd_feedback(b, feedback_fa[l]) for b in betas)
    return snapshots.get(f"{rule}{l}", [out["final"][f"{rule}{l}"]])


def _keep_last(series, kept):
    """The items of ``series``, the last one left in ``kept[0]`` and the count in kept[1]."""
    kept[:] = [None, 0]
    for item in series:
        kept[:] = [item, kept[1] + 1]
        yield item


def record_spikes(out, duration_s, result):
    """Every layer's spikes and mean rate."""
    for l, (n, (spike_i, spike_t)) in enumerate(zip(out["sizes"], out["spikes"])):
        result.spikes[f"layer{l}"] = (spike_i, spike_t)
        rates = firing_rates(spike_i, spike_t, n, 0.0, duration_s)
        result.metrics[f"rate_layer{l}_hz"] = float(rates.mean())


def measure(p, out, weights, feedback_fa, result):
    """Alignment of every rule's estimate (and of FA) with W^T: the time courses (traces),
    the final estimates (weights), and the metrics, per layer pair where there are several
    and as means over the pairs."""
    record_spikes(out, float(p.duration / second), result)
    rules = (*p.rule_names, "fa")
    if "snapshot_t" in out:
        result.traces["snapshot_t"] = out["snapshot_t"]
    per_rule = {r: {key: [] for key in ALIGNMENT} for r in rules}
    for l, w in enumerate(weights):
        result.weights[f"W{l}"] = w
        for rule in ("fa", *p.rule_names):
            kept = []
            course = alignment_course(_keep_last(estimate_series(rule, l, out, feedback_fa),
                                                 kept), w)
            result.weights[f"{rule}{l}"], length = kept
            for key, values in course.items():
                per_rule[rule][key].append(float(values[-1]))
                if len(weights) > 1:
                    result.metrics[f"{rule}_{key}_layer{l}"] = float(values[-1])
                if rule != "fa" and length > 1:
                    result.traces[f"{rule}{l}_{key}"] = values
    for rule, keys in per_rule.items():
        for key, values in keys.items():
            result.metrics[f"{rule}_{key}"] = float(np.mean(values))


def run(p):
    """Infer random forward weights with RDD, STDWI and the weight mirror; FA as baseline
    (``p``: :class:`models.rdd.AlignmentParams`; a preset parameter left at none takes the
    network's value, and the result records the values used)."""
    p = p.resolved()
    result = RunResult(model=NAME, params=p.to_json())
    weights, feedback_fa = draw_weights(p)
    out = infer(p, weights)
    result.timings.update(out["timings"])
    if not p.build_only:
        measure(p, out, weights, feedback_fa, result)
        result.metrics.update({k: float(v) for k, v in out["timings"].items()})
        result.metrics["n_spikes"] = int(sum(i.size for i, _ in out["spikes"]))
    else:
        result.metrics.update(out["timings"])
    return result
