"""The eRBP rule against hand-computed weight changes, and the model's pieces."""

import numpy as np
import pytest
from brian2 import NeuronGroup, SpikeGeneratorGroup, TimedArray, ms

from models.device import Simulation
from models.erbp import schedule, classification_errors
from rules.erbp import erbp_synapses, random_feedback

ETA, W0, U = 0.01, 0.3, 0.2


def _one_synapse(is_value, gate, p_syn=1.0, spikes=(1, 3)):
    """One presynaptic neuron spiking at ``spikes`` (ms) onto one neuron whose Is and U hold
    still (no dynamics), so every change comes from the rule."""
    with Simulation("erbp-rule-test", target="runtime") as sim:
        pre = SpikeGeneratorGroup(1, np.zeros(len(spikes), int), np.array(spikes) * ms)
        post = NeuronGroup(1, "Is : 1\nU : 1")
        post.Is, post.U = is_value, U
        syn = erbp_synapses(pre, post, eta=ETA, b_min=-1.15, b_max=1.15, p_syn=p_syn,
                            name="syn")
        syn.w = W0
        learning = TimedArray(np.array([gate, gate]), dt=5 * ms)
        net = sim.network(pre, post, syn)
        sim.run(net, 5 * ms, namespace={"learning": learning})
        return float(syn.w[0]), float(post.Is[0])


def test_gate_open_learning_on():
    """Each spike: w += eta U (learning first), then Is += the new w."""
    w, is_after = _one_synapse(0.5, 1.0)
    w1 = W0 + ETA * U
    w2 = w1 + ETA * U
    assert w == pytest.approx(w2, abs=1e-12)
    assert is_after == pytest.approx(0.5 + w1 + w2, abs=1e-12)


def test_gate_closed():
    """Is above b_max: the weight stays, the spikes are transmitted."""
    w, is_after = _one_synapse(2.0, 1.0)
    assert w == W0
    assert is_after == pytest.approx(2.0 + 2 * W0, abs=1e-12)
    # the first spike lifts Is from 0.9 to 1.2 + eta U: learning stops after it
    w, is_after = _one_synapse(0.9, 1.0)
    assert w == pytest.approx(W0 + ETA * U, abs=1e-12)
    assert is_after == pytest.approx(0.9 + 2 * (W0 + ETA * U), abs=1e-12)
    w, _ = _one_synapse(-2.0, 1.0)  # below b_min (and still after the first spike)
    assert w == W0


def test_learning_window_closed():
    w, is_after = _one_synapse(0.5, 0.0)
    assert w == W0
    assert is_after == pytest.approx(0.5 + 2 * W0, abs=1e-12)


def test_stochastic_synapse_that_never_transmits_never_learns():
    w, is_after = _one_synapse(0.5, 1.0, p_syn=1e-12)
    assert (w, is_after) == (W0, 0.5)


def test_random_feedback_has_zero_mean_over_error_channels():
    g = random_feedback(np.random.default_rng(1), 10, 100)
    assert g.shape == (10, 100)
    np.testing.assert_allclose(g.mean(axis=0), 0, atol=1e-12)
    assert np.abs(g).max() <= 2 * np.sqrt(7 / 110)


def test_schedule_and_test_error_counting():
    kinds, index = schedule(np.random.default_rng(0), n_train=4, n_test=2, epochs=2)
    assert kinds.tolist() == [1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    assert sorted(index[2:6].tolist()) == [0, 1, 2, 3]
    y_test = np.array([1, 2])
    # output spikes (neuron, time in units of samples of 1 s): first pass all wrong or silent,
    # second pass right, third right then silent
    out_i = np.array([0, 0, 2, 1, 1, 2, 1])
    out_t = np.array([0.1, 0.2, 1.5, 6.2, 6.3, 7.9, 12.5])
    errors = classification_errors(out_i, out_t, kinds, index, y_test, 3, 1.0)
    np.testing.assert_allclose(errors, [0.5, 0.0, 0.5])
