"""The fast Gaussian stream of models.common.noise: one algorithm on every target, and
seeded statistical tests with explicit tolerances (deterministic: the draws are fixed)."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from models.common import noise

N_DRAWS = 1 << 20


def draws(seed=1, stream=0, neurons=1024, steps=1024):
    """(steps, neurons) draws of one stream."""
    return noise.gauss_numpy(seed, stream, np.arange(neurons)[None, :],
                             np.arange(steps)[:, None])


# -- the algorithm ---------------------------------------------------------------------------
#: (seed, stream, neuron, step) -> value, computed once from the algorithm of the docstring;
#: the second one takes the tail path, the last the largest accepted arguments
KNOWN = [((1, 0, 0, 0), -0.3396963140527183), ((1, 0, 1, 0), -3.478661636381385),
         ((1, 1, 0, 0), 0.9546198908977404), ((2, 0, 0, 0), -0.6024408932431546),
         ((7, 3, 49, 199), -0.1990401373160411),
         ((2**53 - 1, 255, 2**20 - 1, 2**31 - 1), -0.09263096532553354)]


@pytest.mark.parametrize("args, value", KNOWN)
def test_known_values(args, value):
    assert noise.gauss_scalar(*args) == value
    assert noise.gauss_numpy(*args) == value


def test_numpy_equals_the_one_draw_reference_on_every_path():
    x = draws(seed=3, stream=5, neurons=64, steps=64)
    ref = np.array([[noise.gauss_scalar(3, 5, i, s) for i in range(64)] for s in range(64)])
    x_edge, ratio, _ = noise.ziggurat_tables()
    assert np.array_equal(x, ref)
    assert np.sum(np.abs(ref) > x_edge[1]) > 0  # the tail was taken


def test_ziggurat_tables_close_the_base_layer():
    """Every layer has area V: the top layer's edge X[127] satisfies V = X[127] (1 - f)."""
    x_edge, ratio, f = noise.ziggurat_tables()
    v = 9.91256303526217e-3
    assert x_edge[128] == 0 and np.all(np.diff(x_edge[1:]) < 0)
    assert x_edge[127] * (1 - f[127]) == pytest.approx(v, rel=1e-6)
    np.testing.assert_allclose(x_edge[1:-1] * (f[2:] - f[1:-1]), v, rtol=1e-6)


def test_the_integer_tables_of_the_fast_path_decide_as_the_doubles():
    """|m| < ceil(R 2^53) for integers m is |m 2^-53| < R: at the limit m = ceil(R 2^53) - 1
    is inside and ceil(R 2^53) is not; the edges' bit patterns are the edges."""
    x_edge, ratio, _ = noise.ziggurat_tables()
    x_bits, ratio_int = noise.fast_path_tables()
    for r, limit in zip(ratio, ratio_int):
        assert (limit - 1) * 2.0**-53 < r <= limit * 2.0**-53
    np.testing.assert_array_equal(np.array(x_bits, dtype=np.uint64).view(np.float64), x_edge)


@pytest.mark.parametrize("target", ["numpy", "runtime", "cpp"])
def test_brian2_targets_draw_the_same_numbers(target, cache_dir):
    """The C code (C++ standalone, Cython) and NumPy give the reference bit for bit."""
    from brian2 import NeuronGroup, StateMonitor, ms

    from models.common.device import Simulation

    with Simulation("noise-stream", target=target, seed=5) as sim:
        g = NeuronGroup(40, "x : 1\ny : 1\nz : 1\nd : 1\n" + noise.variables("fast", (3,)),
                        name="g")
        g.run_regularly(f"x = {noise.draw(3)}\ny = {noise.normal('fast', 3)}\n"
                        f"z = {noise.near('fast', 3, 'd', '0.1')}", name="g_draw")
        noise.prepare(sim, g, "fast", 3)  # y: the step's draw made at its start, as in models
        g.d = np.linspace(-2.0, 0.5, 40)  # z: drawn at d > -0.1 BOUND = -1.45 only
        mon = StateMonitor(g, ["x", "y", "z", "noise_3"], record=True, name="mon")
        sim.run(sim.network(g, mon), 10 * ms)
        sim.finish()
        x, y, z, fast = (np.asarray(mon.x[:]), np.asarray(mon.y[:]), np.asarray(mon.z[:]),
                         np.asarray(mon.noise_3[:]))
    reference = noise.gauss_numpy(5, 3, np.arange(40)[:, None], np.arange(100)[None, :])
    np.testing.assert_array_equal(x, reference)
    np.testing.assert_array_equal(y, reference)
    near = np.linspace(-2.0, 0.5, 40) > -1.45
    assert 0 < near.sum() < 40
    np.testing.assert_array_equal(z[near], reference[near])
    assert np.all(z[~near] == 0)
    if target != "numpy" and _avx512():  # the fast path left 2.8 % of the draws to gauss_fix
        assert 60 < np.isnan(fast).sum() < 180
        np.testing.assert_array_equal(fast[~np.isnan(fast)], reference[~np.isnan(fast)])
    elif target != "numpy":  # no vectorised fill: gauss_fix makes every draw
        assert np.isnan(fast).all()
    if target == "cpp":
        _the_fill_loop_vectorises(sim.directory)


