"""Open file descriptors and what each one is: file, socket (with addresses), pipe."""

from __future__ import annotations

import builtins
import gc
import io
import os
import socket
import sys
import weakref
from dataclasses import dataclass

from leaklint.testing._sites import Site, caller_site, object_site

if sys.platform.startswith("linux"):
    FD_DIR: str | None = "/proc/self/fd"
elif sys.platform == "darwin":
    FD_DIR = "/dev/fd"
else:
    FD_DIR = None

_TCP_STATES = {
    "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
    "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN",
    "0B": "CLOSING",
}


@dataclass(frozen=True, order=True)
class OpenFd:
    fd: int
    target: str  # what /proc/self/fd/N points at; empty where the platform does not say


# where each file or socket opened while recording was made, by descriptor; cheaper than tracemalloc
_opened: dict[int, tuple[Site, weakref.ref]] = {}
_users = [0]
_original_open = builtins.open
_original_socket_init = socket.socket.__init__


def _note(obj: object, frame) -> None:
    site = caller_site(frame)
    if site is None:
        return
    try:
        _opened[obj.fileno()] = (site, weakref.ref(obj))  # type: ignore[attr-defined]
    except (OSError, ValueError, TypeError, AttributeError):
        pass


def _recording_open(*args, **kwargs):
    obj = _original_open(*args, **kwargs)
    _note(obj, sys._getframe(1))
    return obj


def _recording_socket_init(self, *args, **kwargs):
    _original_socket_init(self, *args, **kwargs)
    _note(self, sys._getframe(1))


def start_recording() -> None:
    _users[0] += 1
    if _users[0] == 1:
        builtins.open = io.open = _recording_open
        socket.socket.__init__ = _recording_socket_init  # type: ignore[method-assign]


def stop_recording() -> None:
    _users[0] -= 1
    if _users[0] == 0:
        builtins.open = io.open = _original_open
        socket.socket.__init__ = _original_socket_init  # type: ignore[method-assign]
        _opened.clear()


def _recorded_site(fd: int) -> Site | None:
    site, ref = _opened.get(fd, (None, None))
    obj = ref() if ref is not None else None
    try:
        return site if obj is not None and obj.fileno() == fd else None
    except (OSError, ValueError):
        return None


def supported() -> bool:
    return FD_DIR is not None and os.path.isdir(FD_DIR)


def snapshot() -> frozenset[OpenFd]:
    if FD_DIR is None:
        return frozenset()
    found = set()
    try:
        names = os.listdir(FD_DIR)
    except OSError:
        return frozenset()
    for name in names:
        fd = int(name)
        try:
            target = os.readlink(f"{FD_DIR}/{name}") if FD_DIR == "/proc/self/fd" else ""
        except OSError:
            continue  # the descriptor listdir itself used, or one closed meanwhile
        found.add(OpenFd(fd, target))
    return frozenset(found)


def _ipv4(text: str) -> str:
    host, port = text.split(":")
    packed = bytes.fromhex(host)[::-1]
    return f"{socket.inet_ntop(socket.AF_INET, packed)}:{int(port, 16)}"


def _ipv6(text: str) -> str:
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    packed = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return f"[{socket.inet_ntop(socket.AF_INET6, packed)}]:{int(port, 16)}"


def _inet_sockets() -> dict[str, str]:
    found: dict[str, str] = {}
    for table, address in (("tcp", _ipv4), ("tcp6", _ipv6), ("udp", _ipv4), ("udp6", _ipv6)):
        try:
            with open(f"/proc/self/net/{table}", encoding="ascii") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 10:
                continue
            local, peer, state, inode = address(cols[1]), address(cols[2]), cols[3], cols[9]
            kind = table.rstrip("6")
            if kind == "tcp":
                status = _TCP_STATES.get(state, state)
                text = f"{kind} {local}" if status == "LISTEN" else f"{kind} {local} -> {peer}"
                found[inode] = f"{text} ({status})"
            else:
                found[inode] = f"{kind} {local}"
    return found


def _unix_sockets() -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        with open("/proc/self/net/unix", encoding="utf-8", errors="replace") as fh:
            rows = fh.read().splitlines()[1:]
    except OSError:
        return found
    for row in rows:
        cols = row.split()
        if len(cols) >= 7:
            found[cols[6]] = f"unix {cols[7]}" if len(cols) > 7 else "unix (unnamed)"
    return found


def _owners(fds: set[int]) -> dict[int, object]:
    """The file and socket objects that hold these descriptors (to ask tracemalloc where they were made)."""
    owners: dict[int, object] = {}
    for obj in gc.get_objects():
        if isinstance(obj, (socket.socket, io.FileIO)):
            try:
                fd = obj.fileno()
            except (OSError, ValueError):
                continue
            if fd in fds and fd not in owners:
                owners[fd] = obj
    return owners


def describe(leaked: list[OpenFd]) -> list[str]:
    """Per descriptor, "N: what it is" and, where tracemalloc knows, where it was opened."""
    if not leaked:
        return []
    sockets: dict[str, str] | None = None
    owners = _owners({o.fd for o in leaked})
    lines = []
    for item in sorted(leaked, key=lambda o: o.fd):
        target = item.target
        if target.startswith("socket:["):
            if sockets is None:
                sockets = {**_inet_sockets(), **_unix_sockets()}
            what = f"socket {sockets.get(target[8:-1], target)}"
        elif target.startswith("pipe:["):
            what = "pipe"
        elif target.startswith("anon_inode:"):
            what = target[len("anon_inode:"):].strip("[]")
            if what == "eventpoll":
                what = "epoll selector (an event loop not closed?)"
        else:
            what = f"file {target}" if target else "descriptor"
        line = f"{item.fd}: {what}"
        site = object_site(owners[item.fd]) if item.fd in owners else None
        site = site or _recorded_site(item.fd)
        if site is not None:
            line += f" opened at {site}"
        lines.append(line)
    return lines
