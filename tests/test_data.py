"""dlcourse.data: data sets, generators, splitting, scaling, batching and the IDX reader."""
from __future__ import annotations

import gzip
import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import data


# -- bundled data sets -----------------------------------------------------------------------
def test_digits_flat_shape_dtype_and_scaling():
    x, y = data.load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    # pixels are counts 0..16 divided by 16: every value is a multiple of 1/16
    np.testing.assert_array_equal(x * 16, np.round(x * 16))
    assert set(np.unique(y)) == set(range(10))


def test_digits_images_are_nhwc_and_match_flat():
    x, y = data.load_digits(as_images=True, dtype="float64")
    flat, y2 = data.load_digits()
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.float64
    np.testing.assert_array_equal(x.reshape(1797, 64).astype(np.float32), flat)
    np.testing.assert_array_equal(y, y2)


def test_digits_rejects_integer_dtype():
    with pytest.raises(TypeError, match="load_digits: expected a floating dtype"):
        data.load_digits(dtype="int32")


def test_diabetes_raw_regression_target_column():
    x, y, names = data.load_diabetes(return_feature_names=True)
    assert x.shape == (442, 10) and y.shape == (442, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert names[:3] == ["age", "sex", "bmi"]
    # raw, not scikit-learn's pre-scaled copy: ages in years, targets 25..346
    assert 18 <= x[:, 0].min() and x[:, 0].max() <= 90
    assert y.min() == 25 and y.max() == 346


# -- generators ------------------------------------------------------------------------------
def test_xor_corners():
    x, y = data.make_xor()
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(x[:, 0], x[:, 1]))
    assert y.shape == (4, 1) and x.dtype == y.dtype == np.float32


def test_noisy_xor_labels_follow_the_nearest_corner():
    x, y = data.make_xor(500, noise=0.1, seed=3)
    corner = np.round(np.clip(x, 0, 1))  # noise 0.1 << 0.5: rounding recovers the corner
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(corner[:, 0], corner[:, 1]))
    x2, y2 = data.make_xor(500, noise=0.1, seed=3)
    np.testing.assert_array_equal(x, x2)


@pytest.mark.parametrize("n, classes", [(300, 3), (301, 3), (10, 2), (20, 5)])
def test_spirals_balanced_and_deterministic(n, classes):
    x, y = data.make_spirals(n, classes, noise=0.2, seed=1)
    assert x.shape == (n, 2) and y.shape == (n,)
    counts = np.bincount(y, minlength=classes)
    assert counts.max() - counts.min() <= 1 and counts.sum() == n
    assert np.all(np.hypot(x[:, 0], x[:, 1]) <= 1 + 1e-6)  # radius runs 0..1
    x2, y2 = data.make_spirals(n, classes, noise=0.2, seed=1)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = data.make_spirals(n, classes, noise=0.2, seed=2)
    assert not np.array_equal(x, x3)


def test_moons():
    x, y = data.make_moons(100, noise=0.05, seed=0)
    assert x.shape == (100, 2) and set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(x, data.make_moons(100, noise=0.05, seed=0)[0])


def test_sequence_task_majority_and_running():
    x, y = data.make_sequence_task(200, length=9, seed=0)
    assert x.shape == (200, 9, 1) and y.shape == (200, 1)
    np.testing.assert_array_equal(y[:, 0], x[:, :, 0].sum(axis=1) > 4.5)
    assert 0.3 < y.mean() < 0.7  # both classes well represented
    xr, yr = data.make_sequence_task(200, length=9, seed=0, target="running")
    np.testing.assert_array_equal(xr, x)
    assert yr.shape == (200, 9, 1)
    ones = np.cumsum(x[:, :, 0], axis=1)
    np.testing.assert_array_equal(yr[:, :, 0], ones > np.arange(1, 10) - ones)
    np.testing.assert_array_equal(yr[:, -1], y)