def _avx512() -> bool:
    """Whether this CPU has the AVX-512 of the vectorised fill (``-march=native`` builds)."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return " avx512f " in flags and " avx512dq " in flags


def _the_fill_loop_vectorises(project):
    """GCC vectorises the draws of a step (``g_noise``) where the CPU has AVX-512 (gathers of
    64-bit words): with a call per draw (a memcpy that was not the builtin) or tables it cannot
    prove unchanged by the loop's stores, it did not."""
    import re
    import shutil
    import subprocess

    if not _avx512() or not shutil.which("g++"):
        return  # elsewhere the compiler may rightly keep the loop scalar
    makefile = (project / "makefile").read_text()
    options = re.search(r"^OPTIMISATIONS = (.*)$", makefile, re.M).group(1).split()
    report = subprocess.run(
        ["g++", "-c", *options, "-I.", "-fopt-info-vec-optimized",
         "code_objects/g_noise_codeobject.cpp", "-o", "/dev/null"],
        cwd=project, capture_output=True, text=True, check=True)
    assert "loop vectorized" in report.stderr, report.stderr[-2000:]


def test_no_draw_reaches_the_bound_below_which_near_does_not_draw():
    """The largest |draw| is the tail's at the smallest u, -1 + 2^-52 (1 + u = 2^-52):
    R - ln(2^-53) / R = 14.12; layers and wedges stay below R. ``near`` skips a draw only
    where distance <= -sigma BOUND, so no skipped draw could have made distance - sigma g
    reach 0 (and the margin is far beyond rounding)."""
    x_edge, _, _ = noise.ziggurat_tables()
    r = x_edge[1]
    assert noise._u53(0) == -1 + 2.0**-52
    largest = r - np.log(0.5 * (1.0 + noise._u53(0))) / r
    assert 14.1 < largest < noise.BOUND - 0.3
    assert np.abs(draws(seed=4).ravel()).max() < largest
    assert noise.near("brian2", 1, "v", "s") == "randn()"  # Brian2's stream: every draw


def test_bad_keys_and_streams_are_refused():
    with pytest.raises(ValueError, match="2\\^53"):
        noise.key(2**53)
    with pytest.raises(ValueError, match="0-255"):
        noise.draw(256)
    assert noise.normal("brian2", 1) == "randn()" and noise.white("brian2", 1) == "xi"


# -- statistics (explicit tolerances; n = 2^20 draws) -------------------------------------------
def test_moments_of_a_standard_normal():
    x = draws().ravel()
    se = 1 / np.sqrt(x.size)
    assert abs(x.mean()) < 4 * se
    assert abs(x.var() - 1) < 4 * np.sqrt(2) * se
    assert abs(stats.skew(x)) < 4 * np.sqrt(6) * se
    assert abs(stats.kurtosis(x)) < 4 * np.sqrt(24) * se


def test_kolmogorov_smirnov_against_the_normal_cdf():
    """D below the 1 % critical value 1.63 / sqrt(n), also in the tails (|x| > 2.5)."""
    x = draws(seed=2).ravel()
    assert stats.kstest(x, "norm").statistic < 1.63 / np.sqrt(x.size)
    tail = np.abs(x[np.abs(x) > 2.5])
    expected = 2 * stats.norm.sf(2.5)
    assert abs(tail.size / x.size - expected) < 4 * np.sqrt(expected / x.size)
    tail_cdf = lambda t: 1 - stats.norm.sf(t) / stats.norm.sf(2.5)  # noqa: E731
    assert stats.kstest(tail, tail_cdf).statistic < 1.63 / np.sqrt(tail.size)


def test_no_autocorrelation_along_steps():
    x = draws(neurons=16, steps=1 << 16)  # 16 neurons, 65,536 steps
    for lag in (1, 2, 3, 7, 64):
        r = np.mean([np.corrcoef(x[:-lag, n], x[lag:, n])[0, 1] for n in range(16)])
        assert abs(r) < 4 / np.sqrt(16 * (x.shape[0] - lag)), (lag, r)


def test_neurons_seeds_and_streams_are_independent():
    """Correlations of neighbouring neurons, of seeds 1 and 2, and of streams 0 and 1."""
    x, other_seed, other_stream = draws(), draws(seed=2), draws(stream=1)
    bound = 4 / np.sqrt(x.size)
    assert abs(np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1]) < bound
    assert abs(np.corrcoef(x.ravel(), other_seed.ravel())[0, 1]) < bound
    assert abs(np.corrcoef(x.ravel(), other_stream.ravel())[0, 1]) < bound
    assert abs(np.corrcoef(x.ravel() ** 2, other_seed.ravel() ** 2)[0, 1]) < 2 * bound
    # a 2-D chi-square on (x_t, x_t+1) cells: pairs are independent
    cells = np.digitize(x[:-1].ravel(), [-1, 0, 1]) * 4 + np.digitize(x[1:].ravel(), [-1, 0, 1])
    counts = np.bincount(cells, minlength=16)
    p = np.diff(stats.norm.cdf([-np.inf, -1, 0, 1, np.inf]))
    assert stats.chisquare(counts, np.outer(p, p).ravel() * counts.sum()).pvalue > 1e-3
