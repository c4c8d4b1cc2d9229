"""What the balanced-ei experiment measures from spikes: coding errors, the statistics of the
constant-input protocol, and the E/I balance of the E neurons' input currents.

Arrays in, numbers out (``analysis`` does the general work); the functions that write metrics
and traces take the run's :class:`analysis.io.RunResult`.
"""

import numpy as np

from analysis.balance import balance_correlation, net_to_excitatory_ratio, signed_input_currents
from analysis.decoding import (coding_error, filtered_rates, fit_decoder, leaky_filter,
                               spike_matrix)
from analysis.spikes import finite_median, interval_cv


def represented_signal(input_values, dt, lam_hz):
    """The signal the network represents: the leaky integral of the input, one step behind."""
    return np.vstack([np.zeros((1, input_values.shape[1])),
                      leaky_filter(dt * input_values, dt, lam_hz)[:-1]])


def coding_errors(result, x, decoder_steps, dt, lam_hz, n_e, n_i, skip):
    """Decoders fitted on the first ``decoder_steps`` steps, errors on the rest (E and I).

    ``result`` is what :func:`models.balanced_ei.network.simulate` returns; ``x`` (steps,
    inputs) is the signal to decode (:func:`represented_signal` of the input); the first
    ``skip`` steps after the decoder part are left out. Returns {'exc', 'inh': error,
    'exc_rate', 'inh_rate': mean rate in Hz over the error part}.
    """
    n_steps = len(x)
    out = {}
    for pop, n in (("exc", n_e), ("inh", n_i)):
        i, t = result["spikes"][pop]
        r = filtered_rates(i, t, n, 0.0, n_steps, dt, lam_hz)
        decoder = fit_decoder(r[:decoder_steps], x[:decoder_steps])
        test = slice(decoder_steps + skip, n_steps)
        out[pop] = coding_error(x[test], r[test] @ decoder)
        test_s = (n_steps - decoder_steps) * dt
        keep = t >= decoder_steps * dt
        out[f"{pop}_rate"] = len(i[keep]) / (n * test_s)
    return out


