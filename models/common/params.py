"""A model's parameters, declared once: unit, default, one-line doc and allowed values.

Each model's ``params.py`` holds one frozen record::

    @parameters
    class Params(ModelParams):
        \"\"\"Learning an efficient balanced code (defaults: Fig 2 of the official code).\"\"\"

        duration: Quantity = param(500 * second, "learning time", unit="second", minimum=0)
        n_neurons: int = param(20, "network size", minimum=2)
        system: str = param("oscillator", "target system", choices=("oscillator", "integrator"))

Everything else derives from it: ``--set NAME=VALUE`` (:meth:`ModelParams.with_text`), the
``params.json`` of a run (:meth:`~ModelParams.to_json`, :meth:`~ModelParams.from_json`),
sweeps, ``spikerules list MODEL`` (:meth:`~ModelParams.describe`) and the class docstring
(numpydoc ``Parameters``, written by :func:`parameters`). Values are checked when a record is
made: kind, unit, range and choices field by field, then the model's own :meth:`check` for
rules that tie several fields. A bad value raises :class:`ModelError` with one line.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from models.common.device import RUNTIME_TARGETS, TARGETS
from models.common.errors import ModelError
from models.common.units import UnitSyntaxError, format_number, parse_quantity

#: most time steps a run may have: Brian2's TimedArray code indexes steps with a 32-bit int
MAX_STEPS = 2**31 - 1

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Spec:
    """What is declared about one parameter (see :func:`param`)."""

    name: str
    default: object
    doc: str
    kind: str  # 'quantity', 'bool', 'int', 'float' or 'str'
    unit: str | None = None
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    below: float | None = None
    optional: bool = False

    @functools.cached_property
    def unit_value(self):
        """The declared unit as a Brian2 Quantity (1 for dimensionless kinds)."""
        return parse_quantity(self.unit) if self.unit else 1.0

    # -- text ------------------------------------------------------------------------------
    def text(self, value):
        """The value as a user types it (and as params.json stores it): '1 ms', '50/second'.

        The shortest such text that reads back as exactly the same value.
        """
        if value is None:
            return "none"
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind not in ("quantity", "float"):
            return str(value)
        for digits in (15, 17):
            number = format_number(float(value / self.unit_value), digits)
            if self.kind == "float":
                text = number
            elif self.unit.startswith("1/"):
                text = f"{number}/{self.unit[2:]}"
            else:
                text = f"{number} {self.unit}"
            if not math.isfinite(float(value / self.unit_value)) or self.parse(text) == value:
                break
        return text

    def example(self):
        """A valid setting in the parameter's own unit, for error messages: 'dt=1*ms'."""
        value = self.default
        if self.kind == "quantity":
            number = format_number(float(value / self.unit_value)) if value is not None else "1"
            if self.unit.startswith("1/"):
                return f"{self.name}={number}/{self.unit[2:]}"
            return f"{self.name}={number}*{self.unit}"
        if value is None:
            return f"{self.name}=..."
        return f"{self.name}={self.text(value)}"

    def parse(self, text):
        """The value of ``text`` (from ``--set`` or a sweep grid); ModelError if unreadable."""
        text = str(text).strip()
        name = self.name
        if self.optional and text.lower() == "none":
            return None
        if self.kind == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ModelError(f"{name} takes 0/1 or true/false, not '{text}'")
        if self.kind == "int":
            try:
                return int(text)
            except ValueError:
                raise ModelError(f"{name} takes a whole number, not '{text}'") from None
        if self.kind == "float":
            try:
                return float(text)
            except ValueError:
                raise ModelError(f"{name} takes a plain number, not '{text}'") from None
        if self.kind == "str":
            return text
        try:
            value = parse_quantity(text)
        except UnitSyntaxError as exc:
            raise ModelError(f"{name}: cannot read '{text}' as a quantity ({exc}; "
                             f"e.g. {self.example()})") from None
        return self._as_quantity(value, shown=text)

    # -- checks ----------------------------------------------------------------------------
    def _as_quantity(self, value, shown):
        from brian2 import Quantity, have_same_dimensions

        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Quantity, int, float,
                                                                         np.number)):
            raise ModelError(f"{self.name} needs a quantity in {self.unit}, got '{shown}'")
        if not isinstance(value, Quantity) and float(value) == 0:
            return 0 * self.unit_value  # a plain 0 is 0 in any unit
        if not have_same_dimensions(value, self.unit_value):
            raise ModelError(f"{self.name} needs units of {self.unit} "
                             f"(e.g. {self.example()}), got '{shown}'")
        return value if isinstance(value, Quantity) else value * self.unit_value

    def coerce(self, value):
        """``value`` checked for kind, unit, finiteness, range and choices; returns it in the
        declared kind (ints of a float parameter become floats)."""
        name = self.name
        if value is None:
            if self.optional:
                return None
            raise ModelError(f"{name} must be set")
        if self.kind == "quantity":
            value = self._as_quantity(value, shown=str(value))
            number = float(value / self.unit_value)
        elif self.kind == "bool":
            if isinstance(value, (bool, np.bool_)) or value in (0, 1):
                return bool(value)
            raise ModelError(f"{name} takes 0/1 or true/false, not {value!r}")
        elif self.kind == "int":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise ModelError(f"{name} takes a whole number, not {value!r}")
            value = number = int(value)
        elif self.kind == "float":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float,
                                                                             np.number)):
                raise ModelError(f"{name} takes a plain number, not {value!r}")
            value = number = float(value)
        else:
            if not isinstance(value, str):
                raise ModelError(f"{name} takes text, not {value!r}")
            number = None
        if self.choices is not None and value not in self.choices:
            raise ModelError(f"{name} must be one of {', '.join(map(str, self.choices))}, "
                             f"not '{value}'")
        if number is not None:
            self._check_range(number, value)
        return value

    def _check_range(self, number, value):
        shown = self.text(value)
        if not math.isfinite(number):
            raise ModelError(f"{self.name} must be finite, not {shown}")
        unit = f" {self.unit}" if self.kind == "quantity" else ""
        for bound, ok, words in ((self.minimum, lambda b: number >= b, "at least"),
                                 (self.maximum, lambda b: number <= b, "at most"),
                                 (self.above, lambda b: number > b, "above"),
                                 (self.below, lambda b: number < b, "below")):
            if bound is not None and not ok(bound):
                raise ModelError(f"{self.name} must be {words} {format_number(bound)}{unit}, "
                                 f"not {shown}")

    def allowed(self):
        """The range or choices in words, for listings ('' when anything of the kind goes)."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        parts = [f"{words} {format_number(b)}" for b, words in (
            (self.minimum, ">="), (self.above, ">"), (self.maximum, "<="), (self.below, "<"))
            if b is not None]
        return " and ".join(parts)


def param(default, doc, *, unit=None, kind=None, choices=None, minimum=None, maximum=None,
          above=None, below=None):
    """Declare one parameter: its default, a one-line doc and what values it accepts.

    ``unit`` (a Brian2 unit expression: ``"ms"``, ``"1/second"``, ``"second**-0.5"``) makes
    it a quantity; otherwise the kind is that of the default (bool, int, float or str), or
    ``kind`` when the default is None (then None is accepted too: 'set by a preset').
    Bounds are numbers in the parameter's own unit.
    """
    if unit is not None:
        kind = "quantity"
    elif kind is None:
        kind = {bool: "bool", int: "int", float: "float", str: "str"}[type(default)]
    metadata = dict(doc=doc, kind=kind, unit=unit, choices=tuple(choices) if choices else None,
                    minimum=minimum, maximum=maximum, above=above, below=below,
                    optional=default is None)
    if isinstance(default, np.ndarray):  # a Brian2 Quantity: dataclasses refuse it as default
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True, kw_only=True)
class ModelParams:
    """What every model run takes besides its own parameters."""

    seed: int = param(1, "seed of the initial weights, the inputs and Brian2's noise",
                      minimum=0)
    device: str = param("cpp", "runtime (Brian2's Cython runtime), cpp (C++ standalone), cuda "
                        "(brian2cuda), or numpy (Brian2's runtime without compiling: small "
                        "checks)", choices=tuple(dict.fromkeys(TARGETS + RUNTIME_TARGETS)))
    build_only: bool = param(False, "standalone targets: generate and compile the project, do "
                             "not run it")

    #: overrides of ``spikerules run --quick``: a smoke run of about a minute
    QUICK: ClassVar[dict] = {}
    #: shown when ``--duration`` is given to a model without a ``duration`` parameter
    DURATION_HINT: ClassVar[str] = ""
    #: other names of parameters for ``--set`` (the paper's symbol): {"N": "n_neurons"}
    ALIASES: ClassVar[dict] = {}

    def __post_init__(self):
        for spec in self.specs():
            object.__setattr__(self, spec.name, spec.coerce(getattr(self, spec.name)))
        self._check_steps()
        self.check()

    def check(self):
        """Rules that tie several parameters together (a model overrides this)."""

    def recorded_bytes(self):
        """Memory in bytes that the run's inputs and recordings will take, estimated before
        anything is built (a model overrides this where they grow with its parameters)."""
        return 0

    def memory_parts(self):
        """{what: bytes} of the memory the run will take, estimated before anything is built
        (a model names the parts where its networks grow large)."""
        return {"inputs and recordings": self.recorded_bytes()}

    def memory_statement(self):
        """One line: the estimated parts and the memory free ('' when they are small)."""
        parts, have = self.memory_parts(), available_memory()
        if sum(parts.values()) < 1e8:
            return ""
        listed = ", ".join(f"{what} {need / 1e9:.3g} GB" for what, need in parts.items())
        return f"memory estimate: {listed}; {have / 1e9:.3g} GB free"

    def check_resources(self):
        """ModelError when the estimated memory of the run exceeds what the machine has free."""
        parts, have = self.memory_parts(), available_memory()
        need = sum(parts.values())
        if need > 0.8 * have:
            if len(parts) == 1:
                what = f"GB of {next(iter(parts))}"
            else:
                what = "GB (" + " + ".join(f"{k} {b / 1e9:.3g} GB" for k, b in parts.items()) + ")"
            raise ModelError(f"this run would hold about {need / 1e9:.3g} {what}, more than the "
                             f"{have / 1e9:.3g} GB of memory free; shorten it, make it smaller "
                             "or record less")

    def _check_steps(self):
        """Every time-valued parameter must fit Brian2's 32-bit step index at ``dt``."""
        dt = getattr(self, "dt", None)
        if dt is None:
            return
        for spec in self.specs():
            value = getattr(self, spec.name)
            if spec.kind == "quantity" and value is not None and spec.name != "dt" and (
                    spec.unit_value.dim == dt.dim):
                steps = float(value / dt)
                if steps > MAX_STEPS:
                    raise ModelError(
                        f"{spec.name} = {spec.text(value)} is {steps:.3g} steps of dt = "
                        f"{self.spec('dt').text(dt)}, more than Brian2's step index holds "
                        f"({MAX_STEPS})")

    # -- declaration -----------------------------------------------------------------------
    @classmethod
    def specs(cls):
        """The declared parameters (:class:`Spec`), the model's own first, then the common."""
        return list(_specs(cls))

    @classmethod
    def spec(cls, name):
        name = cls.ALIASES.get(name, name)
        for spec in _specs(cls):
            if spec.name == name:
                return spec
        accepted = ", ".join(s.name for s in _specs(cls) if s.name not in ("seed", "device"))
        raise ModelError(f"unknown parameter '{name}'; accepted: {accepted}")

    # -- derived forms ---------------------------------------------------------------------
    def with_text(self, settings):
        """A copy with ``{name: text}`` applied (``--set``); ModelError on a bad one."""
        return self.replace(**{name: self.spec(name).parse(text)
                               for name, text in settings.items()})

    def replace(self, **changes):
        """A copy with ``changes`` (checked like a new record)."""
        for name in changes:
            self.spec(name)
        return dataclasses.replace(self, **changes)

    def to_json(self):
        """{name: value} for params.json: numbers and text; quantities as '1 ms'."""
        out = {}
        for spec in self.specs():
            value = getattr(self, spec.name)
            out[spec.name] = (spec.text(value) if spec.kind == "quantity" and value is not None
                              else value)
        return out

    @classmethod
    def from_json(cls, data):
        """The record of a params.json (other keys, such as 'model', are ignored)."""
        if not isinstance(data, dict):
            raise ModelError("params.json must hold an object")
        values = {}
        for spec in _specs(cls):
            if spec.name in data:
                value = data[spec.name]
                values[spec.name] = spec.parse(value) if spec.kind == "quantity" and isinstance(
                    value, str) else value
        return cls(**values)

    def changed(self):
        """{name: text} of the parameters that differ from their defaults."""
        return {s.name: s.text(getattr(self, s.name)) for s in self.specs()
                if not _same(getattr(self, s.name), s.default)}

    @classmethod
    def describe(cls):
        """Lines for ``spikerules list MODEL``: name, default with unit, doc, range."""
        rows = [(s.name, s.text(s.default), s.doc + (f" ({s.allowed()})" if s.allowed() else ""))
                for s in _specs(cls)]
        width = [max(len(r[k]) for r in rows) for k in (0, 1)]
        return [f"  {n:{width[0]}s}  {d:{width[1]}s}  {doc}" for n, d, doc in rows]

    @classmethod
    def quick(cls, **changes):
        """The record of ``--quick``: defaults, then QUICK, then ``changes``."""
        return cls(**{**cls.QUICK, **changes})


