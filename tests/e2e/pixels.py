"""Counting pixels of a PNG screenshot with the standard library (no Pillow here): enough of
PNG for what Chromium writes (8-bit RGB or RGBA, not interlaced)."""

from __future__ import annotations

import struct
import zlib


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def rows(png: bytes) -> list[bytes]:
    """The image's scanlines, unfiltered; each pixel is `channels(png)` bytes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, data, header = 8, b"", b""
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, body = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        data += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and not interlace, "unexpected PNG format"
    bpp = 3 if color == 2 else 4
    raw, stride, out, previous = zlib.decompress(data), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = previous[x], previous[x - bpp] if x >= bpp else 0
            predictor = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            line[x] = (line[x] + predictor) & 0xFF
        out.append(bytes(line))
        previous = line
    return out


def channels(png: bytes) -> int:
    return 3 if png[25] == 2 else 4


def ink(png: bytes, background: tuple[int, int, int] = (255, 255, 255)) -> int:
    """How many pixels differ clearly from the background colour."""
    bpp, count = channels(png), 0
    for line in rows(png):
        for x in range(0, len(line), bpp):
            if sum(abs(line[x + i] - background[i]) for i in range(3)) > 60:
                count += 1
    return count
