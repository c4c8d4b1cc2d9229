"""The points of a sweep: seeds times every combination of the swept values, checked first."""

from __future__ import annotations

import itertools
import re

from spikerules import UsageError
from spikerules.registry import load_model
from spikerules.settings import make_params


def parse_seeds(text):
    """'1-8', '1,3,5' or '1-4,9' -> [1, 2, ...] (each seed once, in order)."""
    seeds = []
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise UsageError(f"--seeds takes ranges like 1-8 or 1,3,5, got '{text}'")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            raise UsageError(f"--seeds range {part} runs backwards")
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    return seeds


def split_values(setting):
    """'NAME=V1,V2' -> (NAME, [V1, V2]); with '|' in the values, '|' separates them instead
    (for values that contain commas themselves: 'sizes=64,32|256,128')."""
    if "=" not in setting:
        raise UsageError(f"--set takes NAME=VALUE[,VALUE...], got '{setting}'")
    name, text = setting.split("=", 1)
    values = [v.strip() for v in text.split("|" if "|" in text else ",")]
    if any(v == "" for v in values):
        raise UsageError(f"--set {name}: empty value in '{text}'")
    return name.strip(), values


def setting_axes(settings):
    """``--set`` texts -> [(name, [value text, ...])], one axis per parameter."""
    axes = [split_values(s) for s in settings]
    names = [n for n, _ in axes]
    if len(set(names)) != len(names):
        raise UsageError("a parameter appears twice in --set")
    return axes


def grid_axes(grid):
    """A grid of the Python API, ``{name: [value, ...]}``, as axes of value texts.

    Values may be text (``'40/second'``, ``'64,32'``) or numbers; a single value needs no list.
    """
    axes = []
    for name, values in (grid or {}).items():
        if isinstance(values, (str, int, float)):
            values = [values]
        axes.append((str(name), [str(v).strip() for v in values]))
    return axes


def sweep_points(model, axes, seeds):
    """All combinations: [(seed, {name: value text})], checked against the model's parameters.

    Every value is read by its parameter's declaration here, so a bad one exits 2 before any
    point runs.
    """
    record = load_model(model)
    for name, values in axes:
        if not values:
            raise UsageError(f"no values for {name}")
        # each value with the first value of every other axis: rules that tie parameters
        # together (recurrence=lowrank needs learn=0) hold as in the points themselves
        others = [f"{n}={v[0]}" for n, v in axes if n != name and v]
        for value in values:
            make_params(record, settings=[f"{name}={value}", *others])
    points = []
    for seed in seeds:
        for combo in itertools.product(*[values for _, values in axes]):
            points.append((seed, dict(zip([n for n, _ in axes], combo))))
    return points


def point_name(seed, values):
    """The run directory name of a point: ``seed2-lam=40_second``."""
    parts = [f"seed{seed}"] + [f"{k}={v}" for k, v in values.items()]
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", "-".join(parts))
