"""Bad input to the loaders, the preprocessing helpers and shard_sizes: our errors, never NumPy's or zlib's.

Property-based (hypothesis): each test draws many bad values of one kind and requires a
``TypeError``/``ValueError`` (or the module's own error) whose message starts with the
function's name, raised before any file is written or any weight is touched.
"""
from __future__ import annotations

import gzip
import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcourse import parallel
from dlcourse.data import Standardizer, download, minibatches, one_hot, read_idx, sha256_of, train_test_split
from dlcourse.layers import Dense

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
IDX = struct.pack(">BBBB3I", 0, 0, 0x08, 3, 2, 3, 4) + IMAGES.tobytes()
GZ = gzip.compress(IDX, mtime=0)
SHA = "0" * 64

ragged = st.lists(st.lists(st.integers(0, 3), max_size=3), min_size=2, max_size=4).filter(
    lambda rows: len({len(r) for r in rows}) > 1)
not_a_bool = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.floats(allow_nan=False))
bad_seed = st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=3))
bad_count = st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=3), st.none(), st.booleans())
bad_seconds = st.one_of(st.floats(max_value=0.0), st.sampled_from([float("nan"), float("inf")]), st.none(),
                        st.text(max_size=3), st.booleans())


def raises_ours(where: str, call, *args, **kwargs):
    with pytest.raises((TypeError, ValueError)) as info:
        call(*args, **kwargs)
    assert str(info.value).startswith(f"{where}:"), f"{type(info.value).__name__} not in our style: {info.value}"
    return info.value


# ------------------------------------------------------------------------------------------------
# read_idx: a corrupt gzip body is the loader's ValueError naming the file, never a raw zlib.error
# ------------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.integers(10, len(GZ) - 9), st.integers(1, 255))
@example(10, 0b110)  # sets the first deflate block's type to 11, which zlib reports as "invalid block type"
def test_corrupt_gzip_body_raises_read_idx_error_naming_the_file(tmp_path_factory, offset, mask):
    damaged = bytearray(GZ)
    damaged[offset] ^= mask
    path = tmp_path_factory.mktemp("idx") / "train-images-idx3-ubyte.gz"
    path.write_bytes(bytes(damaged))
    try:
        got = read_idx(path)
    except ValueError as exc:  # zlib.error and gzip.BadGzipFile (an OSError) are not ValueErrors: they escape
        assert not isinstance(exc, zlib.error)
        assert str(exc).startswith(f"read_idx({path}): expected ")
    else:  # a flip that gzip cannot notice must still give the right array, or it is caught by the size check
        np.testing.assert_array_equal(got, IMAGES)


@settings(max_examples=40, deadline=None)
@given(st.integers(10, len(GZ) - 1))
def test_truncated_gzip_raises_read_idx_error(cut):
    with pytest.raises(ValueError, match=r"^read_idx\(<file object>\): expected a complete gzip stream"):
        read_idx(io.BytesIO(GZ[:cut]))


class _Reader:
    def __init__(self, value):
        self.value = value

    def read(self):
        return self.value


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.lists(st.integers(0, 255), max_size=3)))
def test_file_objects_returning_non_bytes_are_refused(value):
    with pytest.raises(TypeError, match=r"^read_idx\(<file object>\): expected read\(\) to return bytes, got "):
        read_idx(_Reader(value))


def test_bytearray_and_memoryview_reads_are_accepted():
    np.testing.assert_array_equal(read_idx(_Reader(bytearray(IDX))), IMAGES)
    np.testing.assert_array_equal(read_idx(_Reader(memoryview(GZ))), IMAGES)


def test_huge_header_dimensions_report_the_true_byte_count():
    # 4 dimensions of 2**32 - 1: their product overflows int64, and must not wrap into a small or negative number.
    raw = struct.pack(">BBBB4I", 0, 0, 0x08, 4, *([2**32 - 1] * 4))
    with pytest.raises(ValueError, match=rf"expected {(2**32 - 1) ** 4} data bytes .* got 0 \(the file truncated"):
        read_idx(io.BytesIO(raw))


# ------------------------------------------------------------------------------------------------
# download and sha256_of: arguments checked before the disk or the network is touched
# ------------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["timeout", "deadline"]), bad_seconds)
def test_download_refuses_bad_seconds(tmp_path_factory, name, value):
    directory = tmp_path_factory.mktemp("dl")
    raises_ours("download", download, "http://127.0.0.1:9/x.bin", directory / "x.bin", SHA, **{name: value})
    assert list(directory.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(bad_count, st.sampled_from(["download", "sha256_of"]))
def test_chunk_size_must_be_a_positive_int(tmp_path_factory, chunk_size, where):
    directory = tmp_path_factory.mktemp("dl")
    if where == "download":
        raises_ours(where, download, "http://127.0.0.1:9/x.bin", directory / "x.bin", SHA, chunk_size=chunk_size)
        assert list(directory.iterdir()) == []
    else:
        (directory / "f").write_bytes(b"abc")
        raises_ours(where, sha256_of, directory / "f", chunk_size=chunk_size)


# ------------------------------------------------------------------------------------------------
# data.preprocessing: every public function
# ------------------------------------------------------------------------------------------------
X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10) % 2


