"""Balanced E/I network obeying Dale's law (Brendel et al. 2020, Fig 4, Algorithm 2).

Separate excitatory (E) and inhibitory (I) populations. E neurons receive the input through
feedforward weights F, excitation from E (W_EE >= 0) and inhibition from I (W_IE <= 0);
I neurons receive no input, only excitation from E (W_EI >= 0) and inhibition from I
(W_II <= 0). Every weight learns with the rules of ``rules.dale``; at most one neuron of each
population fires per step (``models.arbitration``), with a refractory period.

Schedule of one step (Brian2's ``groups`` slot, in this order; the NumPy reference
tests/reference_dale.py follows the same steps):

    input trace cbar_E, feedforward current F^T I
    V_E: leak, input, noise; then W_EE and W_IE of the previous step's spikes
    cbar_I (the E spike trace) takes the previous step's E spike
    E arbitration and threshold; on an E spike the F and W_EE rules
    V_I: leak, noise; then W_EI of this step's E spike and W_II of the previous I spike
    I arbitration and threshold; on an I spike the W_EI, W_II and W_IE rules
    resets (r += 1); the filtered spike trains r decay in the ``end`` slot

The learning runs as a chain of equal segments of one compiled project: the weights and the
whole state go in and out through ``run_args``, so a checkpoint saved at a segment's end
resumes exactly, and a long run holds one segment of input in memory.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, defaultclock, ms, second

from analysis.balance import balance_correlation, net_to_excitatory_ratio, signed_input_currents
from analysis.decoding import (coding_error, filtered_rates, fit_decoder, leaky_filter,
                               spike_matrix)
from analysis.io import write_npz
from analysis.spikes import finite_median, interval_cv
from models.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES, NEURON_VARIABLES,
                                TOURNAMENT_THRESHOLD, TOURNAMENT_VARIABLES,
                                one_spike_per_step_judge, one_spike_per_step_tournament)
from models.balanced_coding import smoothed_white_noise
from models.device import Simulation
from models.registry import ParameterError
from models.result import RunResult
from rules.balanced import feedforward_synapses
from rules.dale import dale_synapses

NAME = "balanced-ei"

_SHARED = """
lam : 1/second (shared, constant)
threshold : 1 (shared, constant)
sigma_v : 1 (shared, constant)       # per-step s.d. of the voltage noise
sigma_t : 1 (shared, constant)       # per-step s.d. of the threshold noise
"""

E_EQUATIONS = """
dv/dt = -lam * v + I_ff + sigma_v * xi / sqrt(dt) : 1
I_ff : 1/second                      # F^T I, summed by the feedforward synapses
r : 1                                # filtered spike train
cbar_i : 1                           # this neuron's spike trace, read by the E -> I rule
spiked : 1                           # 1 in the step after a spike
trace_leak_i : 1/second (shared, constant)
""" + _SHARED

I_EQUATIONS = """
dv/dt = -lam * v + sigma_v * xi / sqrt(dt) : 1
r : 1
""" + _SHARED

INPUT_EQUATIONS = """
I = stimulus(t, i) : 1/second
dx/dt = -trace_leak_e * x + I : 1    # the input trace cbar_E of the feedforward rule
trace_leak_e : 1/second (shared, constant)
"""

SCORE = "v - threshold - sigma_t * randn()"

#: orders in the 'groups' slot
ORDER = dict(inputs=-20, e=0, e_transmit=1, e_trace=2, e_arbitration=3, e_threshold=9,
             e_learn=10, i=20, i_transmit=21, i_arbitration=22, i_threshold=28,
             i_learn=29, i_reset=30, e_reset=31)  # r_E counts a spike after the I rules

#: the state carried from one segment to the next (group, variable)
STATE = (("exc", "v"), ("exc", "r"), ("exc", "cbar_i"), ("exc", "spiked"), ("exc", "lastspike"),
         ("inh", "v"), ("inh", "r"), ("inh", "lastspike"), ("inputs", "x"))

WEIGHTS = ("f", "w_ee", "w_ie", "w_ei", "w_ii")


def initial_weights(rng, n_inputs, n_e, n_i, *, w_autapse):
    """Initial weights of the official code; matrices are [post, pre], F is (inputs, N_E).

    F: random unit columns; W_EE = w_autapse I; W_II = -0.5 I; W_EI = 0.5 [I I ... I]
    (each I neuron starts with N_E / N_I E inputs); W_IE = -0.3 [I I ... I]^T.
    """
    if n_e % n_i:
        raise ValueError(f"N_E ({n_e}) must be a multiple of N_I ({n_i})")
    f = rng.standard_normal((n_inputs, n_e))
    f /= np.linalg.norm(f, axis=0, keepdims=True)
    tiles = np.tile(np.eye(n_i), (1, n_e // n_i))  # (N_I, N_E)
    return dict(f=f, w_ee=w_autapse * np.eye(n_e), w_ie=-0.3 * tiles.T, w_ei=0.5 * tiles,
                w_ii=-0.5 * np.eye(n_i))


def build_network(sim, *, n_inputs, n_e, n_i, dt, lam, threshold, mu, eps_f, eps_o,
                  refractory_steps, sigma_v, sigma_t, w_autapse, trace_leak_e, trace_leak_i,
                  stimulus_values, stimulus_dt, tournament, sigma_v_exc=None):
    """The Brian2 objects of Algorithm 2; returns a dict of them (and 'stimulus').

    ``sigma_v_exc``: another voltage noise for the E population (None: ``sigma_v``).
    """
    defaultclock.dt = dt
    stimulus = sim.timed_array(stimulus_values * Hz, dt=stimulus_dt, name="stimulus")
    inputs = NeuronGroup(n_inputs, INPUT_EQUATIONS, method="euler", order=ORDER["inputs"],
                         name="inputs")
    inputs.trace_leak_e = trace_leak_e
    # arbitration: the judge (O(N) per step) or, with a block size, the tournament
    if tournament:
        variables = NEURON_VARIABLES + TOURNAMENT_VARIABLES
        condition, events = TOURNAMENT_THRESHOLD, {}
    else:
        variables, condition, events = JUDGE_VARIABLES, JUDGE_THRESHOLD, JUDGE_EVENTS
    groups = {}
    for pop, n, eqs, first in (("exc", n_e, E_EQUATIONS, "e"), ("inh", n_i, I_EQUATIONS, "i")):
        g = NeuronGroup(n, eqs + variables, threshold=condition, events=dict(events),
                        reset="r += 1\nspiked = 1" if pop == "exc" else "r += 1",
                        refractory=(refractory_steps + 1) * dt, method="euler",
                        order=ORDER[first], name=pop)
        g.thresholder["spike"].when, g.thresholder["spike"].order = (
            "groups", ORDER[f"{first}_threshold"])
        g.resetter["spike"].when, g.resetter["spike"].order = "groups", ORDER[f"{first}_reset"]
        g.lam, g.threshold, g.sigma_t = lam, threshold, sigma_t
        g.sigma_v = sigma_v_exc if pop == "exc" and sigma_v_exc is not None else sigma_v
        g.run_regularly("r = (1 - lam * dt) * r", when="end", name=f"{pop}_rate_decay")
        groups[pop] = g
    exc, inh = groups["exc"], groups["inh"]
    exc.trace_leak_i = trace_leak_i
    exc.run_regularly("cbar_i = (1 - trace_leak_i * dt) * cbar_i + spiked\nspiked = 0",
                      when="groups", order=ORDER["e_trace"], name="exc_spike_trace")
    arbitration = []
    for pop, first in (("exc", "e"), ("inh", "i")):
        where = dict(score_expression=SCORE, when="groups", order=ORDER[f"{first}_arbitration"])
        if tournament:
            arbitration += one_spike_per_step_tournament(groups[pop], block=tournament, **where)
        else:
            arbitration += one_spike_per_step_judge(groups[pop], **where)
    ff = feedforward_synapses(inputs, exc, eps_f=eps_f, alpha=1.0, name="syn_ff")
    ff.post.when, ff.post.order = "groups", ORDER["e_learn"]
    rates = dict(eps_o=eps_o, eps_f=eps_f, mu=mu)
    syn = dict(
        ee=dale_synapses(exc, exc, "ee", transmit_order=ORDER["e_transmit"],
                         learn_order=ORDER["e_learn"], w_autapse=w_autapse, **rates),
        ie=dale_synapses(inh, exc, "ie", transmit_order=ORDER["e_transmit"],
                         learn_order=ORDER["i_learn"], **rates),
        ei=dale_synapses(exc, inh, "ei", transmit_order=ORDER["i_transmit"],
                         learn_order=ORDER["i_learn"], **rates),
        ii=dale_synapses(inh, inh, "ii", transmit_order=ORDER["i_transmit"],
                         learn_order=ORDER["i_learn"], **rates),
    )
    return dict(stimulus=stimulus, inputs=inputs, exc=exc, inh=inh, ff=ff,
                arbitration=arbitration, **{f"syn_{k}": v for k, v in syn.items()})


def weights_to_synapses(weights):
    """{'f', 'w_ee', ...} matrices -> synapse-ordered arrays (presynaptic index major)."""
    return dict(f=np.ascontiguousarray(weights["f"]).ravel(),
                **{k: np.ascontiguousarray(weights[k].T).ravel()
                   for k in ("w_ee", "w_ie", "w_ei", "w_ii")})


def synapses_to_weights(values, n_inputs, n_e, n_i):
    shapes = dict(w_ee=(n_e, n_e), w_ie=(n_i, n_e), w_ei=(n_e, n_i), w_ii=(n_i, n_i))
    out = dict(f=np.asarray(values["f"]).reshape(n_inputs, n_e))
    for k, (n_pre, n_post) in shapes.items():
        out[k] = np.asarray(values[k]).reshape(n_pre, n_post).T
    return out


def set_weights(sim, objs, weights):
    """Weights (and plasticity) of a built network, through run_args on standalone targets."""
    flat = weights_to_synapses(weights)
    sim.set_values(objs["ff"].w_ff, flat["f"])
    for k in ("ee", "ie", "ei", "ii"):
        sim.set_values(getattr(objs[f"syn_{k}"], f"w_{k}"), flat[f"w_{k}"])


def read_weights(objs, n_inputs, n_e, n_i):
    values = dict(f=objs["ff"].w_ff[:],
                  **{f"w_{k}": getattr(objs[f"syn_{k}"], f"w_{k}")[:]
                     for k in ("ee", "ie", "ei", "ii")})
    return synapses_to_weights(values, n_inputs, n_e, n_i)


def simulate(*, sim, weights, stimulus, stimulus_steps=1, learn=True, state=None,
             trial_steps=None, **params):
    """One simulation; returns spikes, weights and the end state.

    ``stimulus`` (samples, inputs) in 1/second, each sample held for ``stimulus_steps`` time
    steps; ``state`` {(group, var): array} continues a previous segment (None: from rest).
    With ``trial_steps``, V and r of both populations return to 0 at the start of every trial.
    """
    n_inputs, n_e = weights["f"].shape
    n_i = weights["w_ii"].shape[0]
    dt = params["dt"]
    objs = build_network(sim, n_inputs=n_inputs, n_e=n_e, n_i=n_i, stimulus_values=stimulus,
                         stimulus_dt=stimulus_steps * dt, **params)
    if trial_steps is not None:
        trial_clock = sim.clock(trial_steps * dt, name="trial_clock")
        for pop in ("exc", "inh"):
            objs[pop].run_regularly("v = 0\nr = 0", when="start", clock=trial_clock,
                                    name=f"{pop}_trial_reset")
    set_weights(sim, objs, weights)
    for key in ("ff", "syn_ee", "syn_ie", "syn_ei", "syn_ii"):
        objs[key].plastic = int(learn)
    if state is not None:
        for (group, var), values in state.items():
            unit = second if var == "lastspike" else 1
            sim.set_values(getattr(objs[group], var), np.asarray(values) * unit)
    monitors = dict(exc=SpikeMonitor(objs["exc"], name="spikes_exc"),
                    inh=SpikeMonitor(objs["inh"], name="spikes_inh"))
    net = sim.network(*[o for k, o in objs.items() if k not in ("stimulus", "arbitration")],
                      *objs["arbitration"], *monitors.values())
    sim.run(net, len(stimulus) * stimulus_steps * dt, namespace={"stimulus": objs["stimulus"]},
            report="text" if len(stimulus) * stimulus_steps * float(dt / second) >= 60 else None)
    sim.finish()
    if sim.build_only:
        return None
    spikes = {pop: (np.asarray(m.i[:], dtype=np.int32), np.asarray(m.t[:] / second))
              for pop, m in monitors.items()}
    end_state = {}
    for group, var in STATE:
        values = getattr(objs[group], var)[:]
        end_state[(group, var)] = np.asarray(values / second if var == "lastspike" else values)
    return dict(spikes=spikes, weights=read_weights(objs, n_inputs, n_e, n_i), state=end_state)


MODEL_DEFAULTS = dict(dt=0.1 * ms, lam=50 / second, threshold=0.5, mu=0.002, eps_f=1e-5,
                      eps_o=1e-4, refractory_steps=10, sigma_v=0.002, sigma_t=0.02,
                      w_autapse=-0.02, trace_leak_e=300 / second, trace_leak_i=50 / second,
                      tournament=0)


# -- the model as the command line runs it ---------------------------------------------------

DESCRIPTION = "E/I network with Dale's law learning a balanced code (Brendel et al. 2020, Fig 4)"
QUICK = dict(duration=4 * second, segment=2 * second, decoder_duration=1 * second,
             error_trials=2, test_directions=4, test_trials=4)
SUMMARY = ("coding_error_e_initial", "coding_error_e_final", "coding_error_i_final",
           "rate_e_final_hz", "rate_i_final_hz", "cv_isi_median", "fano_median",
           "balance_correlation_median", "balance_correlation_protocol_median")


def checkpoint_segments(n_segments):
    """Segments after which a checkpoint is kept: 1, 2, 4, 8, ... and the last."""
    keep = {n_segments}
    k = 1
    while k < n_segments:
        keep.add(k)
        k *= 2
    return sorted(keep)


def save_checkpoint(path, *, segment, time_s, weights, state, seed):
    arrays = {f"W_{k}": v for k, v in weights.items()}
    arrays.update({f"state_{g}_{v}": a for (g, v), a in state.items()})
    arrays.update(segment=segment, time_s=time_s, seed=seed)
    write_npz(path, arrays)


def load_checkpoint(path):
    """(segment, time in s, weights, state, seed) of a checkpoint file."""
    try:
        data = np.load(path)
        weights = {k: data[f"W_{k}"] for k in WEIGHTS}
        state = {(g, v): data[f"state_{g}_{v}"] for g, v in STATE}
        return int(data["segment"]), float(data["time_s"]), weights, state, int(data["seed"])
    except (OSError, KeyError, ValueError) as exc:
        raise ParameterError(f"resume: cannot read a checkpoint from '{path}' ({exc})") from None


def represented_signal(input_values, dt, lam_hz):
    """The signal the network represents: the leaky integral of the input, one step behind."""
    return np.vstack([np.zeros((1, input_values.shape[1])),
                      leaky_filter(dt * input_values, dt, lam_hz)[:-1]])


def coding_errors(result, x, decoder_steps, dt, lam_hz, n_e, n_i, skip):
    """Decoders fitted on the first ``decoder_steps`` steps, errors on the rest (E and I).

    ``x`` (steps, inputs) is the signal to decode (``represented_signal`` of the input).
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
    isi_neuron, isi_dir = i_sorted[1:][same], trial_sorted[1:][same] // n_trials
    for n in range(n_e):
        mine = isi_neuron == n
        for d in range(n_directions):
            cv[n, d] = interval_cv(isi[mine & (isi_dir == d)])
    mean = counts.mean(axis=2)
    if n_trials < 2:  # a Fano factor needs repeated trials
        return counts, cv, np.full(mean.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        fano = np.where(mean > 1, counts.var(axis=2, ddof=1) / mean, np.nan)
    return counts, cv, fano


def run_balanced_ei(
    *,
    duration=800 * second,
    seed=1,
    device="cpp",
    n_e=300,
    n_i=75,
    n_inputs=3,
    dt=0.1 * ms,
    lam=50 / second,
    threshold=0.5,
    mu=0.002,
    eps_f=1e-5,
    eps_o=1e-4,
    refractory_steps=10,
    sigma_v=0.002,
    sigma_t=0.02,
    sigma_v_test=0.001,
    w_autapse=-0.02,
    trace_leak_e=300 / second,
    trace_leak_i=50 / second,
    tournament=0,
    input_amplitude=2000.0,
    input_smoothing=3 * ms,
    input_block=100 * ms,
    segment=50 * second,
    decoder_duration=4 * second,
    error_trials=10,
    test_amplitude=90.0,
    test_directions=20,
    test_trials=50,
    test_trial_duration=1 * second,
    balance_tau=10 * ms,
    checkpoint_dir="",
    resume="",
    build_only=False,
) -> RunResult:
    """Learn a balanced E/I code with Dale's law; test it with the protocol of the paper.

    Parameters (defaults: the official code of Fig 4)
    ----------
    duration : learning time (800 s; the paper learns for about 105,000 s).
    seed : seed of the initial weights, the inputs and Brian2's noise.
    device : ``runtime``, ``cpp`` or ``cuda``.
    n_e, n_i, n_inputs : 300 E neurons, 75 I neurons, 3 input dimensions.
    dt : time step (0.1 ms).
    lam : leak of voltages and filtered spike trains (50/s).
    threshold : spike threshold of both populations (0.5).
    mu : quadratic rate cost (0.002).
    eps_f, eps_o : Hebbian (F, W_EI: 1e-5) and voltage-based (W_EE, W_IE, W_II: 1e-4) rates.
    refractory_steps : a neuron that fired may fire again after this many steps (10: 1 ms).
    sigma_v, sigma_t : per-step noise s.d. of voltages (0.002) and thresholds (0.02).
    sigma_v_test : voltage noise of the E neurons in the frozen-weight runs (evaluations and
        protocol: 0.001, as the official code's ``runnet.m``; its I neurons keep 0.002).
    w_autapse : the fixed E autapse (-0.02).
    trace_leak_e, trace_leak_i : leaks of the input trace (6 lam) and of the E spike trace
        read by the E -> I rule (lam).
    tournament : 0 (default): the one-spike-per-step arbitration is the judge of
        ``models.arbitration`` (one pass over the neurons); a block size b: the two-round
        tournament with blocks of b neurons. Both pick the same neuron.
    input_amplitude, input_smoothing, input_block : learning input: white noise smoothed by a
        Gaussian of s.d. 3 ms, times 2000, drawn in blocks of 100 ms.
    segment : the learning runs in segments of this length (50 s); checkpoints are kept after
        segments 1, 2, 4, 8, ... and the last.
    decoder_duration, error_trials : each checkpoint is evaluated with frozen weights: decoders
        of E and I fitted on 4 s of input, coding error on 10 s more.
    test_amplitude, test_directions, test_trials, test_trial_duration : the test protocol of
        the paper, before and after learning: constant input of amplitude 90 in 20 random
        directions, 50 trials of 1 s each from rest (before learning: a fifth of the trials).
    balance_tau : low-pass filter of the input currents for the E/I balance (10 ms). The
        balance is measured at 1 ms on the error trials of the first and last checkpoints
        (time-varying input, as the currents of the paper's Fig 4C) and, as
        ``balance_correlation_protocol_median``, on the first trial of every direction of
        the constant-input protocol.
    checkpoint_dir : where checkpoint files go ('' for none; ``spikerules run`` uses
        OUT/checkpoints).
    resume : a checkpoint file to continue from (same seed and parameters).
    build_only : standalone targets: generate and compile, do not run.
    """
    dt_s = float(dt / second)
    lam_hz = float(lam * second)
    steps = lambda q: int(round(float(q / dt)))  # noqa: E731
    seg_steps, learn_steps = steps(segment), steps(duration)
    if seg_steps < 1 or learn_steps % seg_steps:
        raise ParameterError(f"duration ({duration}) must be a whole number of segments "
                             f"({segment})")
    if n_e % n_i:
        raise ParameterError(f"n_e ({n_e}) must be a multiple of n_i ({n_i})")
    if min(test_directions, test_trials, error_trials) < 1:
        raise ParameterError("test_directions, test_trials and error_trials must be >= 1")
    n_segments = learn_steps // seg_steps
    model = dict(dt=dt, lam=lam, threshold=threshold, mu=mu, eps_f=eps_f, eps_o=eps_o,
                 refractory_steps=refractory_steps, sigma_v=sigma_v, sigma_t=sigma_t,
                 w_autapse=w_autapse, trace_leak_e=trace_leak_e, trace_leak_i=trace_leak_i,
                 tournament=tournament)
    sizes = dict(n_e=n_e, n_i=n_i, n_inputs=n_inputs, dt=dt, tournament=tournament,
                 refractory_steps=refractory_steps)
    noise = dict(amplitude=input_amplitude, smoothing_steps=float(input_smoothing / dt),
                 block_steps=steps(input_block))
    params = dict(duration=duration, seed=seed, device=device, **dict(sizes, **model),
                  input_amplitude=input_amplitude, input_smoothing=input_smoothing,
                  input_block=input_block, segment=segment, decoder_duration=decoder_duration,
                  error_trials=error_trials, test_amplitude=test_amplitude,
                  test_directions=test_directions, test_trials=test_trials,
                  test_trial_duration=test_trial_duration, balance_tau=balance_tau,
                  sigma_v_test=sigma_v_test,
                  resume=resume)
    result = RunResult(model=NAME, params=params)

    weights = initial_weights(np.random.default_rng(seed), n_inputs, n_e, n_i,
                              w_autapse=w_autapse)
    checkpoints = [(0.0, weights)]
    state, first = None, 0
    if resume:
        first, t_resume, weights, state, ckpt_seed = load_checkpoint(resume)
        if ckpt_seed != seed:
            raise ParameterError(f"resume: the checkpoint has seed {ckpt_seed}, not {seed}")
        checkpoints = [(t_resume, weights)]
    keep = set(checkpoint_segments(n_segments))
    ckpt_dir = None
    if checkpoint_dir and not build_only:
        ckpt_dir = Path(checkpoint_dir)
        ckpt_dir.mkdir(parents=True, exist_ok=True)
    learn_wall = 0.0
    for k in range(first, n_segments):
        rng = np.random.default_rng([seed, k])
        stimulus = smoothed_white_noise(rng, seg_steps, n_inputs, **noise)
        sim = Simulation(NAME + "-learn", target=device, seed=seed * 100_003 + k,
                         build_only=build_only, code_params=dict(sizes, steps=seg_steps))
        t0 = time.perf_counter()
        with sim:
            out = simulate(sim=sim, weights=weights, stimulus=stimulus, learn=True, state=state,
                           **model)
        learn_wall += time.perf_counter() - t0
        if out is None:  # build_only
            break
        weights, state = out["weights"], out["state"]
        for key in (("exc", "lastspike"), ("inh", "lastspike")):  # times of the next segment
            state[key] = state[key] - seg_steps * dt_s
        t_end = (k + 1) * seg_steps * dt_s
        rates = [len(out["spikes"][p][0]) / (n * seg_steps * dt_s)
                 for p, n in (("exc", n_e), ("inh", n_i))]
        print(f"balanced-ei: {t_end:g} s of {learn_steps * dt_s:g} s learned; rates E "
              f"{rates[0]:.1f} Hz, I {rates[1]:.1f} Hz", flush=True)
        if k + 1 in keep:
            checkpoints.append((t_end, weights))
            if ckpt_dir is not None:
                save_checkpoint(ckpt_dir / f"weights-{t_end:09.1f}s.npz", segment=k + 1,
                                time_s=t_end, weights=weights, state=state, seed=seed)
    result.timings["learn_s"] = learn_wall

    # --- evaluation of every checkpoint with frozen weights ---------------------------------
    rng = np.random.default_rng([seed, 10**6])
    decoder_steps = steps(decoder_duration)
    eval_input = smoothed_white_noise(rng, decoder_steps + error_trials * steps(1 * second),
                                      n_inputs, **noise)
    eval_x = represented_signal(eval_input, dt_s, lam_hz)
    frozen = dict(model, sigma_v_exc=sigma_v_test)
    curves = {k: [] for k in ("coding_error_e", "coding_error_i", "rate_e_hz", "rate_i_hz")}
    balance_tau_s = float(balance_tau / second)
    for c, (t_c, w_c) in enumerate(checkpoints):
        # the noise seed follows the checkpoint's time: a resumed run evaluates alike
        sim = Simulation(NAME + "-evaluate", target=device,
                         seed=seed * 100_003 + 50_000 + int(round(t_c / float(segment / second))),
                         build_only=build_only,
                         code_params=dict(sizes, steps=len(eval_input)))
        with sim:
            out = simulate(sim=sim, weights=w_c, stimulus=eval_input, learn=False, **frozen)
        if out is None:
            break
        errs = coding_errors(out, eval_x, decoder_steps, dt_s, lam_hz, n_e, n_i,
                             skip=steps(100 * ms))
        if c in (0, len(checkpoints) - 1):  # balance under the time-varying input
            tag = "final" if c == len(checkpoints) - 1 else "initial"
            start = decoder_steps + steps(100 * ms)
            exc, inh = e_input_currents(out["spikes"], w_c, eval_input[start:],
                                        start * dt_s, dt_s)
            _balance_metrics(result, exc, inh, balance_tau_s, tag, "")
        curves["coding_error_e"].append(errs["exc"])
        curves["coding_error_i"].append(errs["inh"])
        curves["rate_e_hz"].append(errs["exc_rate"])
        curves["rate_i_hz"].append(errs["inh_rate"])

    # --- the test protocol, before and after learning ----------------------------------------
    directions = rng.standard_normal((test_directions, n_inputs))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    trial_steps = steps(test_trial_duration)
    protocol = {}
    for tag, (t_c, w_c), trials in (("initial", checkpoints[0], max(1, test_trials // 5)),
                                    ("final", checkpoints[-1], test_trials)):
        if resume and tag == "initial":
            continue
        stim = test_amplitude * np.repeat(directions, trials, axis=0)
        sim = Simulation(NAME + "-protocol", target=device,
                         seed=seed * 100_003 + 90_000 + (tag == "final"),
                         build_only=build_only,
                         code_params=dict(sizes, trials=len(stim), trial=trial_steps))
        with sim:
            out = simulate(sim=sim, weights=w_c, stimulus=stim, stimulus_steps=trial_steps,
                           trial_steps=trial_steps, learn=False, **frozen)
        if out is None:
            break
        protocol[tag] = (out, w_c, trials)
    if build_only:
        result.metrics.update({k: float(v) for k, v in result.timings.items()})
        return result
    _protocol_metrics(result, protocol, directions, test_amplitude, trial_steps * dt_s, n_e,
                      n_i, balance_tau_s, dt_s)
    result.traces.update({k: np.asarray(v) for k, v in curves.items()},
                         checkpoint_time=np.array([t for t, _ in checkpoints]))
    for c, (t_c, w_c) in enumerate(checkpoints):
        result.weights.update({f"{k}_{t_c:g}s": v for k, v in w_c.items()})
    m = result.metrics
    for key, curve in curves.items():
        suffix = "_hz" if key.endswith("_hz") else ""
        base = key[: -len(suffix)] if suffix else key
        m[f"{base}_initial{suffix}"] = float(curve[0])
        m[f"{base}_final{suffix}"] = float(curve[-1])
    m["learning_time_s"] = float(checkpoints[-1][0])
    m.update({k: float(v) for k, v in result.timings.items()})
    return result


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


def _balance_metrics(result, exc, inh, tau, tag, kind, bin_s=1e-3):
    """Median E-I correlation and net / E ratio of (T, N_E) currents; traces for the figure."""
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


def _protocol_metrics(result, protocol, directions, amplitude, trial_s, n_e, n_i, tau, dt):
    """CV, Fano factor, tuning and E/I balance of the constant-input trials."""
    m = result.metrics
    n_dir = len(directions)
    n_steps_trial = int(round(trial_s / dt))
    for tag, (out, w, trials) in protocol.items():
        suffix = "" if tag == "final" else "_initial"
        counts, cv, fano = trial_statistics(out, n_e, n_dir, trials, trial_s)
        m[f"cv_isi_median{suffix}"] = finite_median(cv)
        m[f"fano_median{suffix}"] = finite_median(fano)
        # the statistic of the official FanoCV.m: per direction the mean over the neurons with
        # more than one spike per trial on average, then the mean over directions
        active = counts.mean(axis=2) > 1
        for key, values in (("cv_isi", cv), ("fano", fano)):
            per_direction = []
            for d in range(n_dir):
                v = values[active[:, d], d]
                v = v[np.isfinite(v)]
                if v.size:
                    per_direction.append(v.mean())
            m[f"{key}_official{suffix}"] = (float(np.mean(per_direction)) if per_direction
                                            else float("nan"))
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
        _balance_metrics(result, np.vstack(exc_all), np.vstack(inh_all), tau, tag, "_protocol")
        result.traces.update({f"cv_isi_{tag}": cv, f"fano_{tag}": fano,
                              f"tuning_{tag}": counts.mean(axis=2) / trial_s})
        for pop in ("exc", "inh"):
            i, t = out["spikes"][pop]
            first = t < 2 * trial_s * trials  # rasters: the first two directions
            result.spikes[f"{pop}_{tag}"] = (i[first], t[first])
    result.traces["directions"] = directions
    final_f = protocol["final"][1]["f"]
    result.traces["projection"] = directions @ final_f  # F_k . direction, (directions, n_e)