def available_memory():
    """Bytes of memory available now (Linux: MemAvailable; elsewhere the physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:  # Brian2 refuses to compare quantities of other dimensions
        return False


@functools.cache
def _specs(cls):
    own, common = [], []
    base_names = {f.name for f in dataclasses.fields(ModelParams)}
    for f in dataclasses.fields(cls):
        m = f.metadata
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        spec = Spec(f.name, default, m["doc"], m["kind"], m["unit"], m["choices"],
                    m["minimum"], m["maximum"], m["above"], m["below"], m["optional"])
        (common if f.name in base_names else own).append(spec)
    return tuple(own + common)


def parameters(cls):
    """Class decorator of a model's parameter record: a frozen, keyword-only dataclass whose
    docstring gains a numpydoc ``Parameters`` section written from the declarations."""
    cls = dataclass(frozen=True, kw_only=True)(cls)
    lines = ["", "Parameters", "----------"]
    for s in _specs(cls):
        kind = {"quantity": f"Quantity ({s.unit})"}.get(s.kind, s.kind)
        lines.append(f"{s.name} : {kind}, default {s.text(s.default)}")
        lines.append(f"    {s.doc}" + (f" ({s.allowed()})" if s.allowed() else ""))
    cls.__doc__ = (cls.__doc__ or cls.__name__).rstrip() + "\n" + "\n".join(lines) + "\n"
    return cls
