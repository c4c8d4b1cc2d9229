"""The feedback-phase network of models/rdd_network.py as a plain NumPy loop.

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


def simulate(*, weights_hat, driven_layer, drive_on, steps_per_block, n_steps, dt,
             g_L, g_D, alpha, refractory_steps, theta=1.0, v_reset=-1.0, tau_L=10e-3,
             tau_s=3e-3, drive_rate=200.0, band=0.1, window_steps=30, eta_rdd=1e-3,
             tau_fast=20e-3, tau_slow=200e-3, eta_stdwi=1e-4, decay_stdwi=0.1,
             eta_mirror=1e-4, decay_mirror=0.2, mirror_memory=100,
             rules=("rdd", "stdwi", "mirror"), initial=None, drive=None, rng=None,
             plain=False):
    """Run the network; all quantities in seconds and hertz, plain floats.

    ``weights_hat``: the spiking layer's weights (n_out x n_in per layer pair).
    ``drive``: drive spike counts (n_steps, N) to replay (the Brian2 run's); otherwise they are
    drawn from ``rng``. ``plain``: compute every quantity from its definition each step, as
    the authors' code does: the input B = W_hat p as a matrix-vector product of all filtered
    presynaptic spikes, instead of adding the weights of the neurons that fired. The numbers
    are the same up to rounding. Returns ([(spike indices, spike times) per layer], final estimator
    states).
    """
    sizes = [weights_hat[0].shape[1]] + [w.shape[0] for w in weights_hat]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    n = offsets[-1]
    layer = np.repeat(np.arange(len(sizes)), sizes)
    estimating = layer < len(sizes) - 1
    norm = (tau_L - tau_s) * 1e3  # the kernel in ms units
    dec_L, dec_s = np.exp(-dt / tau_L), np.exp(-dt / tau_s)
    dec_fast, dec_slow = np.exp(-dt / tau_fast), np.exp(-dt / tau_slow)

    v = np.full(n, v_reset)
    u = np.full(n, v_reset)
    dL, dS, fL, fS, oL, oS = (np.zeros(n) for _ in range(6))
    x_fast, x_slow = np.zeros(n), np.zeros(n)
    pL, pS = np.zeros(n), np.zeros(n)  # plain: each neuron's filtered spikes, kappa(1) at once
    count, baseline, blocks = np.zeros(n), np.zeros(n), np.zeros(n)
    timer = np.zeros(n, dtype=int)
    u_max = np.zeros(n)
    n_win = np.zeros(n, dtype=int)
    last_spike = np.full(n, -10**9)

    pairs = range(len(weights_hat))
    shape = [(sizes[l], sizes[l + 1]) for l in pairs]
    initial = initial or {}
    est = {}
    for l in pairs:
        for part in ("m_above", "c_above", "m_below", "c_below", "beta"):
            est[f"rdd{l}_{part}"] = np.array(initial.get(f"rdd{l}_{part}", np.zeros(shape[l])),
                                             dtype=float)
        est[f"stdwi{l}"] = np.array(initial.get(f"stdwi{l}", np.zeros(shape[l])), dtype=float)
        est[f"mirror{l}"] = np.array(initial.get(f"mirror{l}", np.zeros(shape[l])), dtype=float)
    R = [np.zeros(shape[l]) for l in pairs]       # window integral of q, per synapse
    R_pre = [np.zeros(shape[l]) for l in pairs]   # q when the window opened
    sl = [slice(offsets[l], offsets[l + 1]) for l in range(len(sizes))]

    spike_i = [[] for _ in sizes]
    spike_t = [[] for _ in sizes]
    for step in range(n_steps):
        t = step * dt
        block = step // steps_per_block
        # -- start: kernel traces decay, drive arrives, window integrals grow; mirror blocks
        for tr, dec in ((dL, dec_L), (dS, dec_s), (fL, dec_L), (fS, dec_s), (oL, dec_L),
                        (oS, dec_s)):
            tr *= dec
        x_fast *= dec_fast
        x_slow *= dec_slow
        pL *= dec_L
        pS *= dec_s
        if drive is not None:
            n_drive = drive[step]
        else:
            n_drive = rng.poisson(drive_rate * dt * drive_on[block])
        dL += n_drive * dec_L
        dS += n_drive * dec_s
        q = (oL - oS) / norm
        if "rdd" in rules:
            for l in pairs:
                open_rows = timer[sl[l]] > 0
                R[l][open_rows] += q[sl[l + 1]]
        if step % steps_per_block == 0:
            if "mirror" in rules:
                for l in pairs:
                    pre, post = sl[l], sl[l + 1]
                    cov = np.outer(count[pre] - baseline[pre], count[post] - baseline[post])
                    y = est[f"mirror{l}"]
                    y += (blocks[pre] > 0)[:, None] * eta_mirror * (cov - decay_mirror * y)
                if t > 0:
                    blocks += 1
                    baseline += (count - baseline) / np.clip(blocks, 1, mirror_memory)
            count[:] = 0
        # -- groups, layer by layer: Euler step, threshold, transmission, reset
        driven = driven_layer[block]
        fired = np.zeros(n, dtype=bool)
        for l in range(len(sizes)):
            s_ = sl[l]
            if plain and l > 0:
                ff = weights_hat[l - 1] @ ((pL[sl[l - 1]] - pS[sl[l - 1]]) / norm)
            else:
                ff = (fL[s_] - fS[s_]) / norm
            B = alpha * (dL[s_] - dS[s_]) / norm * (l == driven) + ff * (l > driven)
            v_new = v[s_] + dt * (-g_L * v[s_] + g_D * (B - v[s_]))
            u[s_] += dt * (-g_L * u[s_] + g_D * (B - u[s_]))
            v[s_] = v_new
            f = (v[s_] >= theta) & (step - last_spike[s_] >= refractory_steps)
            fired[s_] = f
            pL[s_][f] += dec_L
            pS[s_][f] += dec_s
            if not plain and l < len(weights_hat) and f.any():
                add = weights_hat[l][:, f].sum(axis=1)
                fL[sl[l + 1]] += add * dec_L
                fS[sl[l + 1]] += add * dec_s
            idx = np.flatnonzero(f)
            v[s_][f] = v_reset
            oL[s_][f] += 1
            oS[s_][f] += 1
            n_win[s_][f & (timer[s_] > 1)] += 1
            x_fast[s_][f] += 1
            x_slow[s_][f] += tau_fast / tau_slow
            count[s_][f] += 1
            last_spike[s_][f] = step
            spike_i[l].append(idx)
            spike_t[l].append(np.full(idx.size, t))
        # -- synapses: STDWI at downstream spikes
        if "stdwi" in rules:
            for l in pairs:
                post_fired = fired[sl[l + 1]]
                if post_fired.any():
                    y = est[f"stdwi{l}"]
                    trace = (x_fast - x_slow)[sl[l]][:, None]
                    y[:, post_fired] += eta_stdwi * (trace - decay_stdwi * y[:, post_fired])
        # -- end: windows of driven layers close and update the regressions
        learning = (layer == driven) & estimating
        closing = (timer == 1) & learning
        if "rdd" in rules and closing.any():
            for l in pairs:
                rows = np.flatnonzero(closing[sl[l]])
                if rows.size == 0:
                    continue
                um = u_max[sl[l]][rows][:, None]
                above = (n_win[sl[l]][rows] > 0)[:, None].astype(float)
                dR = R[l][rows] / window_steps - R_pre[l][rows]
                m_a, c_a = est[f"rdd{l}_m_above"], est[f"rdd{l}_c_above"]
                m_b, c_b = est[f"rdd{l}_m_below"], est[f"rdd{l}_c_below"]
                err_a = m_a[rows] * um + c_a[rows] - dR
                err_b = m_b[rows] * um + c_b[rows] - dR
                m_a[rows] -= eta_rdd * err_a * um * above
                c_a[rows] -= eta_rdd * err_a * above
                m_b[rows] -= eta_rdd * err_b * um * (1 - above)
                c_b[rows] -= eta_rdd * err_b * (1 - above)
                est[f"rdd{l}_beta"][rows] = ((m_a[rows] * theta + c_a[rows])
                                             - (m_b[rows] * theta + c_b[rows]))
        # bookkeeping: the window clock, u follows v outside windows, windows open
        timer -= timer > 0
        u[:] = np.where(timer > 0, u, v)
        opening = (timer == 0) & (np.abs(theta - u) <= band)
        u_max = np.where(opening, u, np.maximum(u_max, u))
        n_win[opening] = 0
        timer[opening] = window_steps
        if "rdd" in rules:
            for l in pairs:
                rows = opening[sl[l]]
                if rows.any():
                    R[l][rows] = 0.0
                    R_pre[l][rows] = q[sl[l + 1]]
    spikes = [(np.concatenate(i).astype(np.int32), np.concatenate(t))
              for i, t in zip(spike_i, spike_t)]
    return spikes, est
