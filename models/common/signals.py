"""Input signals the models draw from their seed (NumPy arrays, one row per sample)."""

import numpy as np


def smoothed_white_noise(rng, n_steps, n_inputs, *, amplitude, smoothing_steps, block_steps):
    """Input of the official code of Brendel et al.: blocks of white noise smoothed by a
    Gaussian kernel.

    Each block of ``block_steps`` samples is Gaussian white noise convolved ('same', zero
    padded) with a normalised Gaussian of s.d. ``smoothing_steps`` samples (kernel length =
    block length), times ``amplitude``. Returns (n_steps, n_inputs).
    """
    t = np.arange(1, block_steps + 1) - block_steps // 2
    kernel = np.exp(-(t**2) / (2.0 * smoothing_steps**2))
    kernel /= kernel.sum()
    n_blocks = -(-n_steps // block_steps)
    out = np.empty((n_blocks * block_steps, n_inputs))
    for b in range(n_blocks):
        noise = rng.standard_normal((block_steps, n_inputs))
        for d in range(n_inputs):
            out[b * block_steps : (b + 1) * block_steps, d] = amplitude * np.convolve(
                noise[:, d], kernel, mode="same"
            )
    return out[:n_steps]


def pulse_command(rng, n_steps, dims, dt_s, *, amplitude, interval, width):
    """Command c(t): every ``interval`` s a pulse of ``width`` s in a random direction."""
    c = np.zeros((n_steps, dims))
    per, w = int(round(interval / dt_s)), max(1, int(round(width / dt_s)))
    for start in range(int(round(0.1 / dt_s)), n_steps, per):
        direction = rng.standard_normal(dims)
        c[start : start + w] = amplitude * direction / np.linalg.norm(direction)
    return c
