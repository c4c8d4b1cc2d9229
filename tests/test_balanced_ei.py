"""balanced-ei: the Brian2 network against its NumPy loop of Algorithm 2, Dale's law, resuming
from checkpoints, the E/I currents by hand, bad parameters and checkpoint files, the figure
from a synthetic result, and the paper-scale runs (slow)."""

import inspect
import json
import shutil

import numpy as np
import pytest
from brian2 import Quantity, ms, second

from analysis.io import RunResult, write_npz
from conftest import spikerules
from models.balanced_ei import Params, run
from models.balanced_ei.checkpoints import load_checkpoint, save_checkpoint
from models.balanced_ei.experiment import learn, noise_input, rule_parameters, start
from models.balanced_ei.measures import e_input_currents
from models.balanced_ei.network import (STATE, build_network, initial_weights, simulate,
                                        simulate_again)
from models.balanced_ei.reference import algorithm2
from models.common import ModelError
from models.common.device import Simulation

N_INPUTS, N_E, N_I, STEPS = 3, 12, 4, 3000
#: fast learning so that 0.3 s moves every weight; no noise: the runs are deterministic
PARAMS = Params(n_inputs=N_INPUTS, n_e=N_E, n_i=N_I, sigma_v=0.0, sigma_t=0.0, eps_f=1e-2,
                eps_o=1e-2)


def reference_keywords(p):
    """The keywords of the NumPy loop that the model declares too, from the record ``p``
    (quantities as plain numbers in SI units: dt in s, rates in 1/s)."""
    declared = {s.name for s in Params.specs()} - {"rng"}  # the loop's rng is a NumPy Generator
    names = [n for n in inspect.signature(algorithm2).parameters if n in declared]
    return {n: float(np.asarray(getattr(p, n))) if isinstance(getattr(p, n), Quantity)
            else getattr(p, n) for n in names}


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(3)
    weights = initial_weights(rng, N_INPUTS, N_E, N_I, w_autapse=PARAMS.w_autapse)
    stimulus = noise_input(PARAMS, rng, STEPS)
    reference = algorithm2(weights, stimulus, **reference_keywords(PARAMS))
    return weights, stimulus, reference


def test_reference_keywords_come_from_the_parameter_record():
    kw = reference_keywords(Params())
    assert kw["dt"] == 1e-4 and kw["lam"] == 50.0 and kw["trace_leak_e"] == 300.0
    assert kw["w_autapse"] == -0.02 and kw["refractory_steps"] == 10
    assert set(kw) == {"dt", "lam", "threshold", "eps_f", "eps_o", "mu", "w_autapse",
                       "refractory_steps", "trace_leak_e", "trace_leak_i", "sigma_v",
                       "sigma_t"}


def _follows_algorithm2(device, tournament, setup):
    weights, stimulus, (e_steps, e_neurons, i_steps, i_neurons, learned) = setup
    with Simulation("balanced-ei-test", target=device, seed=1,
                    code_params=dict(n_e=N_E, steps=STEPS, tournament=tournament)) as sim:
        out = simulate(sim=sim, weights=weights, stimulus=stimulus,
                       **rule_parameters(PARAMS.replace(tournament=tournament)))
    dt = float(PARAMS.dt / second)
    assert len(e_steps) > 100 and len(i_steps) > 100
    for pop, steps, neurons in (("exc", e_steps, e_neurons), ("inh", i_steps, i_neurons)):
        i, t = out["spikes"][pop]
        np.testing.assert_array_equal(np.rint(t / dt).astype(int), steps)
        np.testing.assert_array_equal(i, neurons)
    assert np.diff(e_steps).min() >= 1  # at most one spike per step and population
    for key, value in learned.items():
        assert np.abs(value - weights[key]).max() > 0.05, key  # every matrix learned
        np.testing.assert_allclose(out["weights"][key], value, atol=1e-12, err_msg=key)
    # Dale's law: no weight changed sign
    w = out["weights"]
    assert w["w_ei"].min() >= 0 and w["w_ie"].max() <= 0 and w["w_ii"].max() <= 0
    off = ~np.eye(N_E, dtype=bool)
    assert w["w_ee"][off].min() >= 0
    np.testing.assert_array_equal(np.diag(w["w_ee"]), PARAMS.w_autapse)


@pytest.mark.parametrize("device", ["numpy", "cpp"])
def test_brian2_follows_algorithm2_with_the_judge(device, setup, cache_dir):
    """Noise off: the same spikes, step for step, and the same learned weights, which keep
    Dale's law."""
    _follows_algorithm2(device, 0, setup)


