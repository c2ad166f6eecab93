"""The optional LLM endpoint (`--llm-url`) against real HTTP servers on 127.0.0.1: no redirect
carries the API key elsewhere, one deadline for the whole exchange, a cap on the reply."""
from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from addon.text2motion.describe import descriptions, template_descriptions

KEY = "sk-test-secret-123"
GOOD = json.dumps({"choices": [{"message": {"content": "A person waves slowly.\nA man waves hello."}}]}).encode()


class _Server:
    """A threading HTTP server on 127.0.0.1 whose POST handler is `handle(handler)`."""

    def __init__(self, handle):
        seen = self.seen = []

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                seen.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(n)})
                try:
                    handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.srv.server_port}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def server():
    made = []

    def make(handle):
        s = _Server(handle)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def _reply(h, body: bytes, status=200, headers=()):
    h.send_response(status)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _ask(url):
    warned = []
    out = descriptions("waving", 2, seed=0, llm_url=url, api_key=KEY, warn=warned.append)
    return out, warned


def test_a_good_endpoint_is_used_and_gets_the_key(server):
    s = server(lambda h: _reply(h, GOOD))
    out, warned = _ask(s.url)
    # the endpoint said "A man waves hello.": subjects are made neutral (every body variant shares the text)
    assert out == ["A person waves slowly.", "A person waves hello."] and not warned
    assert s.seen[0]["headers"]["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_another_origin_never_receives_the_key(server, status):
    other = server(lambda h: _reply(h, GOOD))
    first = server(lambda h: _reply(h, b"", status, [("Location", other.url + "/v1/chat/completions")]))
    out, warned = _ask(first.url)
    assert first.seen and first.seen[0]["headers"].get("Authorization") == f"Bearer {KEY}"
    assert not any("Authorization" in r["headers"] for r in other.seen)   # nothing arrives there at all
    assert not other.seen
    assert out == template_descriptions("waving", 2, 0)
    assert len(warned) == 1 and "\n" not in warned[0] and "redirect" in warned[0] and KEY not in warned[0]


def test_a_trickling_reply_is_cut_off_at_the_deadline(server, monkeypatch):
    stop = threading.Event()

    def trickle(h):
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        while not stop.is_set():           # one byte every 0.3 s: each read succeeds, the whole never ends
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.3)

    s = server(trickle)
    monkeypatch.setenv("WEARTWIN_LLM_TIMEOUT", "1.5")
    t0 = time.monotonic()
    out, warned = _ask(s.url)
    elapsed = time.monotonic() - t0
    stop.set()
    assert out == template_descriptions("waving", 2, 0)
    assert len(warned) == 1 and "within 1.5 s" in warned[0], warned
    assert elapsed < 10, elapsed          # gave up (a per-read timeout would wait forever)


def test_trickled_headers_are_cut_off_too(server, monkeypatch):
    stop = threading.Event()

    def slow_headers(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not stop.is_set():
            h.wfile.write(b"X-Slow: 1\r\n")
            h.wfile.flush()
            time.sleep(0.3)

    s = server(slow_headers)
    monkeypatch.setenv("WEARTWIN_LLM_TIMEOUT", "1")
    t0 = time.monotonic()
    out, warned = _ask(s.url)
    stop.set()
    assert time.monotonic() - t0 < 10 and len(warned) == 1 and "within 1 s" in warned[0], warned


def test_a_huge_reply_is_capped_while_reading(server, monkeypatch):
    sent = {"bytes": 0}

    def huge(h):                                   # no Content-Length: 3 GB of JSON-ish text
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"A" * 65536
        for _ in range(3 * 1024 * 1024 * 1024 // len(chunk)):
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)

    s = server(huge)
    monkeypatch.setenv("WEARTWIN_LLM_MAX_BYTES", str(256 * 1024))
    out, warned = _ask(s.url)
    assert out == template_descriptions("waving", 2, 0)
    assert len(warned) == 1 and "262,144-byte cap" in warned[0], warned
    time.sleep(0.2)
    assert sent["bytes"] < 64 * 1024 * 1024           # the client stopped reading long before 3 GB


def test_a_declared_huge_reply_is_refused_before_reading(server):
    def declared(h):
        h.send_response(200)
        h.send_header("Content-Length", str(3 * 1024 ** 3))
        h.end_headers()
        h.wfile.write(b"{")

    s = server(declared)
    out, warned = _ask(s.url)
    assert out == template_descriptions("waving", 2, 0)
    assert "3,221,225,472 bytes" in warned[0] and "1,048,576-byte cap" in warned[0]
