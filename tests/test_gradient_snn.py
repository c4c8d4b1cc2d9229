"""Gradient-trained QIF networks (Huh & Sejnowski 2018): exact gradient, limits, Brian2 match."""

import numpy as np
import pytest

from models.gradient_autoencode import autoencode_task, smooth_signal
from models.gradient_snn import (PARAMETER_NAMES, Adam, Constants, brian2_network,
                                 current_cost, forward, gradients, init_parameters,
                                 initial_state, squared_error, train)
from models.gradient_xor import Timeline, decisions, xor_trials


def _small_network(seed=0, n=6, steps=200, batch=2, const=None):
    rng = np.random.default_rng(seed)
    const = const or Constants(dt=1e-3, tau_v=10e-3, tau_s=20e-3, delta=0.5)
    params = init_parameters(rng, 2, n, 2, u_scale=1.5, w_scale=1.0, self_excitation=0.3,
                             i0_mean=0.1, i0_spread=0.3, o_scale=1.0)
    x = smooth_signal(rng, steps, batch, 2, 20.0, 1.0)
    x[:, :, 0] += 3.0 * (np.arange(steps) % 50 < 5)[:, None]  # pulses: large currents too
    target = 0.3 * rng.standard_normal((steps, batch, 2))
    v0, s0 = initial_state(rng, batch, n)
    return params, x, target, const, v0, s0


def _loss(params, x, target, const, v0, s0, current_weight):
    traj = forward(params, x, const, v0, s0)
    loss, dl_do = squared_error(traj.o, target, np.full(x.shape[:2], 1.0 / x[..., 0].size))
    penalty, dl_dcur = current_cost(traj.current, const, current_weight, margin=0.2)
    return loss + penalty, traj, dl_do, dl_dcur


@pytest.mark.parametrize("current_weight", [0.0, 5.0])
def test_gradient_matches_finite_differences(current_weight):
    """Issue 8: exact gradient of the discretised network against central differences,
    6 neurons, float64: relative error below 1e-4 for every parameter array."""
    params, x, target, const, v0, s0 = _small_network()
    loss, traj, dl_do, dl_dcur = _loss(params, x, target, const, v0, s0, current_weight)
    assert traj.spikes.sum() > 20  # the gradient passes through many spikes
    if current_weight:
        assert np.any(dl_dcur != 0)  # the current cost is active
    grads = gradients(params, traj, dl_do, const, dl_dcurrent=dl_dcur if current_weight else None)
    eps = 1e-6
    for name in PARAMETER_NAMES:
        numeric = np.zeros_like(params[name])
        for idx in np.ndindex(params[name].shape):
            up = {k: v.copy() for k, v in params.items()}
            up[name][idx] += eps
            down = {k: v.copy() for k, v in params.items()}
            down[name][idx] -= eps
            numeric[idx] = (_loss(up, x, target, const, v0, s0, current_weight)[0]
                            - _loss(down, x, target, const, v0, s0, current_weight)[0]) / (2 * eps)
        rel = np.linalg.norm(grads[name] - numeric) / np.linalg.norm(numeric)
        assert rel < 1e-4, (name, rel)


def test_single_neuron_limits():
    """Constant I > 0: period close to the QIF's pi tau_v / sqrt(I) (Euler, small dt); each
    passage through the active zone adds about 1 to s; I < 0 from below the unstable fixed
    point: no spike."""
    const = Constants(dt=1e-5, tau_v=10e-3, tau_s=1e9, delta=0.5)  # no decay: s counts charge
    for current in (0.25, 1.0, 4.0):
        params = dict(U=np.zeros((1, 1)), W=np.zeros((1, 1)), O=np.ones((1, 1)),
                      I0=np.array([current]))
        steps = 60_000
        traj = forward(params, np.zeros((steps, 1, 1)), const, np.array([[-np.pi + 1e-9]]),
                       np.zeros((1, 1)))
        spike_steps = np.flatnonzero(traj.spikes[:, 0, 0])
        period = np.diff(spike_steps).mean() * const.dt
        assert period == pytest.approx(np.pi * const.tau_v / np.sqrt(current), rel=2e-3)
        charge = traj.s[spike_steps[-1] + 1, 0, 0] / len(spike_steps)
        assert charge == pytest.approx(1.0, abs=0.01)
    params["I0"] = np.array([-0.5])
    traj = forward(params, np.zeros((5000, 1, 1)), const, np.array([[-1.0]]), np.zeros((1, 1)))
    assert not traj.spikes.any()


