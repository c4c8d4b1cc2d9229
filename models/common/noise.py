"""A fast Gaussian stream for noise: ``gauss(noise_key, stream, i, t_in_timesteps)``.

Brian2's ``randn()`` draws from a Mersenne twister by the polar Box-Muller method, about
13 ns a draw; the E/I network draws two per neuron per step, most of its time. ``gauss`` is a
counter-based generator: the draw is a pure function of (key, stream, neuron, step), so

- the same C source gives it on C++ standalone, Cython and CUDA, and NumPy computes the same
  numbers (the stream does not depend on the order in which code runs, nor on the target);
- the key is a ``(shared, constant)`` variable of the group, a run argument on C++: a new seed
  recompiles nothing;
- each call site takes its own ``stream`` number (0-255), so two noises of one neuron in one
  step are independent.

Algorithm (64-bit words, wrapping arithmetic; ``mix`` is SplitMix64's finaliser, a bijection):

    k1 = mix(seed ^ (stream << 56)),  k2 = mix(k1 + G),  c = (step << 20) | i
    z  = mix(mix(k1 + c * G) ^ k2)                       G = 0x9E3779B97F4A7C15

The inner ``mix`` is SplitMix64 at position ``c`` of the stream ``k1``; the outer one, keyed
by ``k2``, makes the streams of two keys unrelated instead of shifted copies of one sequence.
``z`` then gives a standard normal by the ziggurat method of Marsaglia & Tsang (2000) in
Doornik's (2005) form, 128 layers: bits 0-6 pick the layer, bits 11-63 give u in (-1, 1) as an
odd integer over 2^53 (exact), and the draw is u times the layer's edge when inside it
(97.2 % of draws: one table lookup and one multiplication). Otherwise the next words of the
stream (``z <- mix(z + G)``) decide the wedge or the tail. Neuron indices must be below 2^20
and seeds below 2^53 (checked where the key is made).

In the models the draws of a step are made in two parts, so that C++ can draw eight at a time
(AVX-512; 2.2 ns a draw instead of 5.5 ns, measured in a loop over 1000 neurons):

- ``noise_<stream> = gauss_fast(noise_key, stream, i, t_in_timesteps)`` for every neuron at
  the start of the step (:func:`prepare`): the fast path alone, without a branch, so the
  compiler vectorises the loop; NaN for the 2.8 % of draws that leave it;
- where the draw is used, ``gauss_fix(noise_<stream>, noise_key, stream, i, t_in_timesteps)``
  (:func:`normal`, :func:`white`): the value, or the whole draw where it is NaN.

Together they give exactly ``gauss`` (the same bits): a draw does not depend on when in the
step it is made. Without AVX-512 the fill loop stays scalar and the two passes cost more than
one (AMD EPYC, AVX2: 7.3 ns a draw against 6.3 ns), so there ``gauss_fast`` is NaN and
``gauss_fix`` makes every draw (C: ``SPIKERULES_FILL``; the same bits either way).

The threshold noise of the one-spike-per-step arbitration is drawn only where it can decide
something (:func:`near`): no draw exceeds 14.12 in magnitude, so a neuron more than 14.5
noise s.d. below threshold cannot become a candidate whatever its draw, and skipping its draw
changes no other draw (each is a function of its own counter). In the E/I network after
32,000 s of learning, 82 % of the E and 95 % of the I neurons are that far below threshold in
a step.
"""

from __future__ import annotations

import functools
import math

import numpy as np

#: declared by a group that draws with ``gauss``
KEY_VARIABLE = "noise_key : 1 (shared, constant)"

#: the draws of a step are made before anything else in it (``when="start"``, this order)
FILL_ORDER = -1000
MAX_NEURONS = 1 << 20
_G = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1
_LAYERS, _R, _V = 128, 3.442619855899, 9.91256303526217e-3  # Marsaglia & Tsang's constants
_SCALE = 2.0**-53
#: no draw is larger in magnitude than R - ln(2^-53) / R = 14.12 (the tail's largest: u is at
#: least -1 + 2^-52); :func:`near` draws only where a decision can depend on the draw
BOUND = 14.5