def test_the_cpp_network_runs_again_from_its_end_as_the_loop_continues(setup, cache_dir):
    """``simulate_again`` (how the learning segments run on cpp): the compiled network run
    again with its learned weights, its end state and new input gives the spikes and weights
    of the NumPy loop continued. The project of the judge test: nothing more to compile."""
    weights, stimulus, _ = setup
    kw, state, dt = reference_keywords(PARAMS), {}, float(PARAMS.dt / second)
    first = algorithm2(weights, stimulus, state=state, **kw)
    stimulus_2 = noise_input(PARAMS, np.random.default_rng(4), STEPS)
    e_steps, e_neurons, i_steps, i_neurons, learned = algorithm2(first[4], stimulus_2,
                                                                 state=state, **kw)
    with Simulation("balanced-ei-test", target="cpp", seed=1,
                    code_params=dict(n_e=N_E, steps=STEPS, tournament=0)) as sim:
        out = simulate(sim=sim, weights=weights, stimulus=stimulus, **rule_parameters(PARAMS))
        end = dict(out["state"])
        for pop in ("exc", "inh"):
            end[(pop, "lastspike")] = end[(pop, "lastspike")] - STEPS * dt
        again = simulate_again(sim, out["objects"], seed=2, weights=out["weights"],
                               stimulus=stimulus_2, state=end)
    assert len(e_steps) > 100 and len(i_steps) > 100
    for pop, steps, neurons in (("exc", e_steps, e_neurons), ("inh", i_steps, i_neurons)):
        i, t = again["spikes"][pop]
        np.testing.assert_array_equal(np.rint(t / dt).astype(int), steps)
        np.testing.assert_array_equal(i, neurons)
    for key, value in learned.items():
        np.testing.assert_allclose(again["weights"][key], value, atol=1e-12, err_msg=key)


@pytest.mark.slow
def test_brian2_follows_algorithm2_with_the_tournament(setup, cache_dir):
    """The tournament in blocks of 3 (4 E blocks, 2 I blocks) picks the judge's neuron.
    Slow: a second C++ project (about a minute to compile on 2 cores)."""
    _follows_algorithm2("cpp", 3, setup)


def test_the_numpy_loop_continues_across_calls(setup):
    """The reference run in two pieces (its state carried over) equals the run in one."""
    weights, stimulus, (e_steps, e_neurons, i_steps, i_neurons, learned) = setup
    kw = reference_keywords(PARAMS)
    state, cut = {}, 1234
    first = algorithm2(weights, stimulus[:cut], state=state, **kw)
    second_part = algorithm2(first[4], stimulus[cut:], state=state, **kw)
    np.testing.assert_array_equal(np.concatenate([first[0], second_part[0] + cut]), e_steps)
    np.testing.assert_array_equal(np.concatenate([first[1], second_part[1]]), e_neurons)
    np.testing.assert_array_equal(np.concatenate([first[2], second_part[2] + cut]), i_steps)
    np.testing.assert_array_equal(np.concatenate([first[3], second_part[3]]), i_neurons)
    for key, value in learned.items():
        np.testing.assert_array_equal(second_part[4][key], value, err_msg=key)


SMALL = Params(n_e=12, n_i=4, duration=0.6 * second, segment=0.2 * second,
               decoder_duration=0.5 * second, error_trials=1, test_directions=2, test_trials=2,
               test_trial_duration=0.2 * second, eps_f=1e-3, eps_o=1e-2, device="numpy")


def test_resuming_learning_from_a_checkpoint_gives_the_uninterrupted_weights(tmp_path, capsys):
    """Three segments of 0.2 s; the last two again from the checkpoint of the first, and the
    last from ``latest.npz`` of a run stopped after two: the same weights, and the checkpoints
    kept before the resumed one read from beside it (one that is gone is said and left out)."""
    p = SMALL.replace(checkpoint_dir=str(tmp_path / "whole"))
    whole = learn(p, start(p), RunResult("balanced-ei", {}))
    files = sorted((tmp_path / "whole").glob("weights-*.npz"))
    assert [f.name for f in files] == ["weights-0000000.2s.npz", "weights-0000000.4s.npz",
                                       "weights-0000000.6s.npz"]
    assert int(np.load(tmp_path / "whole" / "latest.npz")["segment"]) == 3
    # what a run stopped after two segments leaves: two kept files, its latest at segment 2
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    for f in files[:2]:
        shutil.copy(f, stopped / f.name)
    shutil.copy(files[1], stopped / "latest.npz")
    for resume, directory in ((files[0], ""), (stopped / "latest.npz", str(stopped))):
        resumed_p = SMALL.replace(resume=str(resume), checkpoint_dir=directory)
        resumed = learn(resumed_p, start(resumed_p), RunResult("balanced-ei", {}))
        assert [t for t, _ in whole] == [t for t, _ in resumed] == [0.0, 0.2, 0.4, 0.6]
        for key in ("f", "w_ee", "w_ie", "w_ei", "w_ii"):
            assert np.abs(whole[-1][1][key] - whole[0][1][key]).max() > 1e-4  # it learned
            for (_, w), (_, w_resumed) in zip(whole, resumed):
                np.testing.assert_array_equal(w_resumed[key], w[key])
    assert int(np.load(stopped / "latest.npz")["segment"]) == 3
    (stopped / "weights-0000000.2s.npz").unlink()
    again = start(SMALL.replace(resume=str(stopped / "weights-0000000.4s.npz")))
    assert [t for t, _ in again.checkpoints] == [0.0, 0.4]
    assert "no checkpoint weights-0000000.2s.npz" in capsys.readouterr().out


