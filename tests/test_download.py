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
import time

import numpy as np
import pytest

from dlcourse.data import download, sha256_of
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


class _TrickleHandler(http.server.BaseHTTPRequestHandler):
    """Answers with a full Content-Length, then sends one byte every 0.3 s: each read waits far less than
    the socket timeout, so only an overall deadline ends the download. ``trickle`` picks what is slow:
    the body, or already the status line and headers."""

    trickle = "body"
    stop: threading.Event

    def do_GET(self):
        head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(PAYLOAD)}\r\n\r\n".encode()
        slow = head if self.trickle == "headers" else PAYLOAD[:20]
        if self.trickle == "body":
            self.wfile.write(head)
        try:
            for byte in slow[:20]:  # at most 6 s, so an unbounded download fails the test instead of hanging it
                if self.stop.wait(0.3):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:  # the client gave up and closed the connection: that is the point
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickle_server():
    stop = threading.Event()
    servers = []

    def start(trickle):
        handler = type("Handler", (_TrickleHandler,), {"trickle": trickle, "stop": stop})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/blob.bin"

    yield start
    stop.set()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("trickle", ["body", "headers"])
def test_total_deadline_ends_a_trickling_download(trickle_server, tmp_path, trickle):
    url = trickle_server(trickle)
    target = tmp_path / "blob.bin"
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"could not fetch .* \(the transfer did not finish within the deadline of 1 s\)"):
        download(url, target, SHA, timeout=1.0, deadline=1.0)
    elapsed = time.monotonic() - start
    # Bounded by the deadline, not by the server: without it this takes 6 s and ends in a false checksum error.
    assert elapsed < 4.0, f"download took {elapsed:.1f} s despite deadline=1.0"
    assert not target.exists() and leftovers(tmp_path) == []


class _ShortBodyHandler(http.server.BaseHTTPRequestHandler):
    """Announces the whole payload, sends 100 bytes and closes: a connection dropped mid-file."""

    def do_GET(self):
        self.wfile.write(f"HTTP/1.0 200 OK\r\nContent-Length: {len(PAYLOAD)}\r\n\r\n".encode() + PAYLOAD[:100])

    def log_message(self, *args):
        pass


def test_connection_dropped_mid_file_is_a_download_error_not_a_checksum_error(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ShortBodyHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DownloadError, match=rf"could not fetch .* \(the connection closed after 100 of {len(PAYLOAD)} bytes\)") as info:
            download(f"http://127.0.0.1:{httpd.server_address[1]}/blob.bin", tmp_path / "blob.bin", SHA, timeout=5)
        assert not isinstance(info.value, ChecksumMismatchError)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert leftovers(tmp_path) == [] and not (tmp_path / "blob.bin").exists()


@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(timeout=0), ValueError, r"download: expected timeout \(seconds\) to be a finite number > 0, got 0"),
    (dict(timeout=-1.0), ValueError, r"download: expected timeout \(seconds\) to be a finite number > 0, got -1.0"),
    (dict(timeout=None), TypeError, r"download: expected timeout \(seconds\) to be a number > 0, got NoneType None"),
    (dict(deadline=0.0), ValueError, r"download: expected deadline \(seconds\) to be a finite number > 0, got 0.0"),
    (dict(deadline=float("nan")), ValueError, r"download: expected deadline \(seconds\) to be a finite number > 0, got nan"),
    (dict(chunk_size=0), ValueError, r"download: expected chunk_size to be an int >= 1, got 0"),
    (dict(chunk_size=1.5), TypeError, r"download: expected chunk_size to be an int >= 1, got float 1.5"),
])
def test_bad_timeouts_and_chunk_sizes_are_refused_before_the_network(server, tmp_path, kwargs, exc, text):
    base, handler = server
    with pytest.raises(exc, match=text):
        download(f"{base}/blob.bin", tmp_path / "blob.bin", SHA, **kwargs)
    assert handler.requests == [] and not (tmp_path / "blob.bin").exists() and leftovers(tmp_path) == []


def test_url_must_be_a_string(tmp_path):
    with pytest.raises(TypeError, match="download: expected url as a str, got PosixPath"):
        download(tmp_path / "x", tmp_path / "y", SHA)


def test_sha256_of_refuses_chunk_size_zero(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(PAYLOAD)
    assert sha256_of(f, chunk_size=1000) == SHA  # a chunk size that does not divide the file
    for bad, exc in [(0, ValueError), (-5, ValueError), (2.0, TypeError), (None, TypeError)]:
        with pytest.raises(exc, match=r"sha256_of: expected chunk_size to be an int >= 1"):
            sha256_of(f, chunk_size=bad)
