"""dlcourse.data.download against local servers only: http.server on 127.0.0.1 and file:// URLs.

No test touches the outside network. "Unreachable" is simulated by a port on
127.0.0.1 that was bound and released, so nothing listens there.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from dlcourse.data import download
from dlcourse.data.download import ChecksumMismatchError, DownloadError

# Larger than one read chunk, so streaming is exercised. Fixed bytes, not os.urandom: the
# SHA appears in test ids, and pytest-xdist workers must collect identical ids.
PAYLOAD = np.random.default_rng(0).bytes(1 << 17) + b"end"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/'www' over HTTP on a free port of 127.0.0.1, in a thread."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "blob.bin").write_bytes(PAYLOAD)
    handler = type("Handler", (_CountingHandler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/blob.bin"


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_http_download_verifies_and_places_file(server, tmp_path):
    base, handler = server
    target = tmp_path / "cache" / "sub" / "blob.bin"  # parent directories are created
    out = download(f"{base}/blob.bin", target, SHA, timeout=5)
    assert out == target and target.read_bytes() == PAYLOAD
    assert handler.requests == ["/blob.bin"]
    assert leftovers(target.parent) == []


def test_cache_hit_needs_no_network(server, tmp_path):
    base, handler = server
    target = tmp_path / "blob.bin"
    download(f"{base}/blob.bin", target, SHA, timeout=5)
    mtime = target.stat().st_mtime_ns
    # same file again: served from the cache, even with an unreachable URL
    assert download(closed_port_url(), target, SHA.upper(), timeout=5) == target
    assert download(f"{base}/blob.bin", target, SHA, timeout=5) == target
    assert handler.requests == ["/blob.bin"]  # only the first call reached the server
    assert target.stat().st_mtime_ns == mtime


def test_cached_file_with_wrong_hash_is_fetched_again(server, tmp_path):
    base, handler = server
    target = tmp_path / "blob.bin"
    target.write_bytes(PAYLOAD[:1000])  # e.g. a truncated earlier download
    download(f"{base}/blob.bin", target, SHA, timeout=5)
    assert target.read_bytes() == PAYLOAD and handler.requests == ["/blob.bin"]


def test_checksum_mismatch_leaves_nothing_behind(server, tmp_path):
    base, _ = server
    target = tmp_path / "blob.bin"
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumMismatchError, match=f"download: expected sha256 {wrong} for .*, got {SHA}"):
        download(f"{base}/blob.bin", target, wrong, timeout=5)
    assert not target.exists() and leftovers(tmp_path) == []


def test_checksum_mismatch_keeps_an_existing_file_untouched(server, tmp_path):
    base, _ = server
    target = tmp_path / "blob.bin"
    target.write_bytes(b"old")
    with pytest.raises(ChecksumMismatchError):
        download(f"{base}/blob.bin", target, hashlib.sha256(b"new").hexdigest(), timeout=5)
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    target = tmp_path / "dst" / "copy.bin"
    assert download(src.as_uri(), target, SHA).read_bytes() == PAYLOAD
    with pytest.raises(DownloadError, match="could not fetch file://.*missing.bin"):
        download((tmp_path / "missing.bin").as_uri(), tmp_path / "m.bin", SHA)
    assert leftovers(tmp_path) == [] and not (tmp_path / "m.bin").exists()


def test_unreachable_url_explains_offline_fix(tmp_path):
    url = closed_port_url()
    target = tmp_path / "blob.bin"
    with pytest.raises(DownloadError) as info:
        download(url, target, SHA, timeout=5)
    msg = str(info.value)
    assert msg.startswith(f"download: could not fetch {url} (")
    assert "runs offline" in msg and SHA in msg and f"place it at {target}" in msg
    assert not target.exists() and leftovers(tmp_path) == []
    assert isinstance(info.value, OSError)


def test_http_error_status(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError, match=r"could not fetch .*/nope\.bin \(HTTP 404"):
        download(f"{base}/nope.bin", tmp_path / "x", SHA, timeout=5)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("url, sha, text", [
    ("http://127.0.0.1/x", "abc", "expected sha256 as 64 hexadecimal digits, got 'abc'"),
    ("ftp://example.org/x", SHA, "expected a URL with scheme http, https, file, got 'ftp://example.org/x'"),
])
def test_bad_arguments(tmp_path, url, sha, text):
    with pytest.raises(ValueError, match="download: " + text.replace("(", r"\(").replace(")", r"\)")):
        download(url, tmp_path / "x", sha)


def test_sha256_must_be_a_string(tmp_path):
    with pytest.raises(TypeError, match=r"download: expected sha256 as 64 hexadecimal digits \(a str\), got None"):
        download("http://127.0.0.1/x", tmp_path / "x", None)
    assert list(tmp_path.iterdir()) == []  # rejected before touching the disk or the network


def test_path_must_not_be_a_directory(tmp_path):
    with pytest.raises(ValueError, match=f"download: expected path to name a file, got the directory {tmp_path}"):
        download((tmp_path / "x").as_uri(), tmp_path, SHA)
