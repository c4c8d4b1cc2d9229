"""A precompiled header for C++ standalone builds: the headers parsed once per build, not per file.

Every ``.cpp`` file of a Brian2 project includes ``objects.h`` (the project's arrays, the
synapse classes, ``<vector>``, ``<random>``, ``<iostream>`` ...): about 70,000 lines that GCC
parses in 0.6-0.75 s, most of the 0.7-0.85 s it takes to compile one code object.
:func:`install` has every file compiled with ``-include spikerules_pch.h`` (a header that
includes them) and GCC precompile that header before each build that compiles anything
(``spikerules_pch.h.gch``, 2.4 s, 47 MB): a code object then compiles in 0.2 s, to the same
machine code (objdump of the objects compared). The ``.gch`` is deleted after the build, so it
is never stale and never copied with a cached project; where it is missing or cannot be made
GCC reads the header itself, with the same result. Not on Windows (MSVC has no ``-include``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

HEADER = "spikerules_pch.h"
INCLUDES = ('"objects.h"', '"brianlib/common_math.h"', '"brianlib/stdint_compat.h"',
            "<cmath>", "<ctime>", "<iostream>", "<fstream>", "<climits>")
FLAGS = ["-include", HEADER]


def install(device) -> None:
    """Make ``device`` (Brian2's C++ standalone device) compile with the header, precompiled
    before a build that compiles anything and deleted after. The flags go to the device, not
    to Brian2's preferences: those are also Cython's, and Brian2 drops from them any flag that
    does not compile a test program on its own."""
    if os.name == "nt":
        return
    device.extra_compile_args = [*device.extra_compile_args, *FLAGS]
    original = device.compile_source

    def compile_source(directory, compiler, debug, clean):
        project = Path(directory)
        _write_header(project)
        if clean or subprocess.run(["make", "-q"], cwd=project,
                                   capture_output=True).returncode != 0:
            _precompile(project)
        try:
            return original(directory, compiler, debug, clean)
        finally:
            (project / f"{HEADER}.gch").unlink(missing_ok=True)

    device.compile_source = compile_source


def _write_header(project: Path) -> None:
    """The header, written only when it changes (every object file depends on it)."""
    text = "".join(f"#include {name}\n" for name in INCLUDES)
    path = project / HEADER
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _precompile(project: Path) -> None:
    """``HEADER.gch`` with the makefile's own compile flags (best effort)."""
    flags = compile_flags(project)
    if flags is not None:
        subprocess.run([os.environ.get("CXX", "g++"), *flags, "-x", "c++-header", HEADER,
                        "-o", f"{HEADER}.gch"], cwd=project, capture_output=True)


def compile_flags(project: Path) -> list[str] | None:
    """The makefile's flags of a compilation, without ``-c`` and the header's (None if the
    makefile does not have them where Brian2 writes them)."""
    makefile = (project / "makefile").read_text()
    found = {name: re.search(rf"^{name} = (.*)$", makefile, re.M)
             for name in ("OPTIMISATIONS", "CXXFLAGS")}
    if None in found.values():
        return None
    flags = found["CXXFLAGS"].group(1).replace("$(OPTIMISATIONS)", found["OPTIMISATIONS"].group(1))
    return [w for w in shlex.split(flags) if w not in ("-c", *FLAGS)]