@pytest.mark.parametrize("call, exc, text", [
    (lambda: data.make_xor(0), ValueError, "make_xor: expected n to be an int >= 1, got 0"),
    (lambda: data.make_xor(5, noise=-1), ValueError, "make_xor: expected noise"),
    (lambda: data.make_xor(4, seed="0"), TypeError, "make_xor: expected seed as None, an int or a numpy.random.Generator, got str"),
    (lambda: data.make_spirals(noise="high"), TypeError, "make_spirals: expected noise to be a finite number >= 0, got str"),
    (lambda: data.make_spirals(2, 3), ValueError, "make_spirals: expected n >= classes"),
    (lambda: data.make_spirals(10, 1), ValueError, "make_spirals: expected classes to be an int >= 2, got 1"),
    (lambda: data.make_spirals(10.5), TypeError, "make_spirals: expected n to be an int"),
    (lambda: data.make_sequence_task(10, target="sum"), ValueError, "make_sequence_task: expected target"),
])
def test_generators_reject_bad_arguments(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


# -- train_test_split --------------------------------------------------------------------------
def test_split_is_stratified_and_partitions_the_data():
    x, y = data.load_digits()
    x_tr, x_te, y_tr, y_te = data.train_test_split(x, y, test_size=0.2, seed=0)
    assert len(x_te) == 360 and len(x_tr) == 1437  # ceil(0.2 * 1797)
    # each class keeps its share: test count within one of 20 % of the class size
    counts, test_counts = np.bincount(y), np.bincount(y_te, minlength=10)
    assert np.all(np.abs(test_counts - 0.2 * counts) < 1)
    # a partition: every row lands exactly once (rows of digits are unique enough to match by content)
    joined = np.concatenate([x_tr, x_te])
    assert sorted(map(bytes, joined)) == sorted(map(bytes, x))
    # x and y stay aligned: compare against the original labelling of each row
    lookup = {bytes(r): int(t) for r, t in zip(x, y)}
    assert all(lookup[bytes(r)] == t for r, t in zip(x_te, y_te))


def test_split_deterministic_and_seed_dependent():
    x, y = data.make_spirals(200, 4, seed=0)
    a = data.train_test_split(x, y, seed=5)
    b = data.train_test_split(x, y, seed=5)
    c = data.train_test_split(x, y, seed=6)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


def test_unstratified_split_can_unbalance_but_stratified_cannot():
    x = np.arange(100, dtype=np.float32)[:, None]
    y = np.repeat([0, 1], [90, 10])
    for seed in range(20):
        y_te = data.train_test_split(x, y, test_size=0.2, seed=seed)[3]
        assert np.sum(y_te == 1) == 2
    counts = {int(np.sum(data.train_test_split(x, y, 0.2, stratify=False, seed=s)[3] == 1)) for s in range(20)}
    assert len(counts) > 1  # plain random splits vary, which is why we stratify


def test_split_stratifies_one_hot_and_binary_columns_and_handles_regression():
    x = np.arange(50, dtype=np.float32)[:, None]
    y = np.repeat([0, 1], [40, 10])
    y_te = data.train_test_split(x, data.one_hot(y), 0.2, seed=1)[3]
    assert y_te.sum(axis=0).tolist() == [8, 2]
    y_te = data.train_test_split(x, y[:, None].astype(np.float32), 0.2, seed=1)[3]
    assert y_te.sum() == 2
    xd, yd = data.load_diabetes()
    x_tr, x_te, y_tr, y_te = data.train_test_split(xd, yd, test_size=0.25)
    assert len(x_te) == 111 and y_te.shape == (111, 1)


@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(test_size=1.5), ValueError, r"a fractional test_size in \(0, 1\)"),
    (dict(test_size=0), ValueError, "a split leaving at least one sample on each side"),
    (dict(test_size="20%"), TypeError, "test_size as a float fraction"),
])
def test_split_rejects_bad_test_size(kwargs, exc, text):
    with pytest.raises(exc, match="train_test_split: expected " + text):
        data.train_test_split(np.zeros((10, 2)), np.arange(10) % 2, **kwargs)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"train_test_split: expected x and y with the same number of samples, got x of shape \(10, 2\) and y of shape \(9,\)"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(9))


