"""Random identifiers from the OS's CSPRNG, fetched in blocks.

`secrets.token_*` makes one `getrandom` system call per value, and a system call releases the
GIL: with other threads busy, getting it back can cost a whole switch interval (5 ms). A
campaign draws two values per recipient (its unsubscribe token id and its Message-ID), so
this module reads `os.urandom` 4 KiB at a time, per thread, and hands out slices: the same
bytes the OS would have given one call at a time. A block belongs to the process that read it
(a forked child must never reuse its parent's bytes).
"""

from __future__ import annotations

import base64
import os
import threading

_BLOCK = 4096


class _Pool(threading.local):
    def __init__(self) -> None:
        self.block = b""
        self.offset = 0
        self.pid = 0


_pool = _Pool()


def token_bytes(count: int) -> bytes:
    if count > _BLOCK:
        return os.urandom(count)
    pool = _pool
    pid = os.getpid()  # no system call that releases the GIL
    if pool.offset + count > len(pool.block) or pool.pid != pid:
        pool.block, pool.offset, pool.pid = os.urandom(_BLOCK), 0, pid
    start = pool.offset
    pool.offset = start + count
    return pool.block[start : start + count]


def token_hex(count: int) -> str:
    return token_bytes(count).hex()


def token_urlsafe(count: int) -> str:
    return base64.urlsafe_b64encode(token_bytes(count)).rstrip(b"=").decode("ascii")
