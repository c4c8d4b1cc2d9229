"""One compiled code object per distinct code, however many times a network is run.

In C++ standalone mode every ``run()`` call makes Brian2 generate a new code object for every
object of the network (``neurons_stateupdater_codeobject``, ``..._1``, ``..._2``, ...), even
when the code is the same as in the run before. A learning run cut into 13 pieces (progress
lines, monitors switched on and off) compiled 13 copies of each file: 350 files and four
minutes of compilation on 2 cores, nearly all of it for identical code.

:func:`install` makes the device hand back the code object it already has when a new one
would be identical to it: the same template output (its own name aside), the same arrays
and the same values of every constant the code reads. The run lines then call the earlier
code object, which does exactly what the new one would have done.
"""

from __future__ import annotations

import types

#: the parts of a rendered code object (``MultiTemplate`` attributes) that are compared
PARTS = ("cpp_file", "h_file", "before_run_cpp_file", "before_run_h_file",
         "after_run_cpp_file", "after_run_h_file")


def signature(device, codeobj) -> tuple:
    """What makes two code objects the same program: rendered code with the object's own
    name blanked out, the arrays it reads and writes, and the constants' values."""
    from brian2.core.variables import ArrayVariable, Constant

    code = tuple((getattr(codeobj.code, part, "") or "").replace(codeobj.name, "@")
                 for part in PARTS)
    variables = []
    for key, var in sorted(codeobj.variables.items()):
        if isinstance(var, Constant):
            variables.append((key, "constant", repr(var.value)))
        elif isinstance(var, ArrayVariable):
            variables.append((key, "array", device.get_array_name(var, access_data=False)))
        else:
            variables.append((key, type(var).__name__, str(getattr(var, "name", ""))))
    return (codeobj.template_name, codeobj.owner.name, code, tuple(variables))


def install(device) -> None:
    """Make ``device`` (Brian2's C++ standalone device) reuse identical code objects."""
    original = type(device).code_object
    known = {}

    def code_object(self, owner, name, *args, **kwargs):
        codeobj = original(self, owner, name, *args, **kwargs)
        key = signature(self, codeobj)
        earlier = known.setdefault(key, codeobj)
        if earlier is codeobj:
            return codeobj
        del self.code_objects[codeobj.name]  # never written, never compiled
        if codeobj.name in self.profiled_codeobjects:
            self.profiled_codeobjects.remove(codeobj.name)
        return earlier

    device.code_object = types.MethodType(code_object, device)
