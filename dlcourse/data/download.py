"""Fetch a file once, verify it, keep it: the course's only network code (urllib only).

The book itself never calls this at run time (everything it needs is bundled or
generated); it is here for learners who want the full MNIST and similar files. It
follows the rules any data loader should:

1. **Cache.** If the file is already at ``path`` with the expected sha256, return it
   without touching the network. A file with the wrong hash (a truncated earlier
   download, a different version) is fetched again.
2. **Verify.** The caller states the sha256 the file must have; a different file is
   rejected, so a tampered or corrupted download is never used.
3. **Write atomically.** Bytes stream into a temporary file in the target directory
   and are moved into place with ``os.replace`` only once verified; an interrupted
   or rejected download leaves no partial file under the final name.
4. **Never unpickle.** Only raw bytes are written; readers such as ``read_idx`` parse
   plain numeric formats. ``pickle.load`` (and ``np.load(allow_pickle=True)``) can run
   arbitrary code embedded in a file.
5. **Fail clearly offline.** An unreachable URL raises ``DownloadError`` naming the
   URL and saying how to place the file by hand.
6. **Never hang.** ``timeout`` bounds each wait for the server, and ``deadline`` the
   whole transfer: a server that trickles one byte just before each timeout would
   otherwise keep a download alive for ever.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .._checks import check_positive_float, check_positive_int

__all__ = ["download", "sha256_of", "DownloadError", "ChecksumMismatchError"]

_SCHEMES = ("http", "https", "file")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class DownloadError(OSError):
    """A file could not be fetched (offline, unreachable, HTTP error, ...)."""


class ChecksumMismatchError(DownloadError):
    """The fetched bytes do not have the expected sha256."""


def sha256_of(path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (works for files larger than memory).

    >>> sha256_of(__file__) == hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    True
    """
    # read(0) returns b"" at once, which would end the loop and give the empty file's digest for any file.
    chunk_size = check_positive_int(chunk_size, "sha256_of", "chunk_size")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _offline_message(url: str, path: Path, sha256: str, reason) -> str:
    return (
        f"download: could not fetch {url} ({reason}). The course runs offline and nothing in the book "
        f"downloads at run time. To use this file, fetch it on a machine with network access, check that "
        f"its sha256 is {sha256} (e.g. `sha256sum FILE`), and place it at {path}; download() then uses it "
        f"without touching the network."
    )


def download(url: str, path, sha256: str, timeout: float = 30.0, chunk_size: int = 1 << 16,
             deadline: float = 3600.0) -> Path:
    """Download ``url`` to ``path`` unless a verified copy is already there.

    Parameters
    ----------
    url : str
        An ``http://``, ``https://`` or ``file://`` URL.
    path : str or os.PathLike
        Where the file should end up (parent directories are created).
    sha256 : str
        Expected hex sha256 of the file (64 hex digits, case-insensitive).
    timeout : float > 0
        Seconds to wait for the connection and for each read.
    chunk_size : int >= 1
        Bytes per read while streaming (the file is never held in memory whole).
    deadline : float > 0
        Seconds the whole transfer may take, however the server paces its bytes.

    Returns
    -------
    pathlib.Path
        ``path``, holding bytes whose sha256 is ``sha256``.

    Raises
    ------
    DownloadError
        The URL could not be fetched; the message says which URL, why, and where
        to put the file by hand.
    ChecksumMismatchError
        The bytes arrived but their sha256 differs; nothing is written to ``path``.
    ValueError
        Malformed ``sha256``, an unsupported URL scheme, or ``timeout``, ``deadline``
        or ``chunk_size`` not > 0.
    TypeError
        ``url`` or ``sha256`` is not a string, or another argument has the wrong type.
    """
    sha256 = _check_arguments(url, sha256, timeout, chunk_size, deadline)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"download: expected path to name a file, got the directory {path}")

    if path.is_file() and sha256_of(path) == sha256:
        return path  # cache hit: no network at all
    path.parent.mkdir(parents=True, exist_ok=True)

    # The temporary file lives next to the target so os.replace is a same-filesystem rename (atomic).
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        try:
            got = _fetch(url, os.fdopen(fd, "wb"), timeout, chunk_size, deadline)
        except urllib.error.HTTPError as exc:
            raise DownloadError(_offline_message(url, path, sha256, f"HTTP {exc.code} {exc.reason}")) from None
        except urllib.error.URLError as exc:
            raise DownloadError(_offline_message(url, path, sha256, exc.reason)) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise DownloadError(_offline_message(url, path, sha256, exc)) from None
        if got != sha256:
            raise ChecksumMismatchError(
                f"download: expected sha256 {sha256} for {url}, got {got}; the file was discarded "
                f"and {path} left untouched (a corrupted or different file?)"
            )
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return path


def _check_arguments(url, sha256, timeout, chunk_size, deadline) -> str:
    """Validate ``download``'s arguments before it touches the disk or the network; return the sha256 in lower case."""
    if not isinstance(url, str):
        raise TypeError(f"download: expected url as a str, got {type(url).__name__}")
    if not isinstance(sha256, str):
        raise TypeError(f"download: expected sha256 as 64 hexadecimal digits (a str), got {sha256!r}")
    if not _HEX64.fullmatch(sha256.lower()):
        raise ValueError(f"download: expected sha256 as 64 hexadecimal digits, got {sha256!r}")
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"download: expected a URL with scheme {', '.join(_SCHEMES)}, got {url!r}")
    # timeout=0 would make every read fail at once and be reported as "offline";
    # chunk_size=0 would read nothing and be reported as a corrupted file.
    check_positive_float(timeout, "download", "timeout (seconds)")
    check_positive_int(chunk_size, "download", "chunk_size")
    check_positive_float(deadline, "download", "deadline (seconds)")
    return sha256.lower()


def _fetch(url: str, out, timeout: float, chunk_size: int, deadline: float) -> str:
    """Stream ``url`` into the binary file ``out`` (then closed); return the hex sha256 of the bytes.

    The transfer runs in a worker thread so that ``deadline`` bounds all of it (connecting,
    headers, body): a socket timeout only bounds each single wait. Past the deadline the
    worker is told to stop, which it does after its current read, and ``TimeoutError`` is raised.
    """
    outcome, stop = {}, threading.Event()

    def transfer():
        try:
            digest, received = hashlib.sha256(), 0
            with out, urllib.request.urlopen(url, timeout=timeout) as response:
                while not stop.is_set():
                    chunk = response.read1(chunk_size)  # read1: return what has arrived, never wait for a full chunk
                    if not chunk:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    received += len(chunk)
                missing = getattr(response, "length", None)  # http.client counts down Content-Length
                if missing and not stop.is_set():  # not a checksum problem: the server hung up early
                    raise ConnectionError(f"the connection closed after {received} of {received + missing} bytes")
            outcome["digest"] = digest.hexdigest()
        except BaseException as exc:  # handed to the calling thread, which reports it
            outcome["error"] = exc

    worker = threading.Thread(target=transfer, name="dlcourse-download", daemon=True)
    worker.start()
    try:
        worker.join(deadline)
    finally:
        stop.set()  # also on KeyboardInterrupt: the worker must not keep the connection open
    if worker.is_alive():
        raise TimeoutError(f"the transfer did not finish within the deadline of {deadline:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["digest"]
