"""predictive-dynamics: the optimal weights by hand, parameter checks, tracking at quick scale,
and its figure from a synthetic result. (Runtime against C++, the seed reusing the compiled
project and the 10-s acceptance run are in test_standalone.py; messages in test_cli.py.)"""

import numpy as np
import pytest
from brian2 import ms, second

from analysis.io import RunResult
from models.common import ModelError
from models.common.signals import pulse_command
from models.common.systems import SYSTEMS
from models.predictive_dynamics import Params, run
from models.predictive_dynamics.experiment import draw_inputs
from models.predictive_dynamics.network import optimal_weights


def test_optimal_weights_by_hand():
    """Gamma = [[0.3, 0], [0.4, 0.5]]: |Gamma_1|^2 = 0.25, |Gamma_2|^2 = 0.25, Gamma_1.Gamma_2
    = 0.2; with lam_d = 10, mu = 1e-2, nu = 1e-1: mu lam_d^2 = 1, nu lam_d = 1."""
    gamma = np.array([[0.3, 0.0], [0.4, 0.5]])
    a = np.array([[-1.0, 2.0], [0.0, -3.0]])
    omega_f, omega_s, thresholds = optimal_weights(gamma, a, 10.0, 1e-2, 1e-1)
    np.testing.assert_allclose(omega_f, [[1.25, 0.2], [0.2, 1.25]])
    # Gamma^T (A + 10 I) Gamma with A + 10 I = [[9, 2], [0, 7]]
    np.testing.assert_allclose(omega_s, [[0.3 * 9 * 0.3 + 0.3 * 2 * 0.4 + 0.4 * 7 * 0.4,
                                          0.3 * 2 * 0.5 + 0.4 * 7 * 0.5],
                                         [0.5 * 7 * 0.4, 0.5 * 7 * 0.5]])
    np.testing.assert_allclose(thresholds, [0.5 * (1 + 1 + 0.25)] * 2)


def test_inputs_are_decoding_vectors_of_the_set_length_then_pulses():
    p = Params(duration=1.2 * second, n_neurons=7, gamma_norm=0.05, seed=4)
    inputs = draw_inputs(p)
    np.testing.assert_allclose(np.linalg.norm(inputs.gamma, axis=0), 0.05)
    np.testing.assert_array_equal(inputs.a, SYSTEMS["oscillator"])
    # the pulses come after Gamma from the same generator
    rng = np.random.default_rng(4)
    rng.standard_normal((2, 7))
    expected = pulse_command(rng, 12000, 2, 1e-4, amplitude=20.0, interval=1.0, width=0.05)
    np.testing.assert_array_equal(inputs.command, expected)
    assert np.count_nonzero(np.abs(inputs.command).sum(axis=1)) == 2 * 500  # 2 x 50 ms


def test_bad_parameters_are_reported():
    with pytest.raises(ModelError, match="system must be one of oscillator, differentiator, "
                                         "not 'integrator'"):
        Params(system="integrator")
    with pytest.raises(ModelError, match="at least 10 time steps"):
        Params(duration=0.5 * ms)
    with pytest.raises(ModelError, match="n_neurons must be at least 2"):
        Params(n_neurons=1)


def test_quick_run_tracks_the_oscillator(cache_dir):
    """Acceptance at quick scale (2 s, C++): the readout follows x with error <= 0.05 at
    plausible rates, one spike per step at most."""
    result = run(Params.quick(device="cpp"))
    m = result.metrics
    assert m["tracking_error"] <= 0.05
    assert m["max_spikes_per_step"] == 1
    assert 1 < m["rate_mean_hz"] < 50
    assert result.traces["x"].shape == result.traces["xhat"].shape == (2000, 2)
    assert m["n_spikes"] == len(result.spikes["neurons"][0])


def test_the_figure_draws_from_a_synthetic_result():
    """The figure reads only what the model writes: a small made-up run is enough."""
    from figures.predictive_dynamics import RUNS, draw

    rng = np.random.default_rng(0)
    t = np.arange(0, 1, 1e-3)
    traces = dict(t=t, x=rng.standard_normal((len(t), 2)), xhat=rng.standard_normal((len(t), 2)),
                  command=rng.standard_normal((len(t), 2)), rates_hz=rng.uniform(0, 20, 50))
    spikes = (rng.integers(0, 50, 300), np.sort(rng.uniform(0, 1, 300)))
    result = RunResult("predictive-dynamics", {}, metrics={"tracking_error": 0.01},
                       traces=traces, spikes={"neurons": spikes})
    fig = draw({"": result}, title="synthetic")
    assert len(fig.axes) == 4
    assert [(r.directory, r.prefix) for r in RUNS] == [("run", "")]
