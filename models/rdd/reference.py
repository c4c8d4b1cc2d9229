"""The feedback phase of ``network.py`` as a plain NumPy loop.

Two uses: the tests check that the Brian2 model (rules as synaptic code) matches this loop
spike for spike and estimate for estimate, given the same drive spikes; and ``spikerules
bench rdd`` compares the Brian2 C++ project against it. It is written the direct way, as the
authors' code is: one vectorised update of every array per time step, the window integral of
the downstream signal accumulated per synapse (``R += q`` for every synapse in a window)
rather than through the running sum Q that the Brian2 version uses.

The order within a step is the Brian2 model's: traces decay and drive arrives; then layer by
layer v and u advance (Euler), spikes, transmission to the next layer, resets; STDWI at
downstream spikes; RDD windows close, the bookkeeping runs, windows open.
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, second

from models.rdd.network import CONSTANTS
from models.rdd.params import steps_per_block


def loop_keywords(p):
    """:func:`simulate`'s keywords for the network and rules of the record ``p`` (an
    ``AlignmentParams``; preset values where it leaves them at none), as plain numbers."""
    p = p.resolved()
    return dict(dt=float(p.dt / second), g_L=float(p.g_L * second), g_D=float(p.g_D * second),
                alpha=p.alpha, refractory_steps=int(round(float(p.refractory / p.dt))),
                steps_per_block=steps_per_block(p.dt), drive_rate=float(p.drive_rate / Hz),
                band=p.band, window_steps=int(round(float(p.window / p.dt))),
                eta_rdd=p.eta_rdd, eta_stdwi=p.eta_stdwi, decay_stdwi=p.decay_stdwi,
                eta_mirror=p.eta_mirror, decay_mirror=p.decay_mirror, rules=p.rule_names)


def constants():
    """The fixed part of the model (``network.CONSTANTS``) as plain numbers (s)."""
    return {k: float(v / second) if k.startswith("tau") else v for k, v in CONSTANTS.items()}


def simulate(*, weights_hat, driven_layer, drive_on, steps_per_block, n_steps, dt,
             g_L, g_D, alpha, refractory_steps, drive_rate, band, window_steps, eta_rdd,
             eta_stdwi, decay_stdwi, eta_mirror, decay_mirror, rules, initial=None,
             drive=None, rng=None, plain=False):
    """Run the network; all quantities in seconds and hertz, plain floats (the keywords of
    :func:`loop_keywords`; the fixed constants are the network's).

    ``weights_hat``: the spiking layer's weights (n_out x n_in per layer pair).
    ``drive``: drive spike counts (n_steps, N) to replay (the Brian2 run's); otherwise they are
    drawn from ``rng``. ``plain``: compute every quantity from its definition each step, as
    the authors' code does: the input B = W_hat p as a matrix-vector product of all filtered
    presynaptic spikes, instead of adding the weights of the neurons that fired. The numbers
    are the same up to rounding. Returns ([(spike indices, spike times) per layer], final
    estimator states).
    """
    loop = Loop(weights_hat, rules=rules, initial=initial, plain=plain, dt=dt, g_L=g_L,
                g_D=g_D, alpha=alpha, refractory_steps=refractory_steps, band=band,
                window_steps=window_steps, eta_rdd=eta_rdd, eta_stdwi=eta_stdwi,
                decay_stdwi=decay_stdwi, eta_mirror=eta_mirror, decay_mirror=decay_mirror,
                **constants())
    for step in range(n_steps):
        t = step * dt
        block = step // steps_per_block
        if drive is not None:
            n_drive = drive[step]
        else:
            n_drive = rng.poisson(drive_rate * dt * drive_on[block])
        q = loop.start(n_drive)
        if step % steps_per_block == 0:
            loop.new_block(t)
        fired = loop.layers(step, t, driven_layer[block])
        loop.stdwi(fired)
        loop.close_windows(driven_layer[block])
        loop.open_windows(q)
    return loop.spikes(), loop.est


class Loop:
    """The network's state between steps, and the stages of one step (in this order:
    :meth:`start`, :meth:`new_block` at block starts, :meth:`layers`, :meth:`stdwi`,
    :meth:`close_windows`, :meth:`open_windows`). Constants are attributes (``self.dt``)."""

    def __init__(self, weights_hat, *, rules, initial, plain, **constants):
        vars(self).update(constants)
        self.w_hat, self.rules, self.plain = weights_hat, rules, plain
        sizes = [weights_hat[0].shape[1]] + [w.shape[0] for w in weights_hat]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        n = offsets[-1]
        self.sizes, self.sl = sizes, [slice(offsets[l], offsets[l + 1])
                                      for l in range(len(sizes))]
        self.layer = np.repeat(np.arange(len(sizes)), sizes)
        self.estimating = self.layer < len(sizes) - 1
        self.norm = (self.tau_L - self.tau_s) * 1e3  # the kernel in ms units
        self.dec_L, self.dec_s = np.exp(-self.dt / self.tau_L), np.exp(-self.dt / self.tau_s)
        self.dec_fast = np.exp(-self.dt / self.tau_fast)
        self.dec_slow = np.exp(-self.dt / self.tau_slow)

        self.v = np.full(n, self.v_reset)
        self.u = np.full(n, self.v_reset)
        self.dL, self.dS, self.fL, self.fS, self.oL, self.oS = (np.zeros(n) for _ in range(6))
        self.x_fast, self.x_slow = np.zeros(n), np.zeros(n)
        # plain: each neuron's filtered spikes, kappa(1) at once
        self.pL, self.pS = np.zeros(n), np.zeros(n)
        self.count, self.baseline, self.blocks = np.zeros(n), np.zeros(n), np.zeros(n)
        self.timer = np.zeros(n, dtype=int)
        self.u_max = np.zeros(n)
        self.n_win = np.zeros(n, dtype=int)
        self.last_spike = np.full(n, -10**9)

        self.pairs = range(len(weights_hat))
        self.est = _estimates(sizes, initial or {})
        shape = [(sizes[l], sizes[l + 1]) for l in self.pairs]
        self.R = [np.zeros(shape[l]) for l in self.pairs]      # window integral of q
        self.R_pre = [np.zeros(shape[l]) for l in self.pairs]  # q when the window opened
        self.spike_i = [[] for _ in sizes]
        self.spike_t = [[] for _ in sizes]

    def start(self, n_drive):
        """Kernel traces decay, drive arrives, window integrals grow; returns q."""
        for tr, dec in ((self.dL, self.dec_L), (self.dS, self.dec_s), (self.fL, self.dec_L),
                        (self.fS, self.dec_s), (self.oL, self.dec_L), (self.oS, self.dec_s)):
            tr *= dec
        self.x_fast *= self.dec_fast
        self.x_slow *= self.dec_slow
        self.pL *= self.dec_L
        self.pS *= self.dec_s
        self.dL += n_drive * self.dec_L
        self.dS += n_drive * self.dec_s
        q = (self.oL - self.oS) / self.norm
        if "rdd" in self.rules:
            sl = self.sl
            for l in self.pairs:
                open_rows = self.timer[sl[l]] > 0
                self.R[l][open_rows] += q[sl[l + 1]]
        return q

    def new_block(self, t):
        """Weight mirror: estimates from the last block's counts, then baselines; counts
        start again."""
        sl = self.sl
        if "mirror" in self.rules:
            for l in self.pairs:
                pre, post = sl[l], sl[l + 1]
                cov = np.outer(self.count[pre] - self.baseline[pre],
                               self.count[post] - self.baseline[post])
                y = self.est[f"mirror{l}"]
                y += (self.blocks[pre] > 0)[:, None] * self.eta_mirror * (
                    cov - self.decay_mirror * y)
            if t > 0:
                self.blocks += 1
                self.baseline += (self.count - self.baseline) / np.clip(self.blocks, 1,
                                                                        self.mirror_memory)
        self.count[:] = 0

    def layers(self, step, t, driven):
        """Layer by layer: Euler step, threshold, transmission, reset. Returns who fired."""
        v, u, sl = self.v, self.u, self.sl
        fired = np.zeros(len(v), dtype=bool)
        for l in range(len(self.sizes)):
            s_ = sl[l]
            if self.plain and l > 0:
                below = sl[l - 1]
                ff = self.w_hat[l - 1] @ ((self.pL[below] - self.pS[below]) / self.norm)
            else:
                ff = (self.fL[s_] - self.fS[s_]) / self.norm
            B = (self.alpha * (self.dL[s_] - self.dS[s_]) / self.norm * (l == driven)
                 + ff * (l > driven))
            v_new = v[s_] + self.dt * (-self.g_L * v[s_] + self.g_D * (B - v[s_]))
            u[s_] += self.dt * (-self.g_L * u[s_] + self.g_D * (B - u[s_]))
            v[s_] = v_new
            f = (v[s_] >= self.theta) & (step - self.last_spike[s_] >= self.refractory_steps)
            fired[s_] = f
            self.pL[s_][f] += self.dec_L
            self.pS[s_][f] += self.dec_s
            if not self.plain and l < len(self.w_hat) and f.any():
                add = self.w_hat[l][:, f].sum(axis=1)
                self.fL[sl[l + 1]] += add * self.dec_L
                self.fS[sl[l + 1]] += add * self.dec_s
            self._reset(l, f, step, t)
        return fired

    def _reset(self, l, f, step, t):
        """The resets and spike counters of the neurons ``f`` of layer ``l``."""
        s_ = self.sl[l]
        idx = np.flatnonzero(f)
        self.v[s_][f] = self.v_reset
        self.oL[s_][f] += 1
        self.oS[s_][f] += 1
        self.n_win[s_][f & (self.timer[s_] > 1)] += 1
        self.x_fast[s_][f] += 1
        self.x_slow[s_][f] += self.tau_fast / self.tau_slow
        self.count[s_][f] += 1
        self.last_spike[s_][f] = step
        self.spike_i[l].append(idx)
        self.spike_t[l].append(np.full(idx.size, t))

    def stdwi(self, fired):
        """STDWI at downstream spikes."""
        if "stdwi" not in self.rules:
            return
        sl = self.sl
        for l in self.pairs:
            post_fired = fired[sl[l + 1]]
            if post_fired.any():
                y = self.est[f"stdwi{l}"]
                trace = (self.x_fast - self.x_slow)[sl[l]][:, None]
                y[:, post_fired] += self.eta_stdwi * (trace
                                                      - self.decay_stdwi * y[:, post_fired])

    def close_windows(self, driven):
        """RDD windows of the driven layer that end now update the regressions."""
        learning = (self.layer == driven) & self.estimating
        closing = (self.timer == 1) & learning
        if "rdd" not in self.rules or not closing.any():
            return
        sl, est, eta = self.sl, self.est, self.eta_rdd
        for l in self.pairs:
            rows = np.flatnonzero(closing[sl[l]])
            if rows.size == 0:
                continue
            um = self.u_max[sl[l]][rows][:, None]
            above = (self.n_win[sl[l]][rows] > 0)[:, None].astype(float)
            dR = self.R[l][rows] / self.window_steps - self.R_pre[l][rows]
            m_a, c_a = est[f"rdd{l}_m_above"], est[f"rdd{l}_c_above"]
            m_b, c_b = est[f"rdd{l}_m_below"], est[f"rdd{l}_c_below"]
            err_a = m_a[rows] * um + c_a[rows] - dR
            err_b = m_b[rows] * um + c_b[rows] - dR
            m_a[rows] -= eta * err_a * um * above
            c_a[rows] -= eta * err_a * above
            m_b[rows] -= eta * err_b * um * (1 - above)
            c_b[rows] -= eta * err_b * (1 - above)
            est[f"rdd{l}_beta"][rows] = ((m_a[rows] * self.theta + c_a[rows])
                                         - (m_b[rows] * self.theta + c_b[rows]))

    def open_windows(self, q):
        """The window clock advances, u follows v outside windows, windows open."""
        timer, u = self.timer, self.u
        timer -= timer > 0
        u[:] = np.where(timer > 0, u, self.v)
        opening = (timer == 0) & (np.abs(self.theta - u) <= self.band)
        self.u_max = np.where(opening, u, np.maximum(self.u_max, u))
        self.n_win[opening] = 0
        timer[opening] = self.window_steps
        if "rdd" in self.rules:
            sl = self.sl
            for l in self.pairs:
                rows = opening[sl[l]]
                if rows.any():
                    self.R[l][rows] = 0.0
                    self.R_pre[l][rows] = q[sl[l + 1]]

    def spikes(self):
        """[(spike indices, spike times) per layer]."""
        return [(np.concatenate(i).astype(np.int32), np.concatenate(t))
                for i, t in zip(self.spike_i, self.spike_t)]


def _estimates(sizes, initial):
    """Every estimator's state: as given in ``initial``, zero otherwise."""
    est = {}
    for l in range(len(sizes) - 1):
        shape = (sizes[l], sizes[l + 1])
        for part in ("m_above", "c_above", "m_below", "c_below", "beta"):
            est[f"rdd{l}_{part}"] = np.array(initial.get(f"rdd{l}_{part}", np.zeros(shape)),
                                             dtype=float)
        est[f"stdwi{l}"] = np.array(initial.get(f"stdwi{l}", np.zeros(shape)), dtype=float)
        est[f"mirror{l}"] = np.array(initial.get(f"mirror{l}", np.zeros(shape)), dtype=float)
    return est