def key(seed: int) -> float:
    """The ``noise_key`` of a group for a seed (a float holds it exactly)."""
    seed = int(seed)
    if not 0 <= seed < 2**53:
        raise ValueError(f"noise seeds are integers in [0, 2^53), got {seed}")
    return float(seed)


def _stream(stream) -> int:
    if not 0 <= int(stream) < 256:
        raise ValueError(f"noise streams are numbered 0-255, got {stream}")
    return int(stream)


def draw(stream: int, index: str = "i") -> str:
    """The code of one standard normal draw for call site ``stream`` (0-255) of the neuron
    numbered ``index`` (a group's own ``i``, or a variable that renumbers its neurons), made
    where it is used (no :func:`prepare` needed)."""
    return f"gauss(noise_key, {_stream(stream)}, {index}, t_in_timesteps)"


def drawn(stream: int, index: str = "i") -> str:
    """The code of the step's draw of ``stream``, made at the step's start by :func:`prepare`
    (the group declares :func:`variables`)."""
    s = _stream(stream)
    return f"gauss_fix(noise_{s}, noise_key, {s}, {index}, t_in_timesteps)"


RNG_CHOICES = ("fast", "brian2")


def rng_param():
    """The ``rng`` parameter of a model that draws Gaussian noise (declared here once)."""
    from models.common.params import param

    return param("fast", "noise generator: fast (counter-based, models.common.noise) or "
                 "brian2 (Brian2's randn and xi, as before)", choices=RNG_CHOICES)


def normal(rng: str, stream: int, index: str = "i") -> str:
    """A standard normal draw in Brian2 code: ``randn()``, or the step's draw of ``stream``
    (:func:`drawn`; the group is :func:`prepare`-d with that stream)."""
    return "randn()" if rng == "brian2" else drawn(stream, index)


def near(rng: str, stream: int, distance: str, sigma: str, index: str = "i") -> str:
    """A standard normal draw ``g`` for a threshold decision ``distance - sigma * g >= 0``, made
    only where the decision can depend on it: ``gauss`` where ``distance > -sigma * BOUND``,
    0 elsewhere (no draw could bring the sum to 0 there). The arbitration's score is such a
    sum: only its sign and, where it is >= 0, its value are read. No :func:`prepare` needed
    for ``stream``. With Brian2's generator ``randn()`` everywhere (its stream is the order of
    the draws)."""
    if rng == "brian2":
        return "randn()"
    return (f"gauss_near({distance}, {sigma}, noise_key, {_stream(stream)}, {index}, "
            "t_in_timesteps)")


def white(rng: str, stream: int, index: str = "i") -> str:
    """White noise ``xi`` in an equation integrated by Euler (N(0, 1) / sqrt(dt) per step)."""
    return "xi" if rng == "brian2" else f"({drawn(stream, index)} / sqrt(dt))"


def _streams(streams) -> tuple:
    """One stream number or several, as a tuple."""
    return (streams,) if np.ndim(streams) == 0 else tuple(streams)


def variables(rng: str, streams) -> str:
    """The equations of the key and of each stream's draw (nothing with Brian2's generator)."""
    if rng == "brian2":
        return ""
    draws = "".join(f"noise_{_stream(s)} : 1  # this step's N(0, 1) draw of stream {s} "
                    "(NaN off the fast path: gauss_fix)\n" for s in streams)
    return KEY_VARIABLE + "\n" + draws


def equations(template: str, rng: str, streams, index: str = "i") -> str:
    """Equations with ``{xi}`` (white noise of the first of ``streams``, :func:`white`) and
    ``{key}`` (:func:`variables` of all ``streams``: the key and the draws of each step)."""
    streams = _streams(streams)
    key_lines = variables(rng, streams)
    return template.format(xi=white(rng, streams[0], index),
                           key="\n" + key_lines if key_lines else "")


def prepare(sim, group, rng: str, streams, index: str = "i") -> None:
    """Key ``group``'s draws by the run's seed (a run argument on C++: nothing recompiles) and
    draw the step's ``streams`` for all its neurons at the start of every step (one loop,
    vectorised by the C++ compiler), before any other code of the step. Nothing with Brian2's
    generator."""
    if rng == "brian2":
        return
    streams = _streams(streams)
    group.noise_key = key(sim.seed)
    fill = "\n".join(f"noise_{_stream(s)} = gauss_fast(noise_key, {s}, {index}, t_in_timesteps)"
                     for s in streams)
    group.run_regularly(fill, when="start", order=FILL_ORDER, name=f"{group.name}_noise")


