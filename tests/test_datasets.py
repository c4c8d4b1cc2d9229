"""Data loaders on small files the tests write, plus the bundled digits."""

import gzip
import pickle
import struct

import numpy as np
import pytest
from scipy.io import savemat

from analysis.datasets import DataError, load_dataset, read_idx


def _write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    blob = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as fh:
            fh.write(blob)
    else:
        path.write_bytes(blob)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_digits_is_the_bundled_default():
    data = load_dataset()
    assert data.n_features == 64 and data.n_classes == 10 and data.image_shape == (8, 8)
    assert len(data.x_train) + len(data.x_test) == 1797
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    again = load_dataset("digits")
    np.testing.assert_array_equal(data.y_test, again.y_test)  # the split is fixed


@pytest.mark.parametrize("compress", [False, True])
def test_idx_files(tmp_path, rng, compress):
    images = {s: rng.integers(0, 256, (n, 28, 28)) for s, n in (("train", 6), ("t10k", 4))}
    labels = {s: rng.integers(0, 10, len(images[s])) for s in images}
    for s in images:
        _write_idx(tmp_path / f"{s}-images-idx3-ubyte", images[s], compress)
        _write_idx(tmp_path / f"{s}-labels-idx1-ubyte", labels[s], compress)
    data = load_dataset("fashion-mnist", tmp_path)
    np.testing.assert_allclose(data.x_train * 255, images["train"].reshape(6, -1), atol=1e-4)
    np.testing.assert_array_equal(data.y_test, labels["t10k"])
    assert data.image_shape == (28, 28)


def test_idx_errors(tmp_path, rng):
    with pytest.raises(DataError, match="has no train-images-idx3-ubyte"):
        load_dataset("mnist", tmp_path)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04junk")
    with pytest.raises(DataError, match="bad magic"):
        read_idx(bad)
    short = tmp_path / "short"
    _write_idx(short, rng.integers(0, 256, (3, 4, 4)), compress=False)
    short.write_bytes(short.read_bytes()[:-5])
    with pytest.raises(DataError, match="header says"):
        read_idx(short)
    with pytest.raises(DataError, match="needs --data-dir"):
        load_dataset("mnist")
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", tmp_path / "nowhere")
    with pytest.raises(DataError, match="accepted: digits"):
        load_dataset("imagenet", tmp_path)


def test_cifar10_batches(tmp_path, rng):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    expected = []
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (3, 3072)).astype(np.uint8)
        labels = list(rng.integers(0, 10, 3))
        with open(base / name, "wb") as fh:
            pickle.dump({b"data": data, b"labels": labels}, fh)
        expected.append((data, labels))
    ds = load_dataset("cifar10", tmp_path)
    assert ds.x_train.shape == (15, 3072) and ds.x_test.shape == (3, 3072)
    np.testing.assert_allclose(ds.x_test * 255, expected[-1][0], atol=1e-3)
    np.testing.assert_array_equal(ds.y_train[:3], expected[0][1])
    (base / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="not a CIFAR-10 python batch"):
        load_dataset("cifar10", tmp_path)
    (base / "data_batch_3").unlink()
    with pytest.raises(DataError, match="data_batch_3"):
        load_dataset("cifar10", tmp_path)


class _Command:
    """Pickles as a call of os.system: what a malicious 'CIFAR-10 batch' would hold."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.path}",)


def test_a_cifar10_batch_that_calls_a_command_is_refused_before_it_runs(tmp_path, rng):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        with open(base / name, "wb") as fh:
            pickle.dump({b"data": rng.integers(0, 256, (3, 3072)).astype(np.uint8),
                         b"labels": [1, 2, 3], b"x": _Command(tmp_path / "ran")}, fh)
    with pytest.raises(DataError, match="refused to load posix.system"):
        load_dataset("cifar10", tmp_path)
    assert not (tmp_path / "ran").exists()


def test_svhn_mat(tmp_path, rng):
    for split, n in (("train", 5), ("test", 2)):
        x = rng.integers(0, 256, (32, 32, 3, n)).astype(np.uint8)
        y = np.array([[10], [3], [1], [10], [7]][:n])
        savemat(tmp_path / f"{split}_32x32.mat", {"X": x, "y": y})
    ds = load_dataset("svhn", tmp_path)
    assert ds.x_train.shape == (5, 3072)
    np.testing.assert_array_equal(ds.y_train, [0, 3, 1, 0, 7])  # label 10 is digit 0
    x = rng.integers(0, 256, (32, 32, 3, 2)).astype(np.uint8)
    savemat(tmp_path / "test_32x32.mat", {"X": x, "y": np.array([[1], [2]])})
    ds = load_dataset("svhn", tmp_path)
    np.testing.assert_allclose(ds.x_test[1, :1024] * 255, x[:, :, 0, 1].ravel(), atol=1e-3)
    (tmp_path / "test_32x32.mat").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not an SVHN .mat file"):
        load_dataset("svhn", tmp_path)
