"""Run directories: params.json, metrics.json, spikes.npz and any other arrays.

Every file is written to a temporary name and renamed when complete; a run directory is
itself assembled under a temporary name and renamed into place, so an interrupted run leaves
no half-written directory behind.
"""

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


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


def load_spikes(directory):
    """{population: (indices, times)} from a run directory's spikes.npz."""
    path = Path(directory) / "spikes.npz"
    if not path.exists():
        raise FileNotFoundError(f"{directory} is not a run directory (no spikes.npz)")
    with np.load(path) as data:
        pops = sorted({k[:-2] for k in data.files if k.endswith("_i")})
        return {p: (data[f"{p}_i"], data[f"{p}_t"]) for p in pops}


def load_json(directory, name):
    path = Path(directory) / name
    return json.loads(path.read_text()) if path.exists() else {}