def trial_statistics(result, n_e, n_directions, n_trials, trial_s):
    """Spike counts (n_e, directions, trials), pooled-ISI CV and Fano per (neuron, direction).

    The Fano factor uses the sample variance over trials, as the official code (MATLAB's var),
    and only (neuron, direction) pairs with more than one spike per trial on average; that is
    why it is not ``analysis.spikes.fano_factor`` (population variance, as Elephant).
    """
    i, t = result["spikes"]["exc"]
    trial = np.minimum((t // trial_s).astype(int), n_directions * n_trials - 1)
    counts = np.zeros((n_e, n_directions * n_trials))
    np.add.at(counts, (i, trial), 1)
    counts = counts.reshape(n_e, n_directions, n_trials)
    cv = np.full((n_e, n_directions), np.nan)
    order = np.lexsort((t, i))  # by neuron, then time
    i_sorted, t_sorted, trial_sorted = i[order], t[order], trial[order]
    same = (np.diff(i_sorted) == 0) & (np.diff(trial_sorted) == 0)
    isi = np.diff(t_sorted)[same]
    pair = i_sorted[1:][same] * n_directions + trial_sorted[1:][same] // n_trials
    # the intervals of each (neuron, direction), in the order of isi (a stable sort)
    by_pair = np.argsort(pair, kind="stable")
    pairs, starts = np.unique(pair[by_pair], return_index=True)
    for key, intervals in zip(pairs, np.split(isi[by_pair], starts[1:])):
        cv[key // n_directions, key % n_directions] = interval_cv(intervals)
    mean = counts.mean(axis=2)
    if n_trials < 2:  # a Fano factor needs repeated trials
        return counts, cv, np.full(mean.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        fano = np.where(mean > 1, counts.var(axis=2, ddof=1) / mean, np.nan)
    return counts, cv, fano


def official_mean(values, counts):
    """The statistic of the official FanoCV.m: per direction the mean over the neurons with
    more than one spike per trial on average, then the mean over directions (NaN if none).

    ``values`` (n_e, directions), ``counts`` (n_e, directions, trials).
    """
    active = counts.mean(axis=2) > 1
    per_direction = []
    for d in range(values.shape[1]):
        v = values[active[:, d], d]
        v = v[np.isfinite(v)]
        if v.size:
            per_direction.append(v.mean())
    return float(np.mean(per_direction)) if per_direction else float("nan")


def e_input_currents(spikes, weights, stimulus, t_start, dt, bin_s=1e-3):
    """Excitatory and inhibitory input of every E neuron, in bins of ``bin_s`` (T, N_E) each.

    ``stimulus`` (steps, inputs) is the input from ``t_start`` (s) on, one row per time step
    of ``dt``. The inputs of an E neuron: F^T I, W_EE without the autapse (it is the reset),
    and W_IE (``analysis.balance.signed_input_currents`` splits them by sign).
    """
    per_bin = int(round(bin_s / dt))
    n_bins = len(stimulus) // per_bin
    o_e, o_i = (spike_matrix(*spikes[pop], weights[w].shape[0], t_start, len(stimulus), dt,
                             steps_per_bin=per_bin)
                for pop, w in (("exc", "w_ee"), ("inh", "w_ii")))
    inputs = stimulus[: n_bins * per_bin].reshape(n_bins, per_bin, -1).mean(axis=1)
    w_ee = weights["w_ee"] - np.diag(np.diag(weights["w_ee"]))
    weight = np.hstack([weights["f"].T, w_ee, weights["w_ie"]])
    return signed_input_currents(weight, np.hstack([inputs, o_e / bin_s, o_i / bin_s]))


def balance_metrics(result, exc, inh, tau, tag, kind, bin_s=1e-3):
    """Median E-I correlation and net / E ratio of (T, N_E) currents; traces for the figure.

    ``tag`` is 'initial' or 'final', ``kind`` '' (time-varying input) or '_protocol'.
    """
    suffix = "" if tag == "final" else "_initial"
    corr = balance_correlation(exc, inh, bin_s, tau)
    m = result.metrics
    m[f"balance_correlation{kind}_median{suffix}"] = finite_median(corr)
    m[f"net_to_excitatory{kind}_median{suffix}"] = finite_median(
        net_to_excitatory_ratio(exc, inh))
    result.traces.update({f"balance_correlation{kind}_{tag}": corr,
                          f"excitatory_mean{kind}_{tag}": exc.mean(axis=0),
                          f"inhibitory_mean{kind}_{tag}": inh.mean(axis=0)})
    if not kind:  # one second of the filtered currents of the E neuron with the most excitation
        n = int(np.argmax(exc.mean(axis=0)))
        leak = 1.0 / tau
        window = slice(0, min(len(exc), int(round(1.0 / bin_s))))
        for name, current in (("excitatory", exc), ("inhibitory", inh)):
            filtered = leaky_filter(current[window, n], bin_s, leak) * bin_s * leak
            result.traces[f"{name}_example_{tag}"] = filtered


def protocol_metrics(result, protocol, directions, amplitude, trial_s, n_e, n_i, tau, dt):
    """CV, Fano factor, tuning, rates and E/I balance of the constant-input trials.

    ``protocol`` maps 'initial' / 'final' to (simulation output, weights, trials per
    direction); ``directions`` (directions, inputs) are unit vectors.
    """
    m = result.metrics
    n_dir = len(directions)
    n_steps_trial = int(round(trial_s / dt))
    for tag, (out, w, trials) in protocol.items():
        suffix = "" if tag == "final" else "_initial"
        counts, cv, fano = trial_statistics(out, n_e, n_dir, trials, trial_s)
        m[f"cv_isi_median{suffix}"] = finite_median(cv)
        m[f"fano_median{suffix}"] = finite_median(fano)
        m[f"cv_isi_official{suffix}"] = official_mean(cv, counts)
        m[f"fano_official{suffix}"] = official_mean(fano, counts)
        m[f"rate_e_protocol{suffix}_hz"] = float(counts.sum() / (n_e * n_dir * trials * trial_s))
        n_spikes_i = len(out["spikes"]["inh"][0])
        m[f"rate_i_protocol{suffix}_hz"] = float(n_spikes_i / (n_i * n_dir * trials * trial_s))
        # E/I balance of the E neurons in the first trial of every direction
        exc_all, inh_all = [], []
        for d in range(n_dir):
            constant = np.repeat(amplitude * directions[d][None], n_steps_trial, axis=0)
            e, i = e_input_currents(out["spikes"], w, constant, d * trials * trial_s, dt)
            exc_all.append(e)
            inh_all.append(i)
        balance_metrics(result, np.vstack(exc_all), np.vstack(inh_all), tau, tag, "_protocol")
        result.traces.update({f"cv_isi_{tag}": cv, f"fano_{tag}": fano,
                              f"tuning_{tag}": counts.mean(axis=2) / trial_s})
        for pop in ("exc", "inh"):
            i, t = out["spikes"][pop]
            first = t < 2 * trial_s * trials  # rasters: the first two directions
            result.spikes[f"{pop}_{tag}"] = (i[first], t[first])
    result.traces["directions"] = directions
    final_f = protocol["final"][1]["f"]
    result.traces["projection"] = directions @ final_f  # F_k . direction, (directions, n_e)
