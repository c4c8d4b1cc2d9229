"""Run directories: what a model run returns, written to disk and read back as data.

A run directory holds ``params.json`` (every parameter, units as text), ``metrics.json`` (flat
name -> number), ``spikes.npz`` (``POP_i``, ``POP_t`` per population, times in s) and, where the
model records them, ``traces.npz``, ``weights.npz`` and ``schedule.json``. Every file is
written under a temporary name and renamed when complete; the directory itself is assembled
under a temporary name and renamed into place, so an interrupted run leaves nothing
half-written.

Reading treats every file as data: JSON through ``json``, arrays through ``numpy.load`` with
``allow_pickle=False``. A missing, corrupt or foreign file raises :class:`DataError` with one
line.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: files of a run directory: required ones first
REQUIRED = ("params.json", "metrics.json", "spikes.npz")
ARRAY_FILES = ("traces", "weights")


class DataError(ValueError):
    """Missing, corrupt or foreign data files: reported as one line, exit status 2."""


@dataclass
class RunResult:
    """Arrays and numbers of one model run; nothing in here refers to Brian2 objects.

    model : the model's name (``balanced-coding``)
    params : {name: value} as params.json holds it (quantities as text, '1 ms')
    metrics : flat name -> number (metrics.json)
    spikes : population -> (neuron indices, spike times in s) (spikes.npz)
    traces, weights : name -> array (traces.npz, weights.npz)
    schedule : list of phases {phase, checkpoint, start, stop} in s (schedule.json)
    timings : wall times of the phases (copied into metrics by the model)
    """

    model: str
    params: dict
    metrics: dict = field(default_factory=dict)
    spikes: dict = field(default_factory=dict)
    traces: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    schedule: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    def write(self, directory, extra_params=None):
        """Write the run directory atomically (an existing one is replaced); returns it."""
        params = dict(self.params, model=self.model, **(extra_params or {}))
        return write_run(directory, params=params, metrics=self.metrics, spikes=self.spikes,
                         arrays={"traces": self.traces, "weights": self.weights,
                                 "schedule": self.schedule})

    @classmethod
    def read(cls, directory):
        """The RunResult of a run directory (DataError if it is not a complete one)."""
        directory = Path(directory)
        if not directory.is_dir():
            raise DataError(f"{directory} is not a run directory (no such directory)")
        missing = [name for name in REQUIRED if not (directory / name).is_file()]
        if missing:
            raise DataError(f"{directory} is not a run directory (no {', '.join(missing)})")
        params = read_json(directory / "params.json", dict)
        model = params.get("model")
        if not isinstance(model, str):
            raise DataError(f"{directory}/params.json names no model")
        metrics = read_json(directory / "metrics.json", dict)
        bad = [k for k, v in metrics.items()
               if not (v is None or isinstance(v, (int, float, bool)))]
        if bad:
            raise DataError(f"{directory}/metrics.json: '{bad[0]}' is not a number")
        arrays = {stem: read_npz(directory / f"{stem}.npz") if (
            directory / f"{stem}.npz").is_file() else {} for stem in ARRAY_FILES}
        schedule = (read_json(directory / "schedule.json", list)
                    if (directory / "schedule.json").is_file() else [])
        return cls(model=model, params=params, metrics=metrics,
                   spikes=load_spikes(directory), schedule=schedule, **arrays)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, str) or value is None:
        return value
    return str(value)  # Brian2 quantities: '50. Hz', '1. ms'


def write_json(path, data):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(_jsonable(data), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def write_npz(path, arrays):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
    os.replace(tmp, path)


def write_run(directory, *, params, metrics, spikes, arrays=None):
    """Write a complete run directory atomically.

    ``spikes`` maps population name -> (indices, times in s); ``arrays`` maps file stem
    (``traces``, ``weights``) -> dict of arrays. An existing directory is replaced.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a run directory is not
    try:
        write_json(tmp / "params.json", params)
        write_json(tmp / "metrics.json", metrics)
        flat = {}
        for pop, (idx, times) in spikes.items():
            flat[f"{pop}_i"] = np.asarray(idx, dtype=np.int32)
            flat[f"{pop}_t"] = np.asarray(times, dtype=float)
        write_npz(tmp / "spikes.npz", flat)
        for stem, data in (arrays or {}).items():
            if data:
                if isinstance(data, dict):
                    write_npz(tmp / f"{stem}.npz", data)
                else:
                    write_json(tmp / f"{stem}.json", data)
        if directory.exists():
            kept = directory / "checkpoints"  # written while a long run went on: kept
            if kept.is_dir():
                os.replace(kept, tmp / "checkpoints")
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def read_json(path, kind):
    """The JSON value of ``path``, which must be of type ``kind`` (dict or list)."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path} is not readable JSON ({type(exc).__name__})") from None
    if not isinstance(value, kind):
        raise DataError(f"{path} holds a JSON {type(value).__name__}, not an "
                        f"{'object' if kind is dict else 'array'}")
    return value


def read_npz(path):
    """{name: array} of an .npz file, as data (no pickled objects)."""
    path = Path(path)
    try:
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path} is not an .npz archive")
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        reason = "holds Python objects" if "Object arrays" in str(exc) else type(exc).__name__
        raise DataError(f"{path} is not a readable .npz archive ({reason})") from None


def load_spikes(directory):
    """{population: (indices, times)} from a run directory's spikes.npz (checked; a model
    that records no spikes writes an empty one)."""
    path = Path(directory) / "spikes.npz"
    if not path.is_file():
        raise DataError(f"{directory} is not a run directory (no spikes.npz)")
    data = read_npz(path)
    pops = sorted({k[:-2] for k in data if k.endswith(("_i", "_t"))})
    stray = sorted(set(data) - {f"{p}_{s}" for p in pops for s in "it"})
    if stray:
        raise DataError(f"{path} is not a spikes file (expected POP_i and POP_t arrays, "
                        f"found '{stray[0]}')")
    spikes = {}
    for p in pops:
        i, t = data.get(f"{p}_i"), data.get(f"{p}_t")
        if i is None or t is None:
            raise DataError(f"{path}: population '{p}' lacks its "
                            f"{'indices' if i is None else 'times'}")
        if i.ndim != 1 or t.ndim != 1 or i.shape != t.shape:
            raise DataError(f"{path}: population '{p}' has indices {i.shape} and times "
                            f"{t.shape}")
        if i.dtype.kind not in "iu" or t.dtype.kind != "f":
            raise DataError(f"{path}: population '{p}' has indices of type {i.dtype} and "
                            f"times of type {t.dtype}")
        if i.size and (i.min() < 0 or not np.all(np.isfinite(t))):
            raise DataError(f"{path}: population '{p}' has negative indices or "
                            "non-finite times")
        spikes[p] = (i, t)
    return spikes


def load_json(directory, name):
    """A JSON object of a run directory ({} when the file is absent)."""
    path = Path(directory) / name
    return read_json(path, dict) if path.exists() else {}
