"""Image classification data: scikit-learn's bundled digits, or files from a data directory.

Nothing is downloaded. ``load_dataset(name, data_dir)`` reads
- ``digits``: scikit-learn's 8x8 digits (bundled; the default);
- ``mnist`` / ``fashion-mnist``: IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, gzipped (``.gz``) or not;
- ``cifar10``: the python batches ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``
  (in ``data_dir`` or in ``data_dir/cifar-10-batches-py``);
- ``svhn``: ``train_32x32.mat`` and ``test_32x32.mat`` (label 10 means digit 0).
Images come back as float32 in [0, 1], flattened to (n, features); labels as int64.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.io import DataError

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10", "svhn")


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    @property
    def n_features(self):
        return self.x_train.shape[1]


def load_dataset(name="digits", data_dir=None, *, test_fraction=0.25, split_seed=0):
    """Load a data set by name (see the module docstring). Raises DataError on bad files."""
    if name not in DATASETS:
        raise DataError(f"unknown data set '{name}'; accepted: {', '.join(DATASETS)}")
    if name == "digits":
        return _digits(test_fraction, split_seed)
    if data_dir is None:
        raise DataError(f"data set '{name}' needs --data-dir (nothing is downloaded)")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data directory {data_dir} does not exist")
    loader = {"mnist": _idx, "fashion-mnist": _idx, "cifar10": _cifar10, "svhn": _svhn}[name]
    return loader(name, data_dir)


def _digits(test_fraction, split_seed):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(split_seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return Dataset("digits", x[train], y[train], x[test], y[test], (8, 8))


# --- IDX (MNIST, Fashion-MNIST) --------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read one IDX file (optionally gzipped) into an array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated (header)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path} holds {len(raw) - header} data bytes, its header says {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _find(data_dir, stem):
    for candidate in (data_dir / stem, data_dir / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise DataError(f"{data_dir} has no {stem} (or {stem}.gz)")


def _idx(name, data_dir):
    parts = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(_find(data_dir, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(data_dir, f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{name} {split}: {images.shape} images for {labels.shape} labels")
        parts[split] = (images.reshape(len(images), -1).astype(np.float32) / 255.0,
                        labels.astype(np.int64))
    return Dataset(name, *parts["train"], *parts["test"], tuple(images.shape[1:]))


# --- CIFAR-10 python batches -----------------------------------------------------------------
class _ArrayUnpickler(pickle.Unpickler):
    """Reads a CIFAR-10 python batch: a pickle of a dict of bytes, lists and NumPy arrays.

    Pickle files can name any Python callable to call while loading; this unpickler resolves
    only the NumPy names that arrays and scalars need, so a file that names anything else (a
    shell command, say) is refused before anything runs. It is the suite's one use of pickle
    (reviewed: tests/test_shape.py lists it as the only exception).
    """

    ALLOWED = {(f"numpy{core}.multiarray", name) for core in (".core", "._core")
               for name in ("_reconstruct", "scalar")} | {("numpy", "ndarray"),
                                                          ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}")
        return super().find_class(module, name)


def _cifar_batch(path):
    try:
        with open(path, "rb") as fh:
            batch = _ArrayUnpickler(fh, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError,
            AttributeError, IndexError) as exc:
        raise DataError(f"{path} is not a CIFAR-10 python batch ({exc!r})") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise DataError(f"{path}: data {data.shape} and labels {labels.shape} do not match")
    return data.astype(np.float32) / 255.0, labels


def _cifar10(name, data_dir):
    base = data_dir / "cifar-10-batches-py"
    base = base if base.is_dir() else data_dir
    train = [base / f"data_batch_{k}" for k in range(1, 6)]
    missing = [p.name for p in train + [base / "test_batch"] if not p.exists()]
    if missing:
        raise DataError(f"{base} lacks CIFAR-10 batches: {', '.join(missing)}")
    parts = [_cifar_batch(p) for p in train]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = _cifar_batch(base / "test_batch")
    return Dataset(name, x_train, y_train, x_test, y_test, (3, 32, 32))


# --- SVHN .mat -------------------------------------------------------------------------------
def _svhn_split(path):
    from scipy.io import loadmat

    if not path.exists():
        raise DataError(f"{path.parent} has no {path.name}")
    try:
        mat = loadmat(path)
        x, y = mat["X"], np.asarray(mat["y"]).ravel().astype(np.int64)
    except Exception as exc:  # scipy raises many kinds on a bad file
        raise DataError(f"{path} is not an SVHN .mat file ({exc!r})") from None
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != len(y):
        raise DataError(f"{path}: X {x.shape} and y {y.shape} do not match")
    y[y == 10] = 0
    x = np.transpose(x, (3, 2, 0, 1)).reshape(len(y), -1)  # (n, channel, row, col)
    return x.astype(np.float32) / 255.0, y


def _svhn(name, data_dir):
    x_train, y_train = _svhn_split(data_dir / "train_32x32.mat")
    x_test, y_test = _svhn_split(data_dir / "test_32x32.mat")
    return Dataset(name, x_train, y_train, x_test, y_test, (3, 32, 32))
