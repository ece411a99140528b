"""Frames on the socket between the server and an environment or the zygote.

A frame is an 8-byte header (two big-endian lengths), a JSON object and a payload of bytes:
the JSON carries what the message is, the payload carries event or result bytes untouched.
"""

import json
import socket
import struct

HEADER = struct.Struct(">II")


def encode(meta: dict, payload: bytes = b"") -> bytes:
    head = json.dumps(meta, separators=(",", ":")).encode()
    return HEADER.pack(len(head), len(payload)) + head + payload


def send(sock: socket.socket, meta: dict, payload: bytes = b"") -> None:
    sock.sendall(encode(meta, payload))


def recv(sock: socket.socket):
    """The next (meta, payload) frame; None when the peer has closed the socket."""
    head = _exactly(sock, HEADER.size)
    if head is None:
        return None
    meta_size, payload_size = HEADER.unpack(head)
    meta = _exactly(sock, meta_size)
    payload = _exactly(sock, payload_size) if payload_size else b""
    if meta is None or payload is None:
        return None
    return json.loads(meta), payload


def _exactly(sock: socket.socket, size: int):
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