# -- Standardizer ---------------------------------------------------------------------------
def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    x_train = rng.normal(5.0, 2.0, size=(200, 3))
    x_test = rng.normal(-50.0, 10.0, size=(50, 3))  # very different: must not leak into the statistics
    s = data.Standardizer().fit(x_train)
    np.testing.assert_allclose(s.mean_, x_train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.scale_, x_train.std(axis=0), rtol=1e-12)
    z_train = s.transform(x_train)
    np.testing.assert_allclose(z_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z_train.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(s.transform(x_test), (x_test - x_train.mean(0)) / x_train.std(0), rtol=1e-12)
    np.testing.assert_allclose(s.inverse_transform(s.transform(x_test)), x_test, rtol=1e-12)


def test_standardizer_zero_variance_and_dtype():
    x = np.array([[1.0, 3.0], [1.0, 5.0], [1.0, 7.0]], dtype=np.float32)
    z = data.Standardizer().fit_transform(x)
    assert z.dtype == np.float32 and np.all(np.isfinite(z))
    np.testing.assert_array_equal(z[:, 0], 0.0)  # constant column only centred
    x_img, _ = data.load_digits(as_images=True)
    z_img = data.Standardizer().fit_transform(x_img)
    assert z_img.shape == x_img.shape and np.all(np.isfinite(z_img))  # digits have always-blank pixels


@pytest.mark.parametrize("call, exc, text", [
    (lambda: data.Standardizer().transform(np.zeros((2, 2))), ValueError, "Standardizer.transform: expected a fitted"),
    (lambda: data.Standardizer().fit(np.zeros((3, 2))).transform(np.zeros((3, 4))), ValueError,
     r"Standardizer.transform: expected samples of shape \(2,\)"),
    (lambda: data.Standardizer().fit(np.array([[1.0], [np.nan]])), ValueError, "Standardizer.fit: expected finite"),
    (lambda: data.Standardizer().fit(np.array([["a"], ["b"]])), TypeError, "Standardizer.fit: expected a real-valued"),
])
def test_standardizer_bad_input(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


# -- one_hot -------------------------------------------------------------------------------
def test_one_hot():
    out = data.one_hot(np.array([2, 0, 1, 2]), 4)
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[2, 0, 1, 2]])
    assert out.dtype == np.float32
    assert data.one_hot([0, 3]).shape == (2, 4)
    with pytest.raises(ValueError, match="one_hot: expected values < 3, got maximum 3"):
        data.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="one_hot: expected values >= 0"):
        data.one_hot([-1, 0], 3)
    with pytest.raises(TypeError, match="one_hot: expected integer"):
        data.one_hot([0.5, 1.0], 3)
    with pytest.raises(TypeError, match="one_hot: expected num_classes to be an int >= 1, got str '3'"):
        data.one_hot([0, 1], "3")
    with pytest.raises(ValueError, match="one_hot: expected num_classes to be an int >= 1, got 0"):
        data.one_hot([], 0)


# -- minibatches ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 70), batch_size=st.integers(1, 80), shuffle=st.booleans(), seed=st.integers(0, 10))
def test_minibatches_cover_each_sample_once(n, batch_size, shuffle, seed):
    x = np.arange(n)[:, None] * np.ones((1, 3))
    y = np.arange(n)
    seen = []
    sizes = []
    for xb, yb in data.minibatches(x, y, batch_size, shuffle=shuffle, seed=seed):
        np.testing.assert_array_equal(xb[:, 0], yb)  # x and y stay aligned
        seen.extend(yb.tolist())
        sizes.append(len(yb))
    assert sorted(seen) == list(range(n))
    assert all(s == batch_size for s in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
    if not shuffle:
        assert seen == list(range(n))


def test_minibatches_shuffle_is_seeded_and_drop_last():
    x = np.arange(10)
    a = [b.tolist() for b in data.minibatches(x, batch_size=4, seed=1)]
    b = [b.tolist() for b in data.minibatches(x, batch_size=4, seed=1)]
    c = [b.tolist() for b in data.minibatches(x, batch_size=4, seed=2)]
    assert a == b and a != c
    assert [len(b) for b in data.minibatches(x, batch_size=4, drop_last=True)] == [4, 4]


def test_minibatches_checks_eagerly():
    with pytest.raises(ValueError, match="minibatches: expected batch_size to be an int >= 1, got 0"):
        data.minibatches(np.zeros(3), np.zeros(3), batch_size=0)  # raised at call time, not first next()
    with pytest.raises(ValueError, match="minibatches: expected x and y with the same number of samples"):
        data.minibatches(np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="minibatches: expected batch_size to be an int"):
        data.minibatches(np.zeros(3), batch_size=2.0)


# -- IDX files -----------------------------------------------------------------------------
def idx_bytes(arr: np.ndarray, code: int) -> bytes:
    """Write ``arr`` in the IDX format, independently of the reader under test."""
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_idx_uint8_images_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    (tmp_path / "images-idx3-ubyte").write_bytes(idx_bytes(images, 0x08))
    (tmp_path / "labels-idx1-ubyte").write_bytes(idx_bytes(labels, 0x08))
    out = data.read_idx(tmp_path / "images-idx3-ubyte")
    assert out.shape == (5, 28, 28) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, images)
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "labels-idx1-ubyte")), labels)
    raw = (tmp_path / "images-idx3-ubyte").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03"  # the MNIST images header


