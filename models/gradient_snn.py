"""Gradient descent for spiking networks (Huh & Sejnowski 2018): network, exact gradient, Adam.

Quadratic integrate-and-fire neurons in phase form and the gated, differentiable synapse:

    tau_v dv/dt = (1 - cos v) + (1 + cos v) I          (a spike: v passes pi; v is an angle)
    ds/dt       = -s / tau_s + g(v) dv/dt              (g = 1/Delta where cos v < -cos(Delta/2))
    I           = I0 + W s + U x(t),        o = O s    (readout)

``s`` is the paper's synaptic activity times ``tau_s``: a full passage through the active zone
(|v - pi| < Delta / 2) adds 1 to s (exactly in continuous time; the Euler steps below are off
by up to one step's share, dv / Delta), which then decays with ``tau_s``; a partial entry adds
a graded amount. No reset: v wraps from pi to -pi, and f and g are 2 pi periodic, so the
dynamics are smooth everywhere except at the two edges of the boxcar gate.

The discretised system is forward Euler with step dt (the same update Brian2's ``euler`` method
generates, so the Brian2 re-simulation of ``brian2_network`` follows it step for step):

    I_n     = I0 + W s_n + U x_n
    dv_n    = dt / tau_v ((1 - cos v_n) + (1 + cos v_n) I_n)
    s_{n+1} = (1 - dt / tau_s) s_n + g(v_n) dv_n
    v_{n+1} = v_n + dv_n  (minus 2 pi when it reaches pi: a spike)
    o_n     = O s_{n+1}

``gradients`` is the exact gradient of a loss on o_n through these steps (backpropagation
through time; g' is zero wherever it exists, and the wrap has derivative 1), checked against
finite differences in the tests. Everything is float64 NumPy over a batch of trials.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

TWO_PI = 2 * np.pi
PARAMETER_NAMES = ("U", "W", "O", "I0")


@dataclass(frozen=True)
class Constants:
    """Time constants and gate of the discretised network (plain floats, seconds)."""

    dt: float = 1e-3
    tau_v: float = 10e-3
    tau_s: float = 20e-3
    delta: float = 1.0

    @property
    def k(self):
        return self.dt / self.tau_v

    @property
    def decay(self):
        return 1.0 - self.dt / self.tau_s

    @property
    def gate_cos(self):
        """cos v below this value: inside the active zone."""
        return -np.cos(self.delta / 2)


def init_parameters(rng, n_in, n, n_out, *, u_scale=1.0, w_scale=0.0, self_excitation=0.0,
                    i0_mean=0.0, i0_spread=0.0, o_scale=0.0):
    """U ~ N(0, u_scale^2), W ~ N(0, w_scale^2 / n) + self_excitation on the diagonal,
    I0 ~ U(mean +- spread), O ~ N(0, o_scale^2 / n)."""
    return dict(
        U=u_scale * rng.standard_normal((n, n_in)),
        W=w_scale / np.sqrt(n) * rng.standard_normal((n, n)) + self_excitation * np.eye(n),
        O=o_scale / np.sqrt(n) * rng.standard_normal((n_out, n)),
        I0=i0_mean + i0_spread * rng.uniform(-1, 1, n),
    )


def initial_state(rng, batch, n):
    """Random phases in the subthreshold half of the circle, no synaptic activity."""
    return rng.uniform(-np.pi, 0.0, (batch, n)), np.zeros((batch, n))


@dataclass
class Trajectory:
    """Everything one forward pass keeps for the backward pass and for plots.

    x : (T, B, K) inputs; s : (T + 1, B, N) synaptic activity (s[0] initial);
    v : (T + 1, B, N) phases; current : (T, B, N) I_n; o : (T, B, M) readout o_n = O s_{n+1};
    spikes : (T, B, N) bool, v reached pi in step n (spike time (n + 1) dt).
    """

    x: np.ndarray
    s: np.ndarray
    v: np.ndarray
    current: np.ndarray
    o: np.ndarray
    spikes: np.ndarray


def forward(params, x, const, v0, s0):
    """Run the discretised network over inputs x (T, B, K) from phases v0 and activity s0."""
    U, W, O, I0 = (params[k] for k in PARAMETER_NAMES)
    T, B, _ = x.shape
    N = W.shape[0]
    k, a, gc, inv_delta = const.k, const.decay, const.gate_cos, 1.0 / const.delta
    s = np.empty((T + 1, B, N))
    v = np.empty((T + 1, B, N))
    current = np.einsum("tbk,nk->tbn", x, U) + I0
    spikes = np.zeros((T, B, N), dtype=bool)
    s[0], v[0] = s0, v0
    WT = W.T
    for n in range(T):
        vn = v[n]
        cur = current[n]
        cur += s[n] @ WT
        c = np.cos(vn)
        dv = k * ((1.0 - c) + (1.0 + c) * cur)
        s[n + 1] = a * s[n] + (c < gc) * dv * inv_delta
        vnew = vn + dv
        crossed = vnew >= np.pi
        spikes[n] = crossed
        vnew[crossed] -= TWO_PI
        v[n + 1] = vnew
    o = s[1:] @ O.T
    return Trajectory(x=x, s=s, v=v, current=current, o=o, spikes=spikes)


def gradients(params, traj, dl_do, const, dl_dcurrent=None):
    """Exact gradient of a loss L(o, I) through the Euler steps.

    dl_do : dL/do_n (T, B, M); dl_dcurrent : optional direct dL/dI_n (T, B, N) (a cost on
    the currents).

    Returns {name: dL/dparam} for U, W, O, I0.
    """
    U, W, O, I0 = (params[k] for k in PARAMETER_NAMES)
    T, B, N = traj.current.shape
    k, a, gc, inv_delta = const.k, const.decay, const.gate_cos, 1.0 / const.delta
    g_s = np.zeros((B, N))     # dL/ds_{n+1}
    g_v = np.zeros((B, N))     # dL/dv_{n+1}
    g_current = np.empty((T, B, N))
    from_readout = dl_do @ O   # (T, B, N): dL/ds_{n+1} through o_n
    for n in range(T - 1, -1, -1):
        vn = traj.v[n]
        cur = traj.current[n]
        c = np.cos(vn)
        g_s += from_readout[n]
        g_dv = g_s * ((c < gc) * inv_delta) + g_v
        g_cur = g_dv * (k * (1.0 + c))
        if dl_dcurrent is not None:
            g_cur += dl_dcurrent[n]
        g_current[n] = g_cur
        g_v = g_v + g_dv * (k * np.sin(vn) * (1.0 - cur))
        g_s = a * g_s + g_cur @ W
    flat = g_current.reshape(T * B, N)
    return dict(
        U=flat.T @ traj.x.reshape(T * B, -1),
        W=flat.T @ traj.s[:-1].reshape(T * B, N),
        O=dl_do.reshape(T * B, -1).T @ traj.s[1:].reshape(T * B, N),
        I0=flat.sum(axis=0),
    )


def squared_error(o, target, weight):
    """L = sum(weight (o - target)^2) and dL/do; weight (T, B) or (T, B, M) holds the norm."""
    diff = o - target
    if weight.ndim == 2:
        weight = weight[:, :, None]
    return float(np.sum(weight * diff ** 2)), 2.0 * weight * diff


def current_cost(current, const, weight, margin=0.5):
    """Cost on currents that would make the Euler step overshoot, and its gradient dL/dI.

    The step v -> v + dv is monotone in v while k |1 - I| < 1 (k = dt / tau_v); beyond that
    it overshoots, and its derivative (which the exact gradient multiplies over time) changes
    sign and grows. L = weight * mean(relu(|1 - I| - margin / k)^2).
    """
    excess = np.abs(current - 1.0) - margin / const.k
    over = np.maximum(excess, 0.0)
    scale = weight / current.size
    return float(scale * np.sum(over ** 2)), 2.0 * scale * over * np.sign(current - 1.0)


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015) on a dict of arrays, after clipping the global gradient norm."""

    lr: float = 1e-2
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    clip: float = 1.0
    step: int = 0
    m: dict = field(default_factory=dict)
    v: dict = field(default_factory=dict)

    def update(self, params, grads):
        norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
        scale = min(1.0, self.clip / norm) if self.clip > 0 and norm > 0 else 1.0
        self.step += 1
        for name, g in grads.items():
            g = g * scale
            m = self.m.get(name, 0.0) * self.beta1 + (1 - self.beta1) * g
            v = self.v.get(name, 0.0) * self.beta2 + (1 - self.beta2) * g * g
            self.m[name], self.v[name] = m, v
            m_hat = m / (1 - self.beta1 ** self.step)
            v_hat = v / (1 - self.beta2 ** self.step)
            params[name] = params[name] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return norm


