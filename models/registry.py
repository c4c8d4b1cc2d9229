"""Models the command line knows, and the parsing of their parameters.

A model module exposes ``NAME``, ``DESCRIPTION``, a ``run_*`` function whose keyword defaults
(with units) are the model's parameters, ``QUICK`` (overrides for a fast smoke run) and
``SUMMARY`` (metric keys for the one-line summary).
"""

from __future__ import annotations

import importlib
import inspect
import math
import re

MODEL_MODULES = {
    "balanced-coding": ("models.balanced_coding", "run_balanced_coding"),
    "balanced-ei": ("models.balanced_ei", "run_balanced_ei"),
    "erbp": ("models.erbp", "run_erbp"),
    "gradient-autoencode": ("models.gradient_autoencode", "run_gradient_autoencode"),
    "gradient-xor": ("models.gradient_xor", "run_gradient_xor"),
    "predictive-dynamics": ("models.predictive_dynamics", "run_predictive_dynamics"),
    "rdd-alignment": ("models.rdd_network", "run_rdd_alignment"),
    "rdd-training": ("models.rdd_training", "run_rdd_training"),
    "supervised-dynamics": ("models.supervised_dynamics", "run_supervised_dynamics"),
}

#: keywords handled by the command line itself, not by --set
RESERVED = ("duration", "seed", "device")


class ParameterError(ValueError):
    """Bad user input: reported as one line, exit status 2."""


def load(name):
    """(module, run function) of a model; ParameterError for an unknown name."""
    if name not in MODEL_MODULES:
        raise ParameterError(
            f"unknown model '{name}'; accepted: {', '.join(sorted(MODEL_MODULES))}"
        )
    module_name, func_name = MODEL_MODULES[name]
    module = importlib.import_module(module_name)
    return module, getattr(module, func_name)


def parameters(func):
    """{name: default} of a model's keyword parameters."""
    return {
        p.name: p.default
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _unit_namespace():
    import brian2.units as units
    import brian2.units.allunits as allunits

    ns = {k: getattr(allunits, k) for k in dir(allunits) if not k.startswith("_")}
    ns.update({k: getattr(units, k) for k in dir(units) if not k.startswith("_")})
    ns.setdefault("s", units.second)  # '10s' as users write it; Brian2 itself says 'second'
    return ns


def parse_quantity(text, *, like, name):
    """Parse ``text`` ("50/second", "1*ms", "2 ms", "0.5") into the kind of ``like``."""
    from brian2 import Quantity, get_dimensions, have_same_dimensions

    text = text.strip()
    if isinstance(like, bool):
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ParameterError(f"{name} takes 0/1 or true/false, not '{text}'")
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            raise ParameterError(f"{name} takes a whole number, not '{text}'") from None
    if isinstance(like, float) and not isinstance(like, Quantity):
        try:
            return float(text)
        except ValueError:
            raise ParameterError(f"{name} takes a plain number, not '{text}'") from None
    if isinstance(like, str):
        return text
    if isinstance(like, Quantity):
        unit_text = str(get_dimensions(like)) if not like.is_dimensionless else "1"
        example = f"{float(like)!r} * {like.get_best_unit()!s}".replace(" ", "")
        # '500ms', '2 s' and '1e-3 second' mean number * unit
        match = re.fullmatch(r"([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z_]\w*)", text)
        expr = f"{match.group(1)}*{match.group(2)}" if match else text
        try:
            value = eval(expr, {"__builtins__": {}}, _unit_namespace())  # noqa: S307
        except Exception:
            raise ParameterError(
                f"{name}: cannot read '{text}' as a quantity (units of {unit_text}, "
                f"e.g. {name}={example})"
            ) from None
        if not isinstance(value, (Quantity, int, float)) or (
            not have_same_dimensions(value, like)
        ):
            raise ParameterError(
                f"{name} needs units of {unit_text} (e.g. {name}={example}), got '{text}'"
            )
        return value
    raise ParameterError(f"{name} cannot be set from the command line")


def parse_duration(text):
    """'500ms', '10s', '2.5 s', '1*minute' or plain seconds -> Quantity in seconds (>= 0)."""
    from brian2 import second

    try:
        value = second * float(text)
    except ValueError:
        value = parse_quantity(text, like=1 * second, name="duration")
    if not math.isfinite(float(value)) or float(value) < 0:
        raise ParameterError(f"duration must be a non-negative time, got '{text}'")
    return value


def parse_settings(func, settings, kinds=None):
    """Turn ['name=value', ...] into keyword arguments for a model's run function.

    ``kinds`` gives an example value for parameters whose default is None (set by a preset).
    """
    params = {k: (kinds or {}).get(k, v) if v is None else v
              for k, v in parameters(func).items()}
    kwargs = {}
    for item in settings:
        if "=" not in item:
            raise ParameterError(f"--set takes NAME=VALUE, got '{item}'")
        name, text = item.split("=", 1)
        name = name.strip()
        if name in RESERVED:
            raise ParameterError(f"use --{name} instead of --set {name}=...")
        if name not in params:
            accepted = ", ".join(k for k in params if k not in RESERVED)
            raise ParameterError(f"unknown parameter '{name}'; accepted: {accepted}")
        kwargs[name] = parse_quantity(text, like=params[name], name=name)
    return kwargs
