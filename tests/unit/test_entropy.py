"""`ecrm.platform.entropy`: identifiers drawn from blocks of OS randomness never repeat, per
thread and across a fork."""

from __future__ import annotations

import os
import threading

from ecrm.platform import entropy


def test_values_have_the_requested_size_and_never_repeat() -> None:
    values = [entropy.token_bytes(12) for _ in range(2_000)]  # several blocks

    assert {len(v) for v in values} == {12}
    assert len(set(values)) == len(values)
    assert len(entropy.token_hex(16)) == 32
    assert len(entropy.token_urlsafe(12)) == 16


def test_threads_draw_from_their_own_blocks() -> None:
    found: list[bytes] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [entropy.token_bytes(16) for _ in range(500)]
        with lock:
            found.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(found)) == 2_000


def test_a_forked_child_does_not_reuse_its_parents_block() -> None:
    entropy.token_bytes(8)  # the parent has a block now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, entropy.token_bytes(32))
        os._exit(0)
    os.waitpid(child, 0)
    from_child = os.read(read, 32)
    os.close(read)
    os.close(write)

    assert from_child != entropy.token_bytes(32)