class Progress:
    """One-line progress bar with the loss on stderr (a line per update when not a terminal)."""

    def __init__(self, total, label, every=None):
        self.total, self.label = total, label
        self.every = every or max(1, total // 20)
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def __call__(self, i, loss, extra=""):
        done = i + 1
        if not (self.tty or done % self.every == 0 or done == self.total):
            return
        width = 30
        bar = "#" * int(width * done / self.total)
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / done * (self.total - done)
        line = (f"{self.label} [{bar:<{width}}] {done}/{self.total} loss {loss:.4g}{extra} "
                f"({elapsed:.0f} s, {eta:.0f} s left)")
        if self.tty:
            print("\r" + line, end="\n" if done == self.total else "", file=sys.stderr,
                  flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


# -- training ------------------------------------------------------------------------------
def train(params, batch, const, *, rng, iterations, batch_size, lr, clip, current_weight,
          validation, eval_every, label):
    """Adam on the exact gradient; keeps the parameters with the lowest validation loss.

    batch(rng, size) -> (x (T, B, K), target (T, B, M), weight (T, B)): the task's trials;
    the loss is sum(weight (o - target)^2), so the weight holds the normalisation (NMSE or
    MSE). validation : (x, target, weight, v0, s0), a fixed batch. A step whose gradient is
    not finite is skipped (counted in the history). Returns (best params, history dict).
    """
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    opt = Adam(lr=lr, clip=clip)
    progress = Progress(iterations, label)
    history = dict(iteration=[], loss=[], grad_norm=[], eval_iteration=[], validation_loss=[],
                   skipped=0)
    best, best_loss = None, np.inf

    def validate(i):
        nonlocal best, best_loss
        x, target, weight, v0, s0 = validation
        loss, _ = squared_error(forward(params, x, const, v0, s0).o, target, weight)
        history["eval_iteration"].append(i)
        history["validation_loss"].append(loss)
        if loss < best_loss:
            best, best_loss = {k: v.copy() for k, v in params.items()}, loss
        return loss

    val = validate(0)
    for i in range(iterations):
        x, target, weight = batch(rng, batch_size)
        v0, s0 = initial_state(rng, batch_size, params["W"].shape[0])
        traj = forward(params, x, const, v0, s0)
        loss, dl_do = squared_error(traj.o, target, weight)
        _, dl_dcur = current_cost(traj.current, const, current_weight)
        grads = gradients(params, traj, dl_do, const, dl_dcurrent=dl_dcur)
        if not all(np.all(np.isfinite(g)) for g in grads.values()):
            history["skipped"] += 1
            continue
        norm = opt.update(params, grads)
        history["iteration"].append(i + 1)
        history["loss"].append(loss)
        history["grad_norm"].append(norm)
        if (i + 1) % eval_every == 0 or i + 1 == iterations:
            val = validate(i + 1)
        progress(i, loss, f", validation {val:.4g} (best {best_loss:.4g})")
    history = {k: np.asarray(v) if isinstance(v, list) else v for k, v in history.items()}
    return best, history


def train_and_test(params0, batch, const, *, test, **train_options):
    """``train``, then run the initial and the trained network on test = (x, v0, s0).

    Returns (trained params, history with ``train_s``, initial Trajectory, trained Trajectory).
    """
    t0 = time.perf_counter()
    params, history = train(params0, batch, const, **train_options)
    history["train_s"] = time.perf_counter() - t0
    x, v0, s0 = test
    return params, history, forward(params0, x, const, v0, s0), forward(params, x, const, v0, s0)


# -- Brian2 re-simulation -------------------------------------------------------------------
BRIAN2_EQUATIONS = """
dv/dt = ((1 - cos(v)) + (1 + cos(v)) * I) / tau_v : 1
ds/dt = -s / tau_s + gate * ((1 - cos(v)) + (1 + cos(v)) * I) / tau_v : 1
gate = int(cos(v) < gate_cos) / delta : 1
I = I0 + input_current(t, i) + I_rec : 1
I_rec : 1
I0 : 1
tau_v : second (shared, constant)
tau_s : second (shared, constant)
delta : 1 (shared, constant)
gate_cos : 1 (shared, constant)
"""


def brian2_network(params, x, const, v0, s0, *, device="cpp", seed=1, name="gradient-snn"):
    """Re-simulate trained weights in Brian2: the equations above, forward Euler.

    The B trials of x (T, B, K) run side by side as B copies of the network (block-diagonal
    recurrent synapses), from the same initial phases and activities as the NumPy run.
    Returns dict(s (T, B, N) = s_{n+1}, o (T, B, M), spikes (T, B, N) bool, timings).
    """
    from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, Synapses, defaultclock, second

    from models.device import Simulation

    U, W, O, I0 = (np.asarray(params[k], dtype=float) for k in PARAMETER_NAMES)
    T, B, _ = x.shape
    N = W.shape[0]
    drive = np.einsum("tbk,nk->tbn", x, U).reshape(T, B * N)
    code = dict(n=N, trials=B, steps=T, dt=const.dt)
    with Simulation(name, target=device, seed=seed, code_params=code) as sim:
        defaultclock.dt = const.dt * second
        input_current = sim.timed_array(drive, dt=const.dt * second, name="input_current")
        group = NeuronGroup(B * N, BRIAN2_EQUATIONS, threshold="v >= pi", reset="v -= 2*pi",
                            method="euler", name="qif")
        group.tau_v = const.tau_v * second
        group.tau_s = const.tau_s * second
        group.delta = const.delta
        group.gate_cos = const.gate_cos
        sim.set_values(group.I0, np.tile(I0, B))
        sim.set_values(group.v, np.asarray(v0, dtype=float).ravel())
        sim.set_values(group.s, np.asarray(s0, dtype=float).ravel())
        rec = Synapses(group, group, "w : 1\nI_rec_post = w * s_pre : 1 (summed)",
                       name="recurrent_w")
        block = np.arange(B)[:, None, None] * N
        pre = (block + np.arange(N)[None, None, :]).repeat(N, axis=1)   # (B, post, pre)
        post = (block + np.arange(N)[None, :, None]).repeat(N, axis=2)
        rec.connect(i=pre.ravel(), j=post.ravel())
        sim.set_values(rec.w, np.tile(W.ravel(), B))
        # s after each step's update (o_n = O s_{n+1}), as the NumPy readout
        mon = StateMonitor(group, "s", record=True, when="end", name="activity")
        spikes = SpikeMonitor(group, name="spikes")
        net = sim.network(group, rec, mon, spikes)
        sim.run(net, T * const.dt * second, namespace={"input_current": input_current})
        sim.finish()
        s = np.asarray(mon.s[:]).T.reshape(T, B, N)
        spike_i = np.asarray(spikes.i[:])
        spike_step = np.rint(np.asarray(spikes.t[:] / second) / const.dt).astype(int)
    raster = np.zeros((T, B * N), dtype=bool)
    raster[spike_step, spike_i] = True
    return dict(s=s, o=s @ O.T, spikes=raster.reshape(T, B, N), timings=dict(sim.timings))


# -- shared bookkeeping of the task models ------------------------------------------------
def record_training(result, params0, params, history, iterations):
    """Initial and trained parameters, loss curves and training time into a RunResult."""
    for name in params:
        result.weights[f"{name}_initial"] = params0[name]
        result.weights[f"{name}_final"] = params[name]
    result.traces.update({k: history[k] for k in ("iteration", "loss", "grad_norm",
                                                   "eval_iteration", "validation_loss")})
    train_s = history["train_s"]
    result.metrics.update(train_s=train_s, train_s_per_iteration=train_s / max(iterations, 1),
                          skipped_steps=int(history["skipped"]))


def record_brian2(result, params, const, test, trained, trials, *, device, seed, name):
    """Re-simulate some test trials in Brian2; record how closely it follows the NumPy run.

    ``test`` = (x, v0, s0) as for ``train_and_test``, ``trained`` the NumPy Trajectory of the
    trained network on them, ``trials`` the trials to re-simulate (an index or a slice).
    Returns the Brian2 run (``brian2_network``).
    """
    x, v0, s0 = test
    o_numpy, spikes_numpy = trained.o[:, trials], trained.spikes[:, trials]
    print(f"{name}: re-simulating {o_numpy.shape[1]} test trials in Brian2 [{device}]",
          file=sys.stderr, flush=True)
    b2 = brian2_network(params, x[:, trials], const, v0[trials], s0[trials], device=device,
                        seed=seed, name=name)
    m = result.metrics
    m["brian2_readout_max_diff"] = float(np.max(np.abs(b2["o"] - o_numpy)))
    m["brian2_readout_rel_diff"] = float(np.sqrt(np.sum((b2["o"] - o_numpy) ** 2)
                                                 / np.sum(o_numpy ** 2)))
    m["brian2_spikes_identical"] = bool(np.array_equal(b2["spikes"], spikes_numpy))
    m.update({f"brian2_{k}": float(v) for k, v in b2["timings"].items()})
    result.traces["brian2_o"] = b2["o"]
    return b2
