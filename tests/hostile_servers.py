"""Loopback servers that misbehave in ways the scripted server does not, for the batch tests.

* :func:`drip_server`: answers a chat request with a 200 and a long ``Content-Length``, then
  sends its body one byte every ``interval_s``: a per-read timeout never fires, only a deadline
  over the whole exchange ends it.

Every loop is bounded (a byte budget, the server's stop event, socket timeouts), and the server
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class DripServer:
    """What a :func:`drip_server` saw: its base URL and how many chat requests reached it."""

    url: str
    requests: int = 0
    bytes_sent: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


def _read_request(conn: socket.socket, limit: int = 1 << 20) -> bytes:
    """One HTTP request (headers and a Content-Length body), at most ``limit`` bytes."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < min(length, limit):
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


@contextlib.contextmanager
def drip_server(interval_s: float = 2.0, max_bytes: int = 10_000) -> Iterator[DripServer]:
    """A server that answers every request with 200 and then one byte of body per ``interval_s``.

    It never completes a reply: it stops after ``max_bytes`` bytes, or when the ``with`` block ends.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    state = DripServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1")
    lock = threading.Lock()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            try:
                head = _read_request(conn)
                with lock:
                    state.requests += 1
                if head.startswith(b"GET"):
                    body = b'{"object": "list", "data": [{"id": "drip-model", "object": "model", "owned_by": "x"}]}'
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
                sent = 0
                while sent < max_bytes and not state.stop.wait(interval_s):
                    conn.sendall(b" ")
                    sent += 1
                    with lock:
                        state.bytes_sent += 1
            except OSError:  # the client gave up
                return

    def accept() -> None:
        while not state.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, name="drip-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        thread.join(timeout=5)
        listener.close()