def test_adam_clips_and_descends():
    params = dict(a=np.array([3.0, -2.0]))
    opt = Adam(lr=0.1, clip=1.0)
    for _ in range(300):
        norm = opt.update(params, dict(a=2 * params["a"]))
    assert np.all(np.abs(params["a"]) < 0.05)
    assert norm < 1.0


def test_training_lowers_the_autoencoding_error():
    """40 Adam steps on a 20-neuron auto-encoder: the validation NMSE falls from 1 (O = 0)."""
    const = Constants(dt=1e-3, tau_v=10e-3, tau_s=20e-3, delta=0.5)
    batch = autoencode_task(300, 50, 50.0, 1.0)
    rng = np.random.default_rng(5)
    params0 = init_parameters(rng, 2, 20, 2, i0_mean=-0.1)
    val_rng = np.random.default_rng(6)
    validation = (*batch(val_rng, 8), *initial_state(val_rng, 8, 20))
    params, history = train(params0, batch, const, rng=rng, iterations=40, batch_size=8, lr=1e-2,
                            clip=1.0, current_weight=10.0, validation=validation,
                            eval_every=10, label="test")
    assert history["validation_loss"][0] == pytest.approx(1.0)
    assert history["validation_loss"].min() < 0.6
    assert history["skipped"] == 0
    assert not np.array_equal(params["W"], params0["W"])


def test_xor_trials_and_decisions():
    from brian2 import ms

    tl = Timeline(1 * ms, 50 * ms, 50 * ms, 300 * ms, 250 * ms, 250 * ms)
    assert tl.first == (50, 100) and tl.second == (400, 450) and tl.go == (700, 750)
    assert tl.response == (750, 1000) and tl.steps == 1000
    x, target = xor_trials(np.random.default_rng(0), [0, 1, 2, 3], tl, 2.0, 0.0)
    assert x[60, :, 0].tolist() == [-2, 2, -2, 2] and x[420, :, 0].tolist() == [-2, -2, 2, 2]
    assert x[720, :, 1].tolist() == [2, 2, 2, 2] and x[200].sum() == 0
    assert target[0, :, 0].tolist() == [-1, 1, 1, -1]  # XOR of the pulse signs
    o = np.zeros((1000, 4, 1))
    o[750:, :, 0] = [0.5, -0.2, 3, -1]
    o[:750] = 99  # outside the response window: ignored
    assert decisions(o, tl).tolist() == [1, -1, 1, -1]


@pytest.mark.parametrize("device", ["runtime", "cpp"])
def test_brian2_follows_the_numpy_network(device, cache_dir, monkeypatch):
    """The trained weights re-simulated in Brian2 (same equations, forward Euler) give the
    NumPy spikes exactly and the readout to 1e-9."""
    monkeypatch.setenv("SPIKERULES_CACHE", str(cache_dir))
    const = Constants(dt=1e-3, tau_v=10e-3, tau_s=50e-3, delta=0.5)
    params, x, _, const, v0, s0 = _small_network(seed=3, n=8, steps=300, batch=3, const=const)
    traj = forward(params, x, const, v0, s0)
    b2 = brian2_network(params, x, const, v0, s0, device=device, name="test-gradient-snn")
    assert traj.spikes.sum() > 50
    assert np.array_equal(b2["spikes"], traj.spikes)
    assert np.max(np.abs(b2["o"] - traj.o)) < 1e-9