@functools.lru_cache(maxsize=None)
def ziggurat_tables():
    """(X, R, F): layer edges X[0..128] (X[0] = V / f(r) for the base layer, X[128] = 0),
    R[k] = X[k+1] / X[k], and F[k] = exp(-X[k]^2 / 2)."""
    x = np.zeros(_LAYERS + 1)
    f = math.exp(-0.5 * _R * _R)
    x[0], x[1] = _V / f, _R
    for k in range(2, _LAYERS):
        x[k] = math.sqrt(-2.0 * math.log(_V / x[k - 1] + f))
        f = math.exp(-0.5 * x[k] * x[k])
    return x, x[1:] / x[:-1], np.exp(-0.5 * x * x)


# -- the reference: Python integers, one draw at a time ---------------------------------------
def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _next(z: int) -> int:
    """The next word of a draw's stream."""
    return _mix((z + _G) & _M64)


def _keys(seed: int, stream: int) -> tuple[int, int]:
    """(k1, k2) of a seed and call site."""
    k1 = _mix(seed ^ (stream << 56))
    return k1, _next(k1)


def _u53(z: int) -> float:
    """u in (-1, 1) from bits 11-63 of z: an odd integer over 2^53, exactly."""
    return float(2 * ((z >> 11) | 1) - (1 << 53)) * _SCALE


def _first_word(seed: int, stream: int, i: int, step: int) -> int:
    k1, k2 = _keys(seed, stream)
    c = ((step << 20) | i) & _M64
    return _mix(_mix((k1 + c * _G) & _M64) ^ k2)


def gauss_scalar(seed: int, stream: int, i: int, step: int) -> float:
    """One draw, written as plainly as possible (the reference of the tests)."""
    x_edge, ratio, _ = ziggurat_tables()
    z = _first_word(int(seed), int(stream), int(i), int(step))
    while True:
        u, layer = _u53(z), z & (_LAYERS - 1)
        if abs(u) < ratio[layer]:
            return float(u * x_edge[layer])
        if layer == 0:  # the tail beyond r
            return _tail(z, u < 0)
        x = u * x_edge[layer]
        f0 = math.exp(-0.5 * (x_edge[layer] ** 2 - x * x))
        f1 = math.exp(-0.5 * (x_edge[layer + 1] ** 2 - x * x))
        z = _next(z)
        if f1 + 0.5 * (1.0 + _u53(z)) * (f0 - f1) < 1.0:
            return x
        z = _next(z)


def _tail(z: int, negative: bool) -> float:
    while True:
        z = _next(z)
        x = math.log(0.5 * (1.0 + _u53(z))) / _R
        z = _next(z)
        y = math.log(0.5 * (1.0 + _u53(z)))
        if -2.0 * y >= x * x:
            return x - _R if negative else _R - x


