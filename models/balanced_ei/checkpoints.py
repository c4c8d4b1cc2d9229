"""Checkpoint files of the balanced-ei learning: weights and state after a segment.

A checkpoint (``weights-0000800.0s.npz``, kept after segments 1, 2, 4, ...; ``latest.npz``,
rewritten after every segment) holds the five weight matrices (``W_f``, ``W_w_ee``,
...), the state that one segment hands to the next (``state_exc_v``, ..., ``lastspike``
relative to the start of the next segment, in s), the number of segments learned, the time in
s and the seed. Each segment draws its input and noise from (seed, segment index), so a run
resumed from a checkpoint learns exactly the weights of an uninterrupted run; resumed in the
same directory it also finds the kept checkpoints before it and evaluates as that run.

A checkpoint is read as data (no pickled objects); anything that is not a checkpoint of this
run's sizes raises :class:`ModelError` with one line.
"""

import zipfile
from pathlib import Path

import numpy as np

from analysis.io import write_npz
from models.balanced_ei.network import STATE, WEIGHTS, weight_shapes
from models.common.errors import ModelError


#: the file rewritten after every segment (resume from it: at most one segment lost)
LATEST = "latest.npz"


def checkpoint_segments(n_segments):
    """Segments after which a checkpoint is kept: 1, 2, 4, 8, ... and the last."""
    keep = {n_segments}
    k = 1
    while k < n_segments:
        keep.add(k)
        k *= 2
    return sorted(keep)


def checkpoint_path(directory, time_s):
    """The file of the checkpoint at ``time_s`` seconds of learning."""
    return Path(directory) / f"weights-{time_s:09.1f}s.npz"


def save_checkpoint(path, *, segment, time_s, weights, state, seed):
    """Write one checkpoint (under a temporary name, renamed when complete)."""
    arrays = {f"W_{k}": v for k, v in weights.items()}
    arrays.update({f"state_{g}_{v}": a for (g, v), a in state.items()})
    arrays.update(segment=segment, time_s=time_s, seed=seed)
    write_npz(path, arrays)


def load_checkpoint(path, *, n_inputs, n_e, n_i):
    """(segment, time in s, weights, state, seed) of a checkpoint file of a network of
    these sizes; ModelError (one line) for anything else."""
    arrays = _read_arrays(Path(path))
    sizes = dict(exc=n_e, inh=n_i, inputs=n_inputs)
    wanted = {f"W_{k}": shape for k, shape in weight_shapes(n_inputs, n_e, n_i).items()}
    wanted.update({f"state_{g}_{v}": (sizes[g],) for g, v in STATE})
    wanted.update(segment=(), time_s=(), seed=())
    for key, shape in wanted.items():
        if key not in arrays:
            raise ModelError(f"resume: '{path}' is not a balanced-ei checkpoint (no {key})")
        if arrays[key].shape != shape or arrays[key].dtype.kind not in "iuf":
            raise ModelError(f"resume: '{path}' holds {key} of shape {arrays[key].shape} "
                             f"({arrays[key].dtype}); this run needs {shape} numbers "
                             f"(n_inputs {n_inputs}, n_e {n_e}, n_i {n_i})")
    weights = {k: arrays[f"W_{k}"] for k in WEIGHTS}
    state = {(g, v): arrays[f"state_{g}_{v}"] for g, v in STATE}
    return (int(arrays["segment"]), float(arrays["time_s"]), weights, state,
            int(arrays["seed"]))


def _read_arrays(path):
    """{name: array} of an .npz file, read as data; ModelError if it cannot be read."""
    reason = None
    if not path.is_file():
        reason = "no such file"
    elif not zipfile.is_zipfile(path):
        reason = "not an .npz archive"
    else:
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    raise ModelError(f"resume: cannot read a checkpoint from '{path}' ({reason})")
