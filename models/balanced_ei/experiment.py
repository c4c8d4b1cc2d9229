"""The balanced-ei experiment: learn in segments, evaluate every checkpoint, run the protocol.

Brendel, Bourdoukan, Vertechi, Machens & Denève (PLoS CB 2020), Algorithm 2, Fig 4. Phases:

1. :func:`start`: the initial weights from the seed, or a checkpoint to resume from;
2. :func:`learn`: equal segments of one compiled project, the weights and the whole state
   carried from one to the next; checkpoints after segments 1, 2, 4, 8, ... and the last
   (files in ``checkpoint_dir``: see :mod:`models.balanced_ei.checkpoints`), and the latest
   after every segment (``latest.npz``);
3. :func:`evaluate`: every checkpoint with frozen weights on time-varying input: decoders
   of E and I, coding errors, rates, and the E/I balance of the first and last;
4. :func:`run_protocol`: the paper's constant-input trials before and after learning;
5. :func:`measure`: ISI CV, Fano factor, tuning and balance of the protocol, the curves and
   the metrics (:mod:`models.balanced_ei.measures`).

The frozen-weight runs use the official test noise: E voltage noise ``sigma_v_test``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import ms, second

from analysis.io import RunResult
from models.balanced_ei.checkpoints import (LATEST, checkpoint_path, checkpoint_segments,
                                            load_checkpoint, save_checkpoint)
from models.balanced_ei.measures import (balance_metrics, coding_errors, e_input_currents,
                                         protocol_metrics, represented_signal)
from models.balanced_ei.network import (RULE_PARAMETERS, initial_weights, simulate,
                                        simulate_again)
from models.common.device import Simulation
from models.common.errors import ModelError
from models.common.signals import smoothed_white_noise

NAME = "balanced-ei"

#: metrics of the one-line summary
SUMMARY = ("coding_error_e_initial", "coding_error_e_final", "coding_error_i_final",
           "rate_e_final_hz", "rate_i_final_hz", "cv_isi_median", "fano_median",
           "balance_correlation_median", "balance_correlation_protocol_median")


def rule_parameters(p):
    """The keywords of :func:`models.balanced_ei.network.build_network` from ``p``."""
    return {name: getattr(p, name) for name in RULE_PARAMETERS}


def frozen_parameters(p):
    """As :func:`rule_parameters`, with the test noise of the E neurons."""
    return dict(rule_parameters(p), sigma_v_exc=p.sigma_v_test)


def code_sizes(p):
    """The parameters that change the generated code (with the run lengths of each phase)."""
    return dict(n_e=p.n_e, n_i=p.n_i, n_inputs=p.n_inputs, dt=p.dt, tournament=p.tournament,
                refractory_steps=p.refractory_steps, rng=p.rng)


def noise_input(p, rng, n_steps):
    """``n_steps`` of the smoothed white-noise input (steps, inputs), in 1/second."""
    return smoothed_white_noise(rng, n_steps, p.n_inputs, amplitude=p.input_amplitude,
                                smoothing_steps=float(p.input_smoothing / p.dt),
                                block_steps=p.steps(p.input_block))


@dataclass
class Start:
    """Where learning begins: after ``learned`` segments, with these weights and state, and
    the checkpoints [(time in s, weights)] kept before (the seed's initial weights first)."""

    learned: int
    weights: dict
    state: dict | None  # None: from rest
    time_s: float
    checkpoints: list


def segment_end_s(p, k):
    """The learning time in s at the end of segment ``k`` (counted from 1)."""
    return k * p.steps(p.segment) * float(p.dt / second)


def start(p):
    """Phase 1: the initial weights of the seed, or the checkpoint ``p.resume``.

    Resuming, the checkpoints kept before it (1, 2, 4, ... segments) are read from the files
    beside it, so that a run resumed after an interruption evaluates the same checkpoints as
    the uninterrupted run; one that is missing is said and left out of the curves.
    """
    initial = initial_weights(np.random.default_rng(p.seed), p.n_inputs, p.n_e, p.n_i,
                              w_autapse=p.w_autapse)
    if not p.resume:
        return Start(0, initial, None, 0.0, [(0.0, initial)])
    segment, time_s, weights, state, seed = _read_checkpoint(p, p.resume)
    if segment > p.n_segments():
        raise ModelError(f"resume: the checkpoint is after {segment} segments, more than "
                         f"the {p.n_segments()} of duration / segment")
    if not np.isclose(time_s, segment_end_s(p, segment)):
        raise ModelError(f"resume: the checkpoint is at {time_s:g} s after {segment} "
                         f"segments; this run has segments of {p.spec('segment').text(p.segment)}")
    kept = [(0.0, initial)]
    for k in checkpoint_segments(p.n_segments()):
        if k > segment:
            break
        path = checkpoint_path(Path(p.resume).parent, segment_end_s(p, k))
        if k == segment:  # the checkpoint resumed from (its file, or latest.npz)
            kept.append((time_s, weights))
        elif not path.is_file():
            print(f"{NAME}: resume: no checkpoint {path.name} beside {p.resume}; the curves "
                  "leave it out", flush=True)
        else:
            kept.append((segment_end_s(p, k), _read_checkpoint(p, path)[2]))
    return Start(segment, weights, state, time_s, kept)


def _read_checkpoint(p, path):
    """:func:`load_checkpoint` of a checkpoint of this run's sizes and seed."""
    segment, time_s, weights, state, seed = load_checkpoint(
        path, n_inputs=p.n_inputs, n_e=p.n_e, n_i=p.n_i)
    if seed != p.seed:
        raise ModelError(f"resume: the checkpoint has seed {seed}, not {p.seed} ({path})")
    return segment, time_s, weights, state, seed


class OneNetwork:
    """Runs of one network with other weights, inputs, states and seeds (learning segments,
    checkpoint evaluations). On cpp the first run builds the network (or reuses its compiled
    project) and every later one runs its binary again with the new values as run arguments
    (:func:`simulate_again`): no Python build in between. Elsewhere each run builds its own.
    ``network``: the keywords of :func:`simulate` besides the weights, input, state. Use as a
    context manager."""

    def __init__(self, p, name, code_params, **network):
        self.p, self.name, self.code_params, self.network = p, name, code_params, network
        self.sim = self.objects = None
        self.build_s = 0.0  # wall time of the first run not spent running the binary (cpp)

    def run(self, seed, weights, stimulus, state=None, duration=None):
        """What :func:`simulate` returns (None when only building). ``duration``: run this
        long (default: the whole stimulus; every run's stimulus has as many samples as the
        first's)."""
        if self.objects is not None:
            return simulate_again(self.sim, self.objects, seed=seed, weights=weights,
                                  stimulus=stimulus, state=state, duration=duration)
        self.close()
        t0 = time.perf_counter()
        self.sim = Simulation(self.name, target=self.p.device, seed=seed,
                              build_only=self.p.build_only, code_params=self.code_params)
        self.sim.activate()
        out = simulate(sim=self.sim, weights=weights, stimulus=stimulus, state=state,
                       duration=duration, **self.network)
        if self.sim.target == "cpp":  # building: the network in Python, code, compilation
            self.build_s = time.perf_counter() - t0 - self.sim.timings.get("run_s", 0.0)
            if out is not None:
                self.objects = out["objects"]
        return out

    def close(self):
        if self.sim is not None:
            self.sim.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def learn(p, begin, result):
    """Phase 2: the learning segments. Returns the checkpoints [(time in s, weights)], the
    seed's initial weights first.

    With ``checkpoint_dir``, the kept checkpoints are written there and ``latest.npz`` after
    every segment: an interrupted run resumes from it losing at most one segment.
    """
    dt_s, seg_steps = float(p.dt / second), p.steps(p.segment)
    n_segments = p.n_segments()
    keep = set(checkpoint_segments(n_segments))
    ckpt_dir = None
    if p.checkpoint_dir and not p.build_only:
        ckpt_dir = Path(p.checkpoint_dir)
        ckpt_dir.mkdir(parents=True, exist_ok=True)
    checkpoints = list(begin.checkpoints)
    weights, state, wall = begin.weights, begin.state, 0.0

    def segment_input(k):  # segment k draws its input and noise from (seed, k)
        return noise_input(p, np.random.default_rng([p.seed, k]), seg_steps)

    # the next segment's input is drawn while the network runs (NumPy's convolution releases
    # the GIL; 3.6 s of a 500-s segment's 50 s)
    with OneNetwork(p, NAME + "-learn", dict(code_sizes(p), steps=seg_steps), learn=True,
                    **rule_parameters(p)) as network, ThreadPoolExecutor(1) as drawing:
        upcoming = drawing.submit(segment_input, begin.learned)
        for k in range(begin.learned, n_segments):
            t0 = time.perf_counter()
            stimulus = upcoming.result()
            if k + 1 < n_segments and not p.build_only:
                upcoming = drawing.submit(segment_input, k + 1)
            out = network.run(p.seed * 100_003 + k, weights, stimulus, state)
            wall += time.perf_counter() - t0
            if out is None:  # build_only
                break
            weights, state = out["weights"], out["state"]
            for key in (("exc", "lastspike"), ("inh", "lastspike")):  # times of the next one
                state[key] = state[key] - seg_steps * dt_s
            t_end = segment_end_s(p, k + 1)
            rates = [len(out["spikes"][pop][0]) / (n * seg_steps * dt_s)
                     for pop, n in (("exc", p.n_e), ("inh", p.n_i))]
            print(f"{NAME}: {t_end:g} s of {p.steps(p.duration) * dt_s:g} s learned; rates E "
                  f"{rates[0]:.1f} Hz, I {rates[1]:.1f} Hz", flush=True)
            saved = dict(segment=k + 1, time_s=t_end, weights=weights, state=state,
                         seed=p.seed)
            if k + 1 in keep:
                checkpoints.append((t_end, weights))
                if ckpt_dir is not None:
                    save_checkpoint(checkpoint_path(ckpt_dir, t_end), **saved)
            if ckpt_dir is not None:
                save_checkpoint(ckpt_dir / LATEST, **saved)
    # learning's own cost: the segments without building the project (on cpp)
    result.timings.update(learn_s=wall - network.build_s, learn_build_s=network.build_s)
    return checkpoints


def draw_test_inputs(p):
    """The evaluation input (decoder part, then ``error_trials`` s) and the protocol's unit
    directions (directions, inputs), in this order from one generator of the seed."""
    rng = np.random.default_rng([p.seed, 10**6])
    n_steps = p.steps(p.decoder_duration) + p.error_trials * p.steps(1 * second)
    eval_input = noise_input(p, rng, n_steps)
    directions = rng.standard_normal((p.test_directions, p.n_inputs))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return eval_input, directions


def evaluate(p, checkpoints, eval_input, result):
    """Phase 3: each checkpoint frozen on the evaluation input. Returns the curves over
    checkpoints {coding_error_e, coding_error_i, rate_e_hz, rate_i_hz} (None if building)."""
    dt_s, lam_hz = float(p.dt / second), float(p.lam * second)
    decoder_steps, skip = p.steps(p.decoder_duration), p.steps(100 * ms)
    eval_x = represented_signal(eval_input, dt_s, lam_hz)
    curves = {k: [] for k in ("coding_error_e", "coding_error_i", "rate_e_hz", "rate_i_hz")}
    with OneNetwork(p, NAME + "-evaluate", dict(code_sizes(p), steps=len(eval_input)),
                    learn=False, **frozen_parameters(p)) as network:
        for c, (t_c, w_c) in enumerate(checkpoints):
            # the noise seed follows the checkpoint's time: a resumed run evaluates alike
            seed = p.seed * 100_003 + 50_000 + int(round(t_c / float(p.segment / second)))
            out = network.run(seed, w_c, eval_input)
            if out is None:
                return None
            errs = coding_errors(out, eval_x, decoder_steps, dt_s, lam_hz, p.n_e, p.n_i,
                                 skip=skip)
            if c in (0, len(checkpoints) - 1):  # balance under the time-varying input
                tag = "final" if c == len(checkpoints) - 1 else "initial"
                first = decoder_steps + skip
                exc, inh = e_input_currents(out["spikes"], w_c, eval_input[first:],
                                            first * dt_s, dt_s)
                balance_metrics(result, exc, inh, float(p.balance_tau / second), tag, "")
            for key, pop in (("coding_error_e", "exc"), ("coding_error_i", "inh"),
                             ("rate_e_hz", "exc_rate"), ("rate_i_hz", "inh_rate")):
                curves[key].append(errs[pop])
    return curves


def run_protocol(p, checkpoints, directions):
    """Phase 4: constant input along each direction, trials from rest, with the first
    checkpoint (the seed's initial weights; a fifth of the trials) and the last. One network:
    the final trials build it, the initial ones run it again (cpp: nothing rebuilt) with their
    input padded to as many trials and the run cut to their own. Returns {tag: (simulation
    output, weights, trials per direction)}, initial first (empty when only building)."""
    trial_steps = p.steps(p.test_trial_duration)
    runs = {"final": (checkpoints[-1][1], p.test_trials),
            "initial": (checkpoints[0][1], max(1, p.test_trials // 5))}
    n_trials = len(directions) * p.test_trials
    protocol = {}
    with OneNetwork(p, NAME + "-protocol", dict(code_sizes(p), trials=n_trials, trial=trial_steps),
                    stimulus_steps=trial_steps, trial_steps=trial_steps, learn=False,
                    **frozen_parameters(p)) as network:
        for tag, (weights, trials) in runs.items():
            stim = np.zeros((n_trials, directions.shape[1]))
            stim[:len(directions) * trials] = p.test_amplitude * np.repeat(directions, trials,
                                                                           axis=0)
            out = network.run(p.seed * 100_003 + 90_000 + (tag == "final"), weights, stim,
                              duration=len(directions) * trials * trial_steps * p.dt)
            if out is None:
                return {}
            protocol[tag] = (out, weights, trials)
    return {tag: protocol[tag] for tag in ("initial", "final")}


def measure(p, checkpoints, curves, protocol, directions, result):
    """Phase 5: the protocol's statistics, the curves, the checkpoint weights, the metrics."""
    dt_s = float(p.dt / second)
    protocol_metrics(result, protocol, directions, p.test_amplitude,
                     p.steps(p.test_trial_duration) * dt_s, p.n_e, p.n_i,
                     float(p.balance_tau / second), dt_s)
    result.traces.update({k: np.asarray(v) for k, v in curves.items()},
                         checkpoint_time=np.array([t for t, _ in checkpoints]))
    for t_c, w_c in checkpoints:
        result.weights.update({f"{k}_{t_c:g}s": v for k, v in w_c.items()})
    m = result.metrics
    for key, curve in curves.items():
        suffix = "_hz" if key.endswith("_hz") else ""
        base = key[: -len(suffix)] if suffix else key
        m[f"{base}_initial{suffix}"] = float(curve[0])
        m[f"{base}_final{suffix}"] = float(curve[-1])
    m["learning_time_s"] = float(checkpoints[-1][0])


def run(p):
    """Learn a balanced E/I code with Dale's law and test it as the paper
    (``p``: :class:`models.balanced_ei.Params`)."""
    result = RunResult(model=NAME, params=p.to_json())
    checkpoints = learn(p, start(p), result)
    eval_input, directions = draw_test_inputs(p)
    curves = evaluate(p, checkpoints, eval_input, result)
    protocol = run_protocol(p, checkpoints, directions)
    if not p.build_only:
        measure(p, checkpoints, curves, protocol, directions, result)
    result.metrics.update({k: float(v) for k, v in result.timings.items()})
    return result
