"""The QIF network of Huh & Sejnowski (2018) in Brian2: equations and builder.

The equations of ``reference.py`` with ``method="euler"``: Brian2 generates the same forward
Euler update as ``reference.forward``, and the recurrent current, a summed variable, is
updated before the state update, as I_n = I0 + W s_n + U x_n is there. Trained parameters
re-simulated here give the NumPy spikes exactly and its readout to rounding (tests). Nothing
here is plastic: the parameters are trained in NumPy, and Brian2 runs the trained network.
"""

import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, Synapses, defaultclock, second

from models.common.device import Simulation

#: phase v (a spike when it passes pi, then it wraps by 2 pi), gated synaptic activity s
EQUATIONS = """
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

#: the recurrent current W s, summed over presynaptic neurons
RECURRENT = "w : 1\nI_rec_post = w * s_pre : 1 (summed)"


def block_diagonal(n, copies):
    """(pre, post) indices of ``copies`` all-to-all blocks of ``n`` neurons, each block in
    the order of ``W.ravel()`` (W[post, pre])."""
    block = np.arange(copies)[:, None, None] * n
    pre = (block + np.arange(n)[None, None, :]).repeat(n, axis=1)   # (copies, post, pre)
    post = (block + np.arange(n)[None, :, None]).repeat(n, axis=2)
    return pre.ravel(), post.ravel()


def build_network(sim, params, x, const, v0, s0):
    """The network with ``params`` (U, W, I0 of ``reference.init_parameters``) on inputs x.

    The B trials of x (T, B, K) run side by side as B copies of the network (block-diagonal
    recurrent synapses) from phases v0 and activities s0 (B, N); ``const`` is the
    ``reference.Constants`` of the NumPy run. Returns dict(input_current (the TimedArray of
    U x), qif (NeuronGroup), recurrent (Synapses)).
    """
    U, W, I0 = (np.asarray(params[k], dtype=float) for k in ("U", "W", "I0"))
    T, B, _ = x.shape
    N = W.shape[0]
    drive = np.einsum("tbk,nk->tbn", x, U).reshape(T, B * N)
    defaultclock.dt = const.dt * second
    input_current = sim.timed_array(drive, dt=const.dt * second, name="input_current")
    group = NeuronGroup(B * N, EQUATIONS, threshold="v >= pi", reset="v -= 2*pi",
                        method="euler", name="qif")
    group.tau_v = const.tau_v * second
    group.tau_s = const.tau_s * second
    group.delta = const.delta
    group.gate_cos = const.gate_cos
    sim.set_values(group.I0, np.tile(I0, B))
    sim.set_values(group.v, np.asarray(v0, dtype=float).ravel())
    sim.set_values(group.s, np.asarray(s0, dtype=float).ravel())
    rec = Synapses(group, group, RECURRENT, name="recurrent_w")
    pre, post = block_diagonal(N, B)
    rec.connect(i=pre, j=post)
    sim.set_values(rec.w, np.tile(W.ravel(), B))
    return dict(input_current=input_current, qif=group, recurrent=rec)


def simulate(params, x, const, v0, s0, *, device="cpp", seed=1, name="gradient-snn",
             build_only=False):
    """Run :func:`build_network` over the T steps of x on ``device``.

    Returns dict(s (T, B, N) = s_{n+1}, o (T, B, M) = s O^T, spikes (T, B, N) bool: v passed
    pi in step n, timings); only the timings when ``build_only``.
    """
    T, B, _ = x.shape
    N = np.shape(params["W"])[0]
    code = dict(n=N, trials=B, steps=T, dt=const.dt)
    with Simulation(name, target=device, seed=seed, code_params=code,
                    build_only=build_only) as sim:
        objs = build_network(sim, params, x, const, v0, s0)
        # s after each step's update (o_n = O s_{n+1}), as the NumPy readout
        mon = StateMonitor(objs["qif"], "s", record=True, when="end", name="activity")
        spikes = SpikeMonitor(objs["qif"], name="spikes")
        net = sim.network(objs["qif"], objs["recurrent"], mon, spikes)
        sim.run(net, T * const.dt * second, namespace={"input_current": objs["input_current"]})
        sim.finish()
        if sim.build_only:
            return dict(timings=dict(sim.timings))
        s = np.asarray(mon.s[:]).T.reshape(T, B, N)
        spike_i = np.asarray(spikes.i[:])
        spike_step = np.rint(np.asarray(spikes.t[:] / second) / const.dt).astype(int)
    raster = np.zeros((T, B * N), dtype=bool)
    raster[spike_step, spike_i] = True
    O = np.asarray(params["O"], dtype=float)
    return dict(s=s, o=s @ O.T, spikes=raster.reshape(T, B, N), timings=dict(sim.timings))
