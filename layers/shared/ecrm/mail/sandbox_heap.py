"""A Lambda sandbox's long-lived objects, kept out of the garbage collector's full passes.

After the first invocation a sandbox holds hundreds of thousands of objects that live as long
as it does: modules, boto3 clients and their service models, compiled templates. CPython's
full collection walks every one of them (about 80 ms in the campaign sender, with the worker
stopped), and a paced sender that late skips its send slots. `gc.freeze()` moves them to the
permanent generation: later passes walk only what invocations create.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_after_first_invocation() -> None:
    """Call at the end of each invocation; the first one collects, then freezes what is left."""
    global _frozen  # noqa: PLW0603 - once per process
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