def test_learn_s_is_the_segments_without_the_build(cache_dir, capsys):
    """On cpp the first segment builds the project: that goes in learn_build_s (at least the
    build the device reports), learn_s is the rest of the time measured around learn()."""
    import re
    import time

    p = SMALL.replace(device="cpp")
    result = RunResult("balanced-ei", {})
    t0 = time.perf_counter()
    learn(p, start(p), result)
    around = time.perf_counter() - t0
    built = re.search(r"balanced-ei-learn \[cpp\]: [a-z ]+ \(([0-9.]+) s\)",
                      capsys.readouterr().out)
    t = result.timings
    assert t["learn_build_s"] >= float(built.group(1)) - 0.05  # the report rounds to 0.1 s
    assert 0 < t["learn_s"] <= around - t["learn_build_s"]


@pytest.mark.slow
def test_a_resumed_run_evaluates_as_the_uninterrupted_one(tmp_path, cache_dir):
    """The whole experiment, resumed after the first segment and after the last in its own
    checkpoint directory: the same checkpoints, curves and protocol. Slow: three more C++
    projects (learn, evaluate, protocol), minutes to compile on 2 cores."""
    small = SMALL.replace(device="cpp")
    whole = run(small.replace(checkpoint_dir=str(tmp_path)))
    files = sorted(tmp_path.glob("weights-*.npz"))
    for resume in (files[0], files[-1]):
        resumed = run(small.replace(resume=str(resume)))
        for name, trace in whole.traces.items():
            np.testing.assert_array_equal(resumed.traces[name], trace, err_msg=name)
        for name, w in whole.weights.items():
            np.testing.assert_array_equal(resumed.weights[name], w, err_msg=name)
        assert {k: v for k, v in resumed.metrics.items() if not k.endswith("_s")} == {
            k: v for k, v in whole.metrics.items() if not k.endswith("_s")}


def _checkpoint(path, p, **changes):
    """A checkpoint of ``p``'s sizes at segment 1 with ``changes`` to its arrays."""
    weights = start(p).weights
    state = {(g, v): np.zeros({"exc": p.n_e, "inh": p.n_i, "inputs": p.n_inputs}[g])
             for g, v in STATE}
    save_checkpoint(path, segment=1, time_s=0.2, weights=weights, state=state, seed=p.seed)
    if changes:
        arrays = dict(np.load(path, allow_pickle=False))
        arrays.update(changes)
        arrays = {k: v for k, v in arrays.items() if v is not None}
        write_npz(path, arrays)
    return path


@pytest.mark.parametrize("changes, message", [
    (None, "cannot read a checkpoint"),                                # no file
    (dict(W_w_ee=None), "is not a balanced-ei checkpoint (no W_w_ee)"),
    (dict(W_f=np.zeros((3, 13))), "holds W_f of shape (3, 13)"),
    (dict(state_inh_v=np.array(["a"] * 4)), "holds state_inh_v"),
    (dict(seed=np.array(7)), "the checkpoint has seed 7, not 1"),
    (dict(segment=np.array(4)), "after 4 segments, more than the 3"),
    (dict(segment=np.array(2)), "at 0.2 s after 2 segments; this run has segments of 0.2"),
])
def test_a_bad_checkpoint_is_refused_with_one_line(changes, message, tmp_path):
    path = tmp_path / "ckpt.npz"
    if changes is not None:
        _checkpoint(path, SMALL, **changes)
    with pytest.raises(ModelError) as info:
        start(SMALL.replace(resume=str(path)))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    path.write_text("not a checkpoint")
    with pytest.raises(ModelError, match=r"resume: cannot read .*\(not an .npz archive\)"):
        load_checkpoint(path, n_inputs=3, n_e=12, n_i=4)
    np.savez(path, W_f=np.array([None], dtype=object))
    with pytest.raises(ModelError, match="resume: cannot read"):
        load_checkpoint(path, n_inputs=3, n_e=12, n_i=4)