# -- NumPy: whole arrays at once, the rare slow draws one by one ------------------------------
def _mix_np(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _next_np(z):
    return _mix_np(z + np.uint64(_G))


def _u53_np(z):
    """:func:`_u53` of each word."""
    odd = ((z >> np.uint64(11)) | np.uint64(1)).astype(np.int64)
    return (2 * odd - (1 << 53)).astype(np.float64) * _SCALE


def _layer_np(z):
    return (z & np.uint64(_LAYERS - 1)).astype(np.intp)


def gauss_numpy(seed, stream, i, step):
    """``gauss`` for arrays (broadcast): the Python implementation of the Brian2 function.

    The fast path (97.2 % of the draws) on whole arrays, then the others together.
    """
    seed, stream, i, step = (np.asarray(a, dtype=np.int64) for a in (seed, stream, i, step))
    if seed.ndim == stream.ndim == 0:  # one key (the usual case): keys as Python integers
        k1, k2 = (np.uint64(k) for k in _keys(int(seed), int(stream)))
    else:
        k1 = _mix_np(seed.astype(np.uint64) ^ (stream.astype(np.uint64) << np.uint64(56)))
        k2 = _next_np(k1)
    with np.errstate(over="ignore"):
        c = (step.astype(np.uint64) << np.uint64(20)) | i.astype(np.uint64)
        z = _mix_np(_mix_np(k1 + c * np.uint64(_G)) ^ k2)
    x_edge, ratio, _ = ziggurat_tables()
    u, layer = _u53_np(z), _layer_np(z)
    out = np.array(u * x_edge[layer], dtype=np.float64)  # an array even when 0-d
    slow = np.flatnonzero(~(np.abs(u) < ratio[layer]))
    if slow.size:
        out.reshape(-1)[slow] = _slow_numpy(z.reshape(-1)[slow])
    return out if out.ndim else float(out)


def _slow_numpy(z):
    """The draws whose first word ``z`` missed the fast path, together, round by round (the
    loop of :func:`gauss_scalar`); the rare tails (0.06 % of all draws) one by one."""
    x_edge, ratio, _ = ziggurat_tables()
    out, todo = np.empty(z.size), np.arange(z.size)
    with np.errstate(over="ignore"):
        while todo.size:
            u, layer = _u53_np(z), _layer_np(z)
            inside = np.abs(u) < ratio[layer]
            out[todo[inside]] = u[inside] * x_edge[layer[inside]]
            tail = ~inside & (layer == 0)
            for k, w, negative in zip(todo[tail], z[tail], u[tail] < 0):
                out[k] = _tail(int(w), bool(negative))
            wedge = ~inside & (layer != 0)
            todo, z, u, layer = todo[wedge], z[wedge], u[wedge], layer[wedge]
            x = u * x_edge[layer]
            f0 = np.exp(-0.5 * (x_edge[layer] ** 2 - x * x))
            f1 = np.exp(-0.5 * (x_edge[layer + 1] ** 2 - x * x))
            z = _next_np(z)
            accept = f1 + 0.5 * (1.0 + _u53_np(z)) * (f0 - f1) < 1.0
            out[todo[accept]] = x[accept]
            todo, z = todo[~accept], _next_np(z[~accept])
    return out


# -- C, for C++ standalone, Cython and CUDA -----------------------------------------------------
def _c_array(name, values, c_type="double"):
    if c_type == "double":
        body = ", ".join(repr(float(v)) for v in values)
    else:
        suffix = "ULL" if c_type == "uint64_t" else "LL"
        body = ", ".join(f"{int(v)}{suffix}" for v in values)
    return f"SPIKERULES_TABLE {c_type} {name}[{len(values)}] = {{{body}}};"


def fast_path_tables():
    """The fast path's tables as integers: the layer edges' bit patterns (uint64), and
    ceil(R[k] 2^53) (int64), with which |m| < ceil(R[k] 2^53) says |m 2^-53| < R[k] exactly
    for the integers m of :func:`_u53`."""
    x_edge, ratio, _ = ziggurat_tables()
    bits = np.asarray(x_edge, dtype=np.float64).view(np.uint64)
    return [int(b) for b in bits], [math.ceil(float(r) * 2.0**53) for r in ratio]


@functools.lru_cache(maxsize=None)
def c_source() -> str:
    """The C code of ``gauss``, ``gauss_fast`` and ``gauss_fix`` (the algorithm of the module
    docstring): the tables, then the functions."""
    x_edge, ratio, _ = ziggurat_tables()
    x_bits, ratio_int = fast_path_tables()
    tables = f"""
#ifndef SPIKERULES_GAUSS
#define SPIKERULES_GAUSS
#include <stdint.h>
#include <math.h>
#ifdef __CUDACC__
#define SPIKERULES_FN static __device__ inline
#define SPIKERULES_TABLE static __device__ __constant__
#else
#define SPIKERULES_FN static inline
#define SPIKERULES_TABLE static const
#endif
{_c_array("spikerules_zx", x_edge)}
{_c_array("spikerules_zr", ratio)}
{_c_array("spikerules_zx_bits", x_bits, "uint64_t")}
{_c_array("spikerules_zr_int", ratio_int, "int64_t")}
"""
    return tables + _c_draw() + _c_parts()


def _c_draw() -> str:
    """``gauss``: the first word of a draw, the fast path, the slow one."""
    return f"""SPIKERULES_FN uint64_t spikerules_mix(uint64_t z)
{{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}}
SPIKERULES_FN double spikerules_u53(uint64_t z)  /* (-1, 1): odd integer / 2^53, exact */
{{
    return (double)(2 * (int64_t)((z >> 11) | 1) - ((int64_t)1 << 53)) * {_SCALE!r};
}}
SPIKERULES_FN double spikerules_gauss_slow(uint64_t z)
{{
    const uint64_t g = 0x9E3779B97F4A7C15ULL;
    for (;;) {{
        const double u = spikerules_u53(z);
        const int layer = (int)(z & {_LAYERS - 1});
        if (fabs(u) < spikerules_zr[layer]) return u * spikerules_zx[layer];
        if (layer == 0) {{
            const int negative = u < 0;
            for (;;) {{
                z = spikerules_mix(z + g);
                const double x = log(0.5 * (1.0 + spikerules_u53(z))) / {_R!r};
                z = spikerules_mix(z + g);
                const double y = log(0.5 * (1.0 + spikerules_u53(z)));
                if (-2.0 * y >= x * x) return negative ? x - {_R!r} : {_R!r} - x;
            }}
        }}
        const double x = u * spikerules_zx[layer];
        const double f0 = exp(-0.5 * (spikerules_zx[layer] * spikerules_zx[layer] - x * x));
        const double f1 = exp(-0.5 * (spikerules_zx[layer + 1] * spikerules_zx[layer + 1] - x * x));
        z = spikerules_mix(z + g);
        if (f1 + 0.5 * (1.0 + spikerules_u53(z)) * (f0 - f1) < 1.0) return x;
        z = spikerules_mix(z + g);
    }}
}}
/* the first word of the draw of (key, stream, neuron, step) */
SPIKERULES_FN uint64_t spikerules_first_word(double seed, int32_t stream, int32_t i, int64_t step)
{{
    const uint64_t g = 0x9E3779B97F4A7C15ULL;
    const uint64_t k1 = spikerules_mix((uint64_t)seed ^ ((uint64_t)stream << 56));
    const uint64_t k2 = spikerules_mix(k1 + g);
    const uint64_t c = ((uint64_t)step << 20) | (uint64_t)i;
    const uint64_t z = spikerules_mix(spikerules_mix(k1 + c * g) ^ k2);
    return z;
}}
SPIKERULES_FN double gauss(double seed, int32_t stream, int32_t i, int64_t step)
{{
    const uint64_t z = spikerules_first_word(seed, stream, i, step);
    const double u = spikerules_u53(z);
    const int layer = (int)(z & {_LAYERS - 1});
    if (fabs(u) < spikerules_zr[layer]) return u * spikerules_zx[layer];
    return spikerules_gauss_slow(z);
}}
"""


def _c_parts() -> str:
    """``gauss`` in two parts (``gauss_fast``, ``gauss_fix``), and ``gauss_near``."""
    return f"""/* gauss's fast path without a branch (a loop of these vectorises), NaN off it. Its tables
   are integers: the compiler then knows that the loop's stores of doubles cannot change
   them. m = u 2^53 is an integer, so |u| < R[k] is |m| < ceil(R[k] 2^53). No memcpy: Brian2
   puts this code in an anonymous namespace, where <string.h> would declare a memcpy that
   is not the compiler's builtin (a call per draw, no vectorisation). Without AVX-512 (no
   64-bit multiplies, slow gathers) the loop stays scalar, and two passes cost more than one:
   there gauss_fast is NaN and gauss_fix makes the whole draw (SPIKERULES_FILL 0) */
#if (defined(__AVX512F__) && defined(__AVX512DQ__)) || defined(__CUDACC__)
#define SPIKERULES_FILL 1
#else
#define SPIKERULES_FILL 0
#endif
SPIKERULES_FN double gauss_fast(double seed, int32_t stream, int32_t i, int64_t step)
{{
    if (!SPIKERULES_FILL) return NAN;
    const uint64_t z = spikerules_first_word(seed, stream, i, step);
    const int64_t m = 2 * (int64_t)((z >> 11) | 1) - ((int64_t)1 << 53);
    const int layer = (int)(z & {_LAYERS - 1});
    const union {{ uint64_t bits; double value; }} edge = {{spikerules_zx_bits[layer]}};
    return (m < 0 ? -m : m) < spikerules_zr_int[layer] ? ((double)m * {_SCALE!r}) * edge.value
                                                       : NAN;
}}
/* gauss where a decision d - sigma * gauss >= 0 can depend on it, 0 elsewhere (|gauss| < BOUND) */
SPIKERULES_FN double gauss_near(double d, double sigma, double seed, int32_t stream, int32_t i,
                                int64_t step)
{{
    return d > -sigma * {BOUND!r} ? gauss(seed, stream, i, step) : 0.0;
}}
/* x = gauss_fast(...) of the same arguments: x, or the whole draw where x is NaN */
SPIKERULES_FN double gauss_fix(double x, double seed, int32_t stream, int32_t i, int64_t step)
{{
    return x == x ? x : gauss(seed, stream, i, step);
}}
#endif
"""


#: the C declarations of the module's functions, for Cython
_DECLARATIONS = {
    "gauss": "double gauss(double seed, int stream, int i, long long step) nogil",
    "gauss_fast": "double gauss_fast(double seed, int stream, int i, long long step) nogil",
    "gauss_fix": "double gauss_fix(double x, double seed, int stream, int i, long long step) nogil",
    "gauss_near": "double gauss_near(double d, double sigma, double seed, int stream, int i, "
                  "long long step) nogil",
}


def cython_source(name: str = "gauss") -> str:
    """The same C code for Brian2's Cython target (inlined verbatim by Cython; the include
    guard keeps one copy), declaring the function ``name``."""
    verbatim = "\n".join("    " + line for line in c_source().strip().splitlines())
    return ('cdef extern from *:\n    """\n' + verbatim + '\n    """\n'
            f"    {_DECLARATIONS[name]}\n")


def gauss_fix_numpy(x, seed, stream, i, step):
    """``gauss_fix`` for arrays: on NumPy ``gauss_fast`` is the whole draw (never NaN)."""
    x = np.asarray(x, dtype=np.float64)
    missing = np.isnan(x)
    if missing.any():
        x = np.where(missing, gauss_numpy(seed, stream, i, step), x)
    return x


def gauss_near_numpy(d, sigma, seed, stream, i, step):
    """``gauss_near`` for arrays: the draws where ``d > -sigma * BOUND``, 0 elsewhere."""
    near_ = np.asarray(d, dtype=np.float64) > -np.asarray(sigma, dtype=np.float64) * BOUND
    return np.where(near_, gauss_numpy(seed, stream, i, step), 0.0)


def functions():
    """The Brian2 ``Function`` s of the module by name: ``gauss(noise_key, stream, i,
    t_in_timesteps)``, ``gauss_fast`` (same arguments), ``gauss_fix(x, ...)`` and
    ``gauss_near(distance, sigma, ...)``."""
    from brian2 import Function

    draw_types = ["float", "integer", "integer", "integer"]
    out = {}
    for name, numpy_code, arg_types in (("gauss", gauss_numpy, draw_types),
                                        ("gauss_fast", gauss_numpy, draw_types),
                                        ("gauss_fix", gauss_fix_numpy, ["float"] + draw_types),
                                        ("gauss_near", gauss_near_numpy,
                                         ["float", "float"] + draw_types)):
        fn = Function(numpy_code, arg_units=[1] * len(arg_types), return_unit=1,
                      arg_types=arg_types, return_type="float", stateless=True,
                      auto_vectorise=False)
        # unit-free: Brian2's unit-checking wrapper formats the whole result array on every call
        fn.implementations.add_numpy_implementation(numpy_code, discard_units=True)
        fn.implementations.add_implementation("cpp", c_source(), name=name)
        fn.implementations.add_implementation("cython", cython_source(name), name=name)
        fn.implementations.add_implementation("cuda", c_source(), name=name)  # brian2cuda
        out[name] = fn
    return out
