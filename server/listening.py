"""Where `threadloom` listens: the socket's address, set on the application before it
starts (in-process test servers leave it out), and the URL a process on this machine
reaches it at."""

from __future__ import annotations

from aiohttp import web

LISTENING = web.AppKey("listening", tuple)  # the listening socket's (host, port, ...)
_ANY_TO_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # bound to every interface: loopback is one


def local_address(sockname: tuple[str, int]) -> tuple[str, int]:
    host, port = sockname[:2]
    return _ANY_TO_LOOPBACK.get(host, host), port


def url(address: tuple[str, int]) -> str:
    host, port = address
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