@pytest.mark.parametrize("changes, message", [
    (dict(duration=70 * second), "whole number of segments"),
    (dict(n_e=10, n_i=4), "n_e (10) must be a multiple of n_i (4)"),
    (dict(test_trials=0), "test_trials must be at least 1"),
    (dict(decoder_duration=0.1 * ms), "decoder_duration needs at least 2 steps"),
])
def test_bad_parameters_are_refused_with_one_line(changes, message):
    with pytest.raises(ModelError) as info:
        Params(**changes)
    assert message in str(info.value)


def test_quick_settings_are_those_of_the_golden_runs():
    """--quick learns 4 s in 2 segments, as when the golden digests were recorded; the memory
    estimate grows with the run."""
    q = Params.quick()
    assert q.n_segments() == 2 and q.steps(q.decoder_duration) == 10_000
    assert (q.error_trials, q.test_directions, q.test_trials) == (2, 4, 4)
    assert q.recorded_bytes() < Params().recorded_bytes() < 4e9


def test_e_input_currents_by_hand():
    """Two E neurons, one I neuron, 1-ms bins of 0.1-ms steps; every term computed by hand."""
    weights = dict(f=np.array([[1.0, -2.0]]),                 # one input, (inputs, N_E)
                   w_ee=np.array([[-0.02, 0.5], [0.25, -0.02]]),
                   w_ie=np.array([[-0.3], [-0.6]]), w_ii=np.array([[-0.5]]))
    stimulus = np.full((30, 1), 4.0)                             # 3 bins of input 4/s
    spikes = {"exc": (np.array([0, 1]), np.array([10.0005, 10.0015])),  # bins 0 and 1
              "inh": (np.array([0]), np.array([10.0025]))}              # bin 2
    exc, inh = e_input_currents(spikes, weights, stimulus, 10.0, 1e-4)
    assert exc.shape == inh.shape == (3, 2)
    # neuron 0: input +4; E spike of neuron 1 (bin 1) * 0.5 / 1 ms; the autapse is left out
    np.testing.assert_allclose(exc[:, 0], [4.0, 4.0 + 500.0, 4.0])
    np.testing.assert_allclose(inh[:, 0], [0.0, 0.0, -300.0])
    # neuron 1: input -8 is inhibitory; E spike of neuron 0 (bin 0) * 0.25 / 1 ms
    np.testing.assert_allclose(exc[:, 1], [250.0, 0.0, 0.0])
    np.testing.assert_allclose(inh[:, 1], [-8.0, -8.0, -8.0 - 600.0])


def test_evaluation_noise_reaches_only_the_e_population():
    with Simulation("balanced-ei-noise", target="numpy", seed=1) as sim:
        objs = build_network(sim, n_inputs=N_INPUTS, n_e=N_E, n_i=N_I,
                             stimulus_values=np.zeros((2, N_INPUTS)), stimulus_dt=1 * ms,
                             sigma_v_exc=0.001,
                             **rule_parameters(PARAMS.replace(sigma_v=0.002)))
        assert objs["exc"].sigma_v[:] == 0.001
        assert objs["inh"].sigma_v[:] == 0.002


def test_the_figure_draws_from_a_synthetic_result():
    """The figure reads only what the model writes: a small made-up run is enough."""
    from figures.balanced_ei import draw

    rng = np.random.default_rng(0)
    n_e, n_i, n_dir = 20, 5, 4
    t = np.array([0.0, 2.0, 4.0])
    traces = dict(checkpoint_time=t, coding_error_e=np.array([0.4, 0.1, 0.05]),
                  coding_error_i=np.array([0.3, 0.2, 0.1]), rate_e_hz=np.array([20, 12, 10.0]),
                  rate_i_hz=np.array([70, 40, 30.0]), tuning_final=rng.uniform(0, 20, (n_e, n_dir)),
                  projection=rng.standard_normal((n_dir, n_e)),
                  excitatory_example_final=rng.uniform(0, 50, 1000),
                  inhibitory_example_final=-rng.uniform(0, 50, 1000))
    for tag in ("initial", "final"):
        traces.update({f"cv_isi_{tag}": rng.uniform(0, 2, (n_e, n_dir)),
                       f"fano_{tag}": rng.uniform(0, 2, (n_e, n_dir)),
                       f"excitatory_mean_{tag}": rng.uniform(0, 50, n_e),
                       f"inhibitory_mean_{tag}": -rng.uniform(0, 50, n_e)})
    spikes = {}
    for pop, n in (("exc", n_e), ("inh", n_i)):
        for tag in ("initial", "final"):
            spikes[f"{pop}_{tag}"] = (rng.integers(0, n, 300), np.sort(rng.uniform(0, 2, 300)))
    metrics = dict(learning_time_s=4.0, balance_correlation_median=0.9,
                   balance_correlation_median_initial=-0.5,
                   balance_correlation_protocol_median=0.7)
    result = RunResult("balanced-ei", {}, metrics=metrics, traces=traces, spikes=spikes)
    fig = draw({"": result}, title="synthetic")
    assert len(fig.axes) >= 10


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 5 (blocked): at 800 s the published algorithm "
                   "gives CV 0.67, Fano 0.48 and an initial error of 0.25 (docs/results.md)")
