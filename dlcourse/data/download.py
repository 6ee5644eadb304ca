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
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["download", "sha256_of", "DownloadError", "ChecksumMismatchError"]

_SCHEMES = ("http", "https", "file")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class DownloadError(OSError):
    """A file could not be fetched (offline, unreachable, HTTP error, ...)."""


class ChecksumMismatchError(DownloadError):
    """The fetched bytes do not have the expected sha256."""


def sha256_of(path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (works for files larger than memory)."""
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


def download(url: str, path, sha256: str, timeout: float = 30.0, chunk_size: int = 1 << 16) -> Path:
    """Download ``url`` to ``path`` unless a verified copy is already there.

    Parameters
    ----------
    url : str
        An ``http://``, ``https://`` or ``file://`` URL.
    path : str or os.PathLike
        Where the file should end up (parent directories are created).
    sha256 : str
        Expected hex sha256 of the file (64 hex digits, case-insensitive).
    timeout : float
        Seconds to wait for the connection and for each read.
    chunk_size : int
        Bytes per read while streaming (the file is never held in memory whole).

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
        Malformed ``sha256`` or an unsupported URL scheme.
    TypeError
        ``sha256`` is not a string.
    """
    if not isinstance(sha256, str):
        raise TypeError(f"download: expected sha256 as 64 hexadecimal digits (a str), got {sha256!r}")
    if not _HEX64.fullmatch(sha256.lower()):
        raise ValueError(f"download: expected sha256 as 64 hexadecimal digits, got {sha256!r}")
    sha256 = sha256.lower()
    scheme = urllib.parse.urlsplit(str(url)).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"download: expected a URL with scheme {', '.join(_SCHEMES)}, got {url!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"download: expected path to name a file, got the directory {path}")

    if path.is_file() and sha256_of(path) == sha256:
        return path  # cache hit: no network at all
    path.parent.mkdir(parents=True, exist_ok=True)

    # The temporary file lives next to the target so os.replace is a same-filesystem rename (atomic).
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(chunk_size), b""):
                    digest.update(chunk)
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            raise DownloadError(_offline_message(url, path, sha256, f"HTTP {exc.code} {exc.reason}")) from None
        except urllib.error.URLError as exc:
            raise DownloadError(_offline_message(url, path, sha256, exc.reason)) from None
        except (TimeoutError, ConnectionError) as exc:
            raise DownloadError(_offline_message(url, path, sha256, exc)) from None
        got = digest.hexdigest()
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
