"""Slow clients against a real `opedbot serve`: connections that trickle headers or a body are
cut off after OPEDBOT_CLIENT_TIMEOUT while other readers are answered, and past
OPEDBOT_MAX_CONNECTIONS a new request gets 503 at once."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from urllib.request import Request, urlopen

import pytest

from tests.conftest import cli_env, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(session_data_dir):
    port = free_port()
    env = {**cli_env(session_data_dir), "OPEDBOT_CLIENT_TIMEOUT": "1", "OPEDBOT_MAX_CONNECTIONS": "40", "OPEDBOT_RATE_LIMIT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(15)


def _ask(port: int) -> dict:
    req = Request(
        f"http://127.0.0.1:{port}/api/ask", json.dumps({"question": "What is NACTA?"}).encode(), {"Content-Type": "application/json"}
    )
    with urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection within ``within`` seconds while we trickle."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"X")
            sock.settimeout(0.2)
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed
            return True
    return False


def test_trickled_headers_and_bodies_are_cut_off_while_others_are_answered(server):
    header = [socket.create_connection(("127.0.0.1", server)) for _ in range(20)]
    for s in header:
        s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    body = socket.create_connection(("127.0.0.1", server))
    body.sendall(b'POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"question"')
    assert "NACTA" in _ask(server)["answer"]  # not held up
    assert all(_closed_by_server(s, 5) for s in [*header, body])
    for s in [*header, body]:
        s.close()


def test_past_the_connection_cap_a_request_gets_503_at_once(server):
    idle = [socket.create_connection(("127.0.0.1", server)) for _ in range(45)]
    try:
        time.sleep(0.2)
        t = time.monotonic()
        with pytest.raises(Exception) as got:
            _ask(server)
        assert getattr(got.value, "code", None) == 503 and time.monotonic() - t < 2
    finally:
        for s in idle:
            s.close()
    time.sleep(1.5)  # the idle ones are gone: served again
    assert "NACTA" in _ask(server)["answer"]