def test_idx_gzip_path_and_fileobj(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x.idx.gz"  # recognised by the gzip magic, not the name
    path.write_bytes(gzip.compress(idx_bytes(images, 0x08)))
    np.testing.assert_array_equal(data.read_idx(path), images)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(data.read_idx(f), images)
    np.testing.assert_array_equal(data.read_idx(io.BytesIO(idx_bytes(images, 0x08))), images)


@pytest.mark.parametrize("dtype, code", [("i1", 0x09), ("i2", 0x0B), ("i4", 0x0C), ("f4", 0x0D), ("f8", 0x0E)])
def test_idx_big_endian_types(dtype, code):
    arr = (np.arange(-6, 6).reshape(3, 4) * 3).astype(dtype)
    out = data.read_idx(io.BytesIO(idx_bytes(arr, code)))
    np.testing.assert_array_equal(out, arr)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    out[0, 0] = 1  # writable


def test_idx_bad_magic(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x08\x01" + bytes(8))
    with pytest.raises(ValueError, match=r"read_idx\(.*bad\): expected an IDX magic number .* got 01 02 08 01"):
        data.read_idx(p)
    with pytest.raises(ValueError, match="expected an IDX magic number"):
        data.read_idx(io.BytesIO(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00"))  # unknown type 0x07
    with pytest.raises(ValueError, match="expected a 4-byte IDX magic number, got a file of 2 bytes"):
        data.read_idx(io.BytesIO(b"\x00\x00"))


def test_idx_truncated_and_trailing():
    full = idx_bytes(np.zeros((4, 5), dtype=np.uint8), 0x08)
    with pytest.raises(ValueError, match=r"expected 20 data bytes for shape \(4, 5\) of \|u1, got 13 \(the file truncated"):
        data.read_idx(io.BytesIO(full[:-7]))
    with pytest.raises(ValueError, match="expected a 12-byte header for 2 dimensions, got only 10 bytes"):
        data.read_idx(io.BytesIO(full[:10]))
    with pytest.raises(ValueError, match="has trailing bytes"):
        data.read_idx(io.BytesIO(full + b"\x00"))
    with pytest.raises(ValueError, match="expected a complete gzip stream"):
        data.read_idx(io.BytesIO(gzip.compress(full)[:-6]))


def test_idx_rejects_text_and_other_types(tmp_path):
    p = tmp_path / "t"
    p.write_bytes(idx_bytes(np.zeros(2, np.uint8), 0x08))
    with open(p, "r", encoding="latin-1") as f:
        with pytest.raises(TypeError, match="binary mode"):
            data.read_idx(f)
    with pytest.raises(TypeError, match="read_idx: expected a path or a binary file object, got int"):
        data.read_idx(3)


def test_sequence_task_is_learnable_by_a_small_simple_rnn():
    """The promise in make_sequence_task's docstring: a SimpleRNN learns it in well under a second."""
    from dlcourse.layers import Dense, SimpleRNN
    from dlcourse.model import Sequential
    from dlcourse.optimizers import Adam

    x, y = data.make_sequence_task(1200, length=11, seed=0)
    x_tr, x_te, y_tr, y_te = data.train_test_split(x, y, 0.25, seed=0)
    model = Sequential([SimpleRNN(1, 8, seed=0), Dense(8, 1, "sigmoid", seed=1)])
    model.compile(Adam(learning_rate=0.01), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x_tr, y_tr, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(x_te, y_te, verbose=0)[1] >= 0.95  # chance is ~0.5
