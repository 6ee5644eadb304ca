"""Read IDX files, the simple binary format MNIST is distributed in.

The format (LeCun et al., "THE MNIST DATABASE of handwritten digits") is:

====================  ===================================================
bytes 0-1             always 0
byte 2                element type: 0x08 uint8, 0x09 int8, 0x0B int16,
                      0x0C int32, 0x0D float32, 0x0E float64
byte 3                number of dimensions ``d``
next ``4 d`` bytes    each dimension's size, a big-endian uint32
rest                  the elements, big-endian, C (row-major) order
====================  ===================================================

So ``train-images-idx3-ubyte`` starts ``00 00 08 03`` then 60000, 28, 28. The files
are usually gzipped; we recognise gzip by its own magic bytes (``1f 8b``), not by the
file name. Unlike a pickle, reading an IDX file cannot execute code: it is only
numbers, which is why the course never unpickles downloaded data.
"""
from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["read_idx", "IDX_DTYPES"]

IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_all(path_or_fileobj) -> tuple[bytes, str]:
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        name = os.fspath(path_or_fileobj)
        with open(name, "rb") as f:
            raw = f.read()
    elif hasattr(path_or_fileobj, "read"):
        name = getattr(path_or_fileobj, "name", "<file object>")
        raw = path_or_fileobj.read()
        if isinstance(raw, str):
            raise TypeError(f"read_idx({name}): expected a file opened in binary mode ('rb'), got text")
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise TypeError(f"read_idx({name}): expected read() to return bytes, got {type(raw).__name__}")
        raw = bytes(raw)
    else:
        raise TypeError(f"read_idx: expected a path or a binary file object, got {type(path_or_fileobj).__name__}")
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:  # zlib.error: a corrupt deflate body
            raise ValueError(f"read_idx({name}): expected a complete gzip stream, got a damaged one ({exc})") from None
    return raw, str(name)


def read_idx(path_or_fileobj) -> np.ndarray:
    """Read an IDX file (plain or gzipped) into a NumPy array.

    Parameters
    ----------
    path_or_fileobj : str, os.PathLike or binary file object

    Returns
    -------
    ndarray
        Shape from the header (e.g. ``(60000, 28, 28)`` for MNIST training images,
        ``(60000,)`` for its labels), in native byte order; dtype from the header
        (uint8 for MNIST).

    Raises
    ------
    ValueError
        Bad magic number, unknown element type, or fewer/more data bytes than the
        header announces (a truncated download, for instance).
    TypeError
        Neither a path nor a binary file object.
    """
    raw, name = _read_all(path_or_fileobj)
    where = f"read_idx({name})"
    if len(raw) < 4:
        raise ValueError(f"{where}: expected a 4-byte IDX magic number, got a file of {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(
            f"{where}: expected an IDX magic number 00 00 <type> <ndim> with type one of {known}, "
            f"got {raw[:4].hex(' ')}; is this really an (uncompressed or gzipped) IDX file?"
        )
    dtype, ndim = IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{where}: expected a {header}-byte header for {ndim} dimensions, got only {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(shape) * dtype.itemsize  # Python ints: four dimensions near 2**32 overflow int64
    got = len(raw) - header
    if got != expected:
        problem = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(
            f"{where}: expected {expected} data bytes for shape {shape} of {dtype.str}, got {got} "
            f"(the file {problem}; re-download it)"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    # Native byte order and a writable copy: the buffer of a bytes object is read-only.
    return data.astype(dtype.newbyteorder("="))
