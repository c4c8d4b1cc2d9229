"""The NumPy network of Huh & Sejnowski (2018): forward Euler, exact gradient, Adam.

Both tasks train this network (``experiment.train``), and the Brian2 network of ``network.py``
must follow it spike for spike (tests).

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
generates, so the Brian2 re-simulation of ``network.simulate`` follows it step for step):

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

from dataclasses import dataclass, field

import numpy as np

TWO_PI = 2 * np.pi
#: the trained arrays: input U (N, K), recurrent W (N, N), readout O (M, N), bias I0 (N,)
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
        """One step on ``params`` (in place) from ``grads``; returns the norm before clipping."""
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
