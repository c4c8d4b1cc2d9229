"""From what a user types to a model's parameter record.

``--set NAME=VALUE`` pairs, ``--duration``, ``--seed``, ``--device``, ``--quick`` and
``--data-dir`` become one :class:`models.common.ModelParams` record: the model's defaults, then
its QUICK overrides, then the options, then the ``--set`` values, each read by the parameter's
own declaration (kind, unit, range). Nothing is evaluated: quantities go through the grammar
of :mod:`models.common.units`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from models.common.errors import ModelError
from spikerules import UsageError

#: parameters with an option of their own
OPTIONS = {"seed": "--seed", "device": "--device", "duration": "--duration",
           "data_dir": "--data-dir"}


def split_settings(settings):
    """['name=value', ...] -> {name: text}; UsageError for a malformed or repeated one."""
    out = {}
    for item in settings:
        if "=" not in item:
            raise UsageError(f"--set takes NAME=VALUE, got '{item}'")
        name, text = (part.strip() for part in item.split("=", 1))
        if name in OPTIONS:
            raise UsageError(f"use {OPTIONS[name]} instead of --set {name}=...")
        if name in out:
            raise UsageError(f"--set {name} is given twice")
        out[name] = text
    return out


def parse_seed(text):
    """A seed: a non-negative whole number."""
    if not re.fullmatch(r"\s*\d+\s*", str(text)):
        raise UsageError(f"--seed takes a non-negative whole number, not '{text}'")
    return int(text)


def parse_time(text, name="duration"):
    """'500ms', '10s', '2.5 s', '1*minute' or plain seconds -> seconds as a float (>= 0)."""
    from brian2 import second

    from models.common.params import Spec

    spec = Spec(name, 1 * second, "", "quantity", "second", minimum=0)
    try:
        value = second * float(text)
    except ValueError:
        value = spec.parse(text)
    return spec.coerce(value)  # finite and >= 0


def make_params(model, *, settings=(), quick=False, duration=None, seed=1, device="cpp",
                data_dir=None):
    """The parameter record of one run of ``model`` (a :class:`models.common.Model`)."""
    cls = model.params
    values = split_settings(settings) if not isinstance(settings, dict) else dict(settings)
    params = cls.quick() if quick else cls()
    names = {s.name for s in cls.specs()}
    changes = dict(seed=seed, device=device)
    if duration is not None:
        if "duration" not in names:
            raise UsageError(cls.DURATION_HINT or f"{model.name} takes no --duration")
        changes["duration"] = parse_time(duration) if isinstance(duration, str) else duration
    if data_dir is not None:
        if "data_dir" not in names:
            raise UsageError(f"{model.name} reads no data (no --data-dir)")
        changes["data_dir"] = str(data_dir)
    parsed = {}
    for name, text in values.items():
        spec = cls.spec(name)  # an alias gives the parameter's own name
        if spec.name in parsed:
            raise UsageError(f"--set {spec.name} is given twice (also as {name})")
        parsed[spec.name] = spec.parse(text)
    return params.replace(**changes, **parsed)  # checked once, with every change applied


def check_writable(path, option="--out"):
    """Fail (ModelError) unless ``path`` can become a directory; creates nothing.

    The nearest existing ancestor must be a directory in which a directory can be made (tried
    with a probe that is removed at once).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelError(f"{option} {path} exists and is not a directory")
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ModelError(f"{option} {path} lies inside {ancestor}, which is a file")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".spikerules-probe-", dir=ancestor))
    except OSError as exc:
        raise ModelError(f"{option} {path} cannot be written ({exc.strerror or exc})") from None
    return path
