"""The main loop of Brian2's generated C++ (``network.cpp``), without a clock read per step.

Brian2 2.9's ``Network::run`` reads the process CPU clock (``std::clock``) after every time
step, only to compare it with ``maximum_run_time``, which this suite never sets. On the
virtual machines we run on that read is a system call (about 0.8 us, a twentieth of a step of
the E/I network). It also makes ``Network::_last_run_time`` CPU time of the last ``run()``
only, where users want the wall time of the loop.

:func:`install` makes the C++ device write a ``network.cpp`` that reads a monotonic wall
clock once before and once after each ``run()``, and adds the result to
``Network::_last_run_time``: after the binary ends, Brian2's ``device._last_run_time`` is the
wall time of all the loops of the process, whatever the number of ``run()`` calls (progress
pieces, phases). Everything else in the loop is Brian2's.

The loop also runs with subnormal numbers flushed to zero (:data:`SUBNORMALS_TO_ZERO`).

Brian2 2.10 already reads a wall clock (``std::chrono``) and reads it per step only with
``maximum_run_time``; there the one edit left is the sum over ``run()`` calls. The change is a
text edit of the rendered template (one set of edits per known rendering, tried in turn): if a
Brian2 version renders it differently, the edit is skipped with one warning line and Brian2's
own loop runs (``tests/test_standalone.py`` notices).
"""

from __future__ import annotations

import types

#: main.cpp code, run once before the first ``run()``: on x86-64, results and operands below
#: 2.2e-308 count as zero (the FTZ and DAZ bits of MXCSR; Brian2 compiles with -ffast-math
#: but does not link with it, which would set them). A leaky trace of a neuron that stays
#: silent, ``x <- (1 - a) x``, leaves the normal numbers after about 708 / a steps and then
#: never reaches zero: a subnormal m 2^-1074 with m < 0.5 / a rounds back to itself, and each
#: multiplication by a subnormal takes a hundred-cycle microcode assist on Intel CPUs. In
#: balanced-ei's constant-input protocol the spike traces of 257 of its 300 E neurons were stuck
#: there, a fifth of the C++ time of a 200-s run (docs/speed.md). Flushed, such a trace is 0; no
#: quantity of the models lives below 1e-300. Other CPUs keep IEEE subnormals (slower, the
#: same science); the runtime target keeps them too (only values below 2.2e-308 differ).
SUBNORMALS_TO_ZERO = """#if defined(__x86_64__)
__builtin_ia32_ldmxcsr(__builtin_ia32_stmxcsr() | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
#endif"""

#: Brian2 2.9: (Brian2's text, ours); each must occur exactly once in the rendered network.cpp
EDITS_2_9 = (
    ("#include <ctime>", "#include <ctime>\n#include <chrono>"),
    ("    start = std::clock();\n",
     "    start = std::clock();\n"
     "    const auto _wall_start = std::chrono::steady_clock::now();\n"),
    ("        current = std::clock();\n"
     "        elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);\n",
     ""),
    ("    _last_run_time = elapsed_realtime;\n",
     "    elapsed_realtime = std::chrono::duration<double>(\n"
     "        std::chrono::steady_clock::now() - _wall_start).count();\n"
     "    _last_run_time += elapsed_realtime;  // wall time of all run() calls\n"),
)

#: Brian2 2.10: a wall clock (std::chrono) read before and after the loop already; sum the runs
EDITS_2_10 = (
    ("    _last_run_time = elapsed_realtime;\n",
     "    _last_run_time += elapsed_realtime;  // wall time of all run() calls\n"),
)

#: the known renderings, tried in turn: (edits, text that must be absent). 2.10's edit alone
#: would also apply to 2.9's loop, which reads std::clock() every step: refused there
EDIT_SETS = ((EDITS_2_9, None), (EDITS_2_10, "std::clock()"))


def _apply(source: str, edits) -> str | None:
    for old, new in edits:
        if source.count(old) != 1:
            return None
        source = source.replace(old, new)
    return source


def edit(source: str) -> str | None:
    """``network.cpp`` as Brian2 rendered it -> ours, or None if it is not an expected text.

    A 2.10-style loop reads no clock inside the time-step loop (it does only with
    ``maximum_run_time``, which :func:`install` leaves to Brian2)."""
    for edits, absent in EDIT_SETS:
        if absent is not None and absent in source:
            continue
        ours = _apply(source, edits)
        if ours is not None:
            return ours
    return None


def install(device) -> None:
    """Make ``device`` (Brian2's C++ standalone device) write our ``network.cpp``."""
    original = type(device).generate_network_source

    def generate_network_source(self, writer, compiler):
        if self._maximum_run_time is not None:  # the clock read is needed then
            return original(self, writer, compiler)
        rendered = self.code_object_class().templater.network(None, None,
                                                              maximum_run_time=None)
        ours = edit(rendered.cpp_file)
        if ours is None:
            print("spikerules: this Brian2 renders network.cpp differently; its own loop "
                  "runs (a CPU-clock read per step; loop times are CPU times)", flush=True)
            ours = rendered.cpp_file
        writer.write("network.cpp", ours)
        writer.write("network.h", rendered.h_file)

    device.generate_network_source = types.MethodType(generate_network_source, device)