def test_balanced_ei_800s(tmp_path, cache_dir):
    """Issue 5: errors below 0.05 (from ~0.4), E rate below 10 Hz, CV > 0.7, Fano > 0.5.
    Slow: 800 s of learning and the full protocol (about 6 minutes on 2 cores)."""
    spikerules("run", "balanced-ei", "--duration", "800s", "--seed", "1", "--out",
               tmp_path / "run", cache=cache_dir, timeout=7200)
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["coding_error_e_initial"] > 0.3
    assert m["coding_error_e_final"] < 0.05 and m["coding_error_i_final"] < 0.05
    assert m["rate_e_final_hz"] < 10
    assert m["cv_isi_median"] > 0.7 and m["fano_median"] > 0.5
    assert m["balance_correlation_median"] > 0.8


@pytest.mark.slow
def test_numpy_loop_learns_as_the_model_over_800s(tmp_path, cache_dir):
    """800 s of learning (seed 1) in Brian2 and in the NumPy loop of Algorithm 2, from the same
    initial weights on the same input (each with its own noise); the loop's weights are tested
    by the model's own evaluation and protocol. The statistics must agree within the spread
    between seeds of the Brian2 model (seeds 1-3: CV 0.664-0.670, Fano 0.45-0.48, E rate
    9.0-9.6 Hz). A loop that is independent of Brian2 and reaches the same numbers shows that
    the model's statistics at 800 s are those of the algorithm, not of its Brian2 form.
    Slow: the loop alone takes hours of NumPy."""
    p = Params(duration=800 * second)
    kw = reference_keywords(p)
    seg_steps = p.steps(p.segment)
    weights = start(p).weights
    state, rng = {}, np.random.default_rng([p.seed, 10**7])
    for k in range(p.n_segments()):  # the model's learning input, segment by segment
        stimulus = noise_input(p, np.random.default_rng([p.seed, k]), seg_steps)
        *_, weights = algorithm2(weights, stimulus, rng=rng, state=state, **kw)
    # the loop's end state in the model's checkpoint layout (only the weights are used here)
    loop_state = {("exc", "v"): state["v_e"], ("exc", "r"): state["r_e"],
                  ("exc", "cbar_i"): state["cbar_i"], ("inh", "v"): state["v_i"],
                  ("inh", "r"): state["r_i"], ("inputs", "x"): state["cbar_e"]}
    for pop in ("exc", "inh"):
        loop_state[(pop, "lastspike")] = (state["last_" + pop[0]] - seg_steps) * kw["dt"]
    loop_state[("exc", "spiked")] = np.zeros(p.n_e)
    assert set(loop_state) == set(STATE)
    ckpt = tmp_path / "loop.npz"
    save_checkpoint(ckpt, segment=p.n_segments(), time_s=800.0, weights=weights,
                    state=loop_state, seed=p.seed)
    runs = {}
    for name, extra in (("brian2", ()), ("loop", ("--set", f"resume={ckpt}"))):
        spikerules("run", "balanced-ei", "--duration", "800s", "--seed", p.seed,
                   "--out", tmp_path / name, *extra, cache=cache_dir, timeout=3600)
        runs[name] = json.loads((tmp_path / name / "metrics.json").read_text())
    keys = dict(cv_isi_median=0.03, fano_median=0.05, cv_isi_official=0.03,
                fano_official=0.05, rate_e_final_hz=1.5, rate_i_final_hz=4.0,
                coding_error_e_final=0.01, coding_error_i_final=0.02,
                balance_correlation_median=0.05)
    for key, tol in keys.items():
        b, n = runs["brian2"][key], runs["loop"][key]
        print(f"{key}: Brian2 {b:.3f}, NumPy loop {n:.3f}")
        assert abs(b - n) < tol, (key, b, n)
