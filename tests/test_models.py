"""Limit cases of the models, run in-process on the Cython runtime."""

import numpy as np
import pytest
from brian2 import second

from analysis.weights import recurrent_weight_distance
from models.balanced_coding import initial_weights, optimal_recurrent, run_balanced_coding

SHORT_EVAL = dict(decoder_duration=5 * second, test_duration=2 * second, test_trials=2)


def test_non_learning_base_network_with_optimal_weights_codes_well():
    """learn=0: Omega = -F^T F - mu I from the start; nothing changes, the code is good."""
    mu = 0.02 / 0.9
    result = run_balanced_coding(device="runtime", learn=False, seed=3, mu=mu, **SHORT_EVAL)
    f0, _ = initial_weights(np.random.default_rng(3), 2, 20)
    np.testing.assert_array_equal(result.weights["F_final"], f0)
    np.testing.assert_allclose(result.weights["Omega_final"], optimal_recurrent(f0, mu))
    m = result.metrics
    expected = recurrent_weight_distance(optimal_recurrent(f0, mu), f0)
    assert m["weight_distance_final"] == pytest.approx(expected, rel=1e-12)
    assert expected < 1e-3
    assert m["coding_error_final"] < 0.02
    assert 2 < m["rate_final_hz"] < 30


def test_checkpoints_are_powers_of_two_and_the_end():
    result = run_balanced_coding(device="runtime", duration=1.5 * second, seed=2, **SHORT_EVAL)
    np.testing.assert_allclose(result.traces["checkpoint_time"],
                               [0, 0.128, 0.256, 0.512, 1.024, 1.5])
    # learning moved the weights towards the optimum at every checkpoint after the first
    assert np.all(np.diff(result.traces["weight_distance"]) < 0)
    assert result.metrics["max_spikes_per_step"] == 1
