"""NumPy reference of the supervised-dynamics network (Bourdoukan & Deneve 2015).

One loop per time step, no Brian2, written from the equations of ``network.py``:
the Brian2 model must follow it spike for spike when the noise is off.

Per step t (the order of Brian2's schedule):
    e = x - D r                                  (error of the readout)
    I = F c_t + K F e + Omega_s r                (command, error feedback, slow recurrence)
    Omega_s += dt eps_s (K F e) r^T              (current-based Hebbian rule, every step)
    V <- V + dt (-lam V + I) + Omega_f[:, k_prev]
    x <- x + dt (A x + c_t)                      (the target system)
    k = argmax(V - T - sigma_t xi); k spikes if that is >= 0 and k is not refractory
    on a spike of k: Omega_f[:, k] -= eps_f (beta (V + mu r) + Omega_f[:, k] + mu e_k)
    r <- (1 - lam dt) (r + o)
"""

import numpy as np


def run_supervised(f, omega_f, omega_s, a, commands, *, dt, lam, k_gain, mu, beta, eps_f,
                   eps_s, thresholds, refractory_steps=0, command_every=1, sigma_v=0.0,
                   sigma_t=0.0, rng=None, state=None):
    """Simulate ``len(commands) * command_every`` steps; commands (steps, J) in 1/second.

    ``f`` is (N, J) (decoder D = F^T); ``omega_f``, ``omega_s`` are (N, N) with [post, pre].
    Returns dict(spike_steps, spike_neurons, omega_f, omega_s, x, xhat, state).
    """
    f = np.asarray(f, float)
    omega_f, omega_s = np.array(omega_f, float), np.array(omega_s, float)
    n, j = f.shape
    d = f.T
    if state is None:
        state = dict(v=np.zeros(n), r=np.zeros(n), x=np.zeros(j), k_prev=-1,
                     last=np.full(n, -10**9))
    v, r, x = state["v"].copy(), state["r"].copy(), state["x"].copy()
    k_prev, last = state["k_prev"], state["last"].copy()
    step_a = np.eye(j) + dt * np.asarray(a, float)
    steps, neurons = [], []
    n_steps = len(commands) * command_every
    xs, xhats = np.empty((n_steps, j)), np.empty((n_steps, j))
    eye = np.eye(n)
    for t in range(n_steps):
        c = commands[t // command_every]
        e = x - d @ r
        xs[t], xhats[t] = x, d @ r
        i_err = k_gain * (f @ e)
        current = f @ c + i_err + omega_s @ r
        omega_s += dt * eps_s * np.outer(i_err, r)
        v = v + dt * (-lam * v + current)
        if sigma_v:
            v += sigma_v * rng.standard_normal(n)
        if k_prev >= 0:
            v += omega_f[:, k_prev]
        x = step_a @ x + dt * c
        score = v - thresholds
        if sigma_t:
            score = score - sigma_t * rng.standard_normal(n)
        score[t - last < refractory_steps] = -np.inf
        k = int(np.argmax(score))
        if score[k] >= 0:
            omega_f[:, k] -= eps_f * (beta * (v + mu * r) + omega_f[:, k] + mu * eye[:, k])
            r[k] += 1
            last[k] = t
            steps.append(t)
            neurons.append(k)
            k_prev = k
        else:
            k_prev = -1
        r *= 1 - lam * dt
    state = dict(v=v, r=r, x=x, k_prev=k_prev, last=last - n_steps)
    return dict(spike_steps=np.array(steps, int), spike_neurons=np.array(neurons, int),
                omega_f=omega_f, omega_s=omega_s, x=xs, xhat=xhats, state=state)