@settings(max_examples=40, deadline=None)
@given(ragged, st.booleans())
def test_ragged_arrays_are_refused_everywhere(rows, as_y):
    n = len(rows)
    x, y = (np.zeros((n, 2)), rows) if as_y else (rows, np.zeros(n, int))
    raises_ours("train_test_split", train_test_split, x, y, test_size=1)
    raises_ours("minibatches", minibatches, x, y, batch_size=2)
    if not as_y:
        raises_ours("Standardizer.fit", Standardizer().fit, rows)
        raises_ours("Standardizer.transform", Standardizer().fit(np.zeros((2, 3))).transform, rows)
        raises_ours("one_hot", one_hot, rows, num_classes=4)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats().filter(lambda v: not 0 < v < 1), st.integers().filter(lambda v: not 1 <= v <= 9),
                 st.text(max_size=3), st.none(), st.booleans()))
def test_train_test_split_refuses_bad_test_size(test_size):
    raises_ours("train_test_split", train_test_split, X, Y, test_size=test_size)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["stratify", "seed"]), st.data())
def test_train_test_split_refuses_bad_flags_and_seeds(name, data):
    value = data.draw(not_a_bool if name == "stratify" else bad_seed)
    raises_ours("train_test_split", train_test_split, X, Y, **{name: value})


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["shuffle", "drop_last", "seed", "batch_size"]), st.data())
def test_minibatches_refuses_bad_arguments_eagerly(name, data):
    value = data.draw({"shuffle": not_a_bool, "drop_last": not_a_bool, "seed": bad_seed, "batch_size": bad_count}[name])
    raises_ours("minibatches", minibatches, X, Y, **{name: value})


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["transform", "inverse_transform"]), st.integers(0, 9), st.integers(0, 1),
       st.sampled_from([np.nan, np.inf, -np.inf]))
def test_standardizer_refuses_non_finite_input_instead_of_returning_nan(method, row, col, value):
    scaler = Standardizer().fit(X)
    x = X.copy()
    x[row, col] = value
    with pytest.raises(ValueError, match=rf"^Standardizer.{method}: expected finite values, got 1 NaN/inf entries"):
        getattr(scaler, method)(x)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.sampled_from(["flaot32", "complex64", "U3", "object", "datetime64[s]"]), st.text(min_size=4, max_size=8)))
def test_one_hot_refuses_bad_dtypes(dtype):
    try:
        kind = np.dtype(dtype).kind
    except (TypeError, ValueError):
        kind = None
    if kind in ("b", "i", "u", "f"):  # hypothesis drew a real numeric dtype name: then it must work
        assert one_hot([0, 2], num_classes=3, dtype=dtype).dtype == np.dtype(dtype)
    else:
        raises_ours("one_hot", one_hot, [0, 2], num_classes=3, dtype=dtype)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.lists(st.integers(-5, -1), min_size=1, max_size=3), st.lists(st.floats(0.1, 0.9), min_size=1, max_size=3),
                 st.lists(st.text(min_size=1, max_size=2), min_size=1, max_size=3)))
def test_one_hot_refuses_bad_labels(labels):
    raises_ours("one_hot", one_hot, labels, num_classes=3)


# ------------------------------------------------------------------------------------------------
# parallel: shard_sizes and data_parallel_step
# ------------------------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(st.one_of(st.tuples(bad_count, st.integers(1, 4)), st.tuples(st.integers(1, 8), bad_count),
                 st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(n + 1, n + 5)))))
def test_shard_sizes_refuses_bad_arguments(args):
    raises_ours("shard_sizes", parallel.shard_sizes, *args)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.tuples(st.just("learning_rate"), bad_seconds),
                 st.tuples(st.just("x"), st.tuples(st.integers(0, 7), st.integers(0, 3), st.sampled_from([np.nan, np.inf]))),
                 st.tuples(st.just("x"), ragged)))
def test_data_parallel_step_refuses_bad_input_without_touching_the_weights(bad):
    name, value = bad
    layers = [Dense(4, 2, seed=0, dtype="float64")]
    before = layers[0].params["kernel"].copy()
    args = dict(x=np.ones((8, 4)), y=np.zeros((8, 2)), learning_rate=0.1)
    if name == "x" and isinstance(value, tuple):
        args["x"][value[:2]] = value[2]
    else:
        args[name] = value
    raises_ours("data_parallel_step", parallel.data_parallel_step, layers, "mean_squared_error",
                args["x"], args["y"], 2, args["learning_rate"])
    np.testing.assert_array_equal(layers[0].params["kernel"], before)


# ------------------------------------------------------------------------------------------------
# data.synthetic: the generators' dtype and noise
# ------------------------------------------------------------------------------------------------
GENERATORS = {"make_xor": dict(n=8), "make_spirals": {}, "make_moons": {}, "make_sequence_task": dict(n=8)}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(GENERATORS)),
       st.one_of(st.integers(), st.floats(), st.booleans(), st.sampled_from(["int32", "uint8", "complex64", "flaot32", "U3"])))
def test_generators_refuse_non_float_dtypes(name, dtype):
    from dlcourse.data import synthetic
    raises_ours(name, getattr(synthetic, name), **GENERATORS[name], dtype=dtype)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["make_xor", "make_spirals", "make_moons"]),
       st.one_of(st.integers(min_value=2**1024, max_value=2**1100), st.integers(max_value=-1), st.floats(max_value=-1e-9)))
def test_generators_refuse_bad_noise(name, noise):
    from dlcourse.data import synthetic
    raises_ours(name, getattr(synthetic, name), **GENERATORS[name], noise=noise)
