"""A small sticky load balancer on loopback, for bench/replicas.py.

    python bench/lb.py --port 8600 --backend 127.0.0.1:8601 --backend 127.0.0.1:8602

A TCP proxy that reads each connection's first HTTP request head and picks a replica:
the one named by the `tracker_replica` cookie when the request carries it (a browser
stays on its replica for every request, WebSocket included), else the next one round
robin, and then tells the browser with a Set-Cookie on the response. After the head
the bytes are piped both ways untouched, so the WebSocket upgrade at /_stcore/stream
and everything on it pass through; one connection never changes replica, so a
Streamlit session (one WebSocket) lives on one replica from start to end, which is
all a protocol client without cookies needs. Loopback only; prints one line when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sys

COOKIE = "tracker_replica"
HEAD_END = b"\r\n\r\n"
MAX_HEAD = 64 * 1024


def pick(head: bytes, backends: list[tuple[str, int]], turn: itertools.cycle) -> tuple[int, bool]:
    """The replica for a request (index, and whether the cookie named it)."""
    found = re.search(rb"(?im)^cookie:.*?\b" + COOKIE.encode() + rb"=(\d+)", head)
    if found and int(found.group(1)) < len(backends):
        return int(found.group(1)), True
    return next(turn), False


def with_cookie(head: bytes, index: int) -> bytes:
    """A response head with the replica's cookie added (a 101 Switching Protocols too)."""
    line = f"Set-Cookie: {COOKIE}={index}; Path=/; HttpOnly; SameSite=Lax\r\n".encode()
    return head[: -len(HEAD_END) + 2] + line + b"\r\n"


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(HEAD_END)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return b""


def handler(backends: list[tuple[str, int]]):
    turn = itertools.cycle(range(len(backends)))

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        head = await read_head(client_r)
        if not head:
            client_w.close()
            return
        index, sticky = pick(head, backends, turn)
        try:
            server_r, server_w = await asyncio.open_connection(*backends[index], limit=MAX_HEAD)
        except OSError:
            client_w.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            client_w.close()
            return
        server_w.write(head)
        await server_w.drain()
        if not sticky:  # the first response tells the browser its replica
            response = await read_head(server_r)
            client_w.write(with_cookie(response, index) if response else b"")
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    return handle


async def serve(port: int, backends: list[tuple[str, int]]) -> None:
    server = await asyncio.start_server(handler(backends), "127.0.0.1", port, limit=MAX_HEAD)
    print(f"lb ready on 127.0.0.1:{port} -> {len(backends)} replicas", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="127.0.0.1:PORT")
    args = parser.parse_args(argv)
    backends = []
    for item in args.backend:
        host, _, port = item.rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            parser.error("backends are on loopback only")
        backends.append((host, int(port)))
    try:
        asyncio.run(serve(args.port, backends))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
