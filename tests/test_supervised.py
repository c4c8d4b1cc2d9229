"""Supervised learning of dynamics: Brian2 against the NumPy reference, limit cases, contract."""

import numpy as np
import pytest
from brian2 import ms, second

from models.registry import ParameterError
from models.supervised_dynamics import draw_inputs, parse_system, run_supervised_dynamics
from reference_supervised import run_supervised

#: a small network that learns visibly in a short run (noise off: deterministic)
SMALL = dict(n_neurons=8, duration=0.6 * second, test_duration=0.2 * second,
             encoder_norm=0.1, eps_fast=2e-2, eps_slow=0.5 / second, snapshots=3)


def reference(result):
    """The NumPy reference, run through the same three phases as the Brian2 model."""
    p = result.params
    dt = float(p["dt"] / second)
    lam = float(p["lam"] * second)
    per_sample = int(round(float(p["command_dt"] / p["dt"])))
    test_n = int(round(float(p["test_duration"] / p["command_dt"])))
    learn_n = int(round(float(p["duration"] / p["command_dt"])))
    a = np.array(p["A"])
    drawn = draw_inputs(p["seed"], a=a, n_neurons=p["n_neurons"],
                        encoder_norm=p["encoder_norm"], mu=p["mu"], lam_hz=lam,
                        initial=p["initial"], learn_samples=learn_n, test_samples=test_n, dt=dt,
                        sample_dt=float(p["command_dt"] / second),
                        smoothing=float(p["command_smoothing"] / second),
                        target_rms=p["target_rms"])
    common = dict(dt=dt, lam=lam, mu=p["mu"], beta=p["beta"], thresholds=drawn["thresholds"],
                  refractory_steps=int(round(float(p["refractory"] / p["dt"]))),
                  command_every=per_sample)
    cmds = drawn["commands"]
    fast, slow, state = drawn["fast_initial"], drawn["slow_initial"], None
    steps, neurons, offset = [], [], 0
    segments = [(cmds[:test_n], 0.0, 0.0, 0.0),
                (cmds[test_n:test_n + learn_n], float(p["k_gain"] * second), p["eps_fast"],
                 float(p["eps_slow"] * second)),
                (cmds[test_n + learn_n:], 0.0, 0.0, 0.0)]
    for k, (c, k_gain, eps_f, eps_s) in enumerate(segments):
        if state is not None:  # every phase starts from rest
            state = dict(state, v=0 * state["v"], r=0 * state["r"], x=0 * state["x"])
        out = run_supervised(drawn["F"], fast, slow, a, c, k_gain=k_gain, eps_f=eps_f,
                             eps_s=eps_s, state=state, **common)
        fast, slow, state = out["omega_f"], out["omega_s"], out["state"]
        steps.append(out["spike_steps"] + offset)
        neurons.append(out["spike_neurons"])
        offset += len(c) * per_sample
    return np.concatenate(steps), np.concatenate(neurons), fast, slow


def all_spikes(result):
    """(steps, neurons) of every phase, in time order."""
    dt = float(result.params["dt"] / second)
    steps, neurons = [], []
    for phase in result.schedule:
        i, t = result.spikes[phase["phase"]]
        steps.append(np.rint((t + phase["start"]) / dt).astype(int))
        neurons.append(i)
    return np.concatenate(steps), np.concatenate(neurons)


@pytest.fixture(scope="module")
def small_runtime():
    return run_supervised_dynamics(device="runtime", **SMALL)


@pytest.fixture(scope="module")
def small_cpp(cache_dir):
    return run_supervised_dynamics(device="cpp", **SMALL)


@pytest.mark.parametrize("which", ["small_runtime", "small_cpp"])
def test_brian2_follows_the_numpy_reference(which, request):
    result = request.getfixturevalue(which)
    ref_steps, ref_neurons, ref_fast, ref_slow = reference(result)
    steps, neurons = all_spikes(result)
    assert len(steps) > 50  # the comparison has spikes in it
    assert np.array_equal(steps, ref_steps)
    assert np.array_equal(neurons, ref_neurons)
    w = result.weights
    # the learning moved the weights, and it moved them exactly as the reference did
    assert np.abs(w["Omega_fast_final"] - w["Omega_fast_initial"]).max() > 1e-3
    assert np.abs(w["Omega_slow_final"] - w["Omega_slow_initial"]).max() > 1e-3
    np.testing.assert_allclose(w["Omega_fast_final"], ref_fast, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(w["Omega_slow_final"], ref_slow, rtol=1e-9, atol=1e-9)


def test_zero_learning_rates_keep_the_weights(cache_dir):
    result = run_supervised_dynamics(device="cpp", **dict(SMALL, eps_fast=0.0,
                                                          eps_slow=0 / second))
    w = result.weights
    assert len(result.spikes["learning"][0]) > 50
    np.testing.assert_array_equal(w["Omega_fast_final"], w["Omega_fast_initial"])
    np.testing.assert_array_equal(w["Omega_slow_final"], w["Omega_slow_initial"])
    m = result.metrics
    assert m["fast_weight_distance"] == m["fast_weight_distance_initial"]


def test_optimal_weights_track_the_system_without_learning(cache_dir):
    """With -F F^T - mu I and F (A + lam I) D preloaded, K = 0 already reproduces x."""
    result = run_supervised_dynamics(device="cpp", initial="optimal", learn=False,
                                     duration=1 * second, test_duration=3 * second)
    m = result.metrics
    assert m["fast_weight_distance"] == 0 and m["slow_weight_distance"] == 0
    assert m["autonomous_error_initial"] < 0.02
    assert m["autonomous_error"] < 0.02
    assert m["rate_max_hz"] < 100


def test_naive_weights_do_not_produce_the_dynamics(cache_dir):
    result = run_supervised_dynamics(device="cpp", duration=1 * second,
                                     test_duration=3 * second, learn=False)
    m = result.metrics
    assert m["autonomous_error_initial"] > 1
    assert 0.9 < m["fast_weight_distance_initial"] <= 1.0
    assert m["slow_weight_distance_initial"] == 1.0


def test_system_parsing():
    np.testing.assert_array_equal(parse_system("-1,0;0,-2"), [[-1, 0], [0, -2]])
    assert parse_system("oscillator").shape == (2, 2)
    for bad in ("spiral", "1,2;3", "1,2", "a,b;c,d"):
        with pytest.raises(ParameterError):
            parse_system(bad)


def test_bad_parameters_are_reported():
    with pytest.raises(ParameterError, match="command_dt"):
        run_supervised_dynamics(device="runtime", command_dt=0.15 * ms)
    with pytest.raises(ParameterError, match="initial"):
        run_supervised_dynamics(device="runtime", initial="random")
