"""Draw Village's app icons and favicon (static/icons/, static/favicon.ico).

Pure Python (zlib), so no imaging library is needed to re-make them: a warm cream house with
a lit, heart-shaped window on Village's teal. Run from the repository root, then commit the
files:

    python tools/make_icons.py

The maskable icon keeps the house inside the central 80 % circle that launchers may crop to.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "static" / "icons"

TEAL = (13, 92, 86)  # --primary in static/css/site.css
CREAM = (253, 248, 243)  # --bg
WARM = (244, 162, 97)  # a lamp-lit window
ROOF = (179, 68, 26)  # --accent

SAMPLES = 3  # per axis: 9 samples a pixel, for soft edges


def _inside_rounded_square(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _inside_triangle(x, y, a, b, c) -> bool:
    def side(p, q):
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def _inside_heart(x: float, y: float, cx: float, cy: float, size: float) -> bool:
    # The classic implicit heart, (u^2 + v^2 - 1)^3 - u^2 v^3 <= 0, point up flipped.
    u = (x - cx) / size
    v = -(y - cy) / size
    return (u * u + v * v - 1) ** 3 - u * u * v**3 <= 0


def colour_at(x: float, y: float, *, full_bleed: bool) -> tuple[int, int, int, int] | None:
    """The colour of the design at (x, y) in 0..1, or None for transparent."""
    if full_bleed:
        # Maskable: the background fills the square; the house shrinks into the safe zone.
        scale, offset = 0.62, 0.19
    else:
        if not _inside_rounded_square(x, y, 0.22):
            return None
        scale, offset = 0.8, 0.1
    hx, hy = (x - offset) / scale, (y - offset) / scale  # house space, 0..1
    colour = TEAL
    # Roof: a wide triangle; body: a square under it; a heart-shaped lit window.
    if _inside_triangle(hx, hy, (0.5, 0.08), (0.04, 0.48), (0.96, 0.48)):
        colour = ROOF
    if 0.16 <= hx <= 0.84 and 0.44 <= hy <= 0.92:
        colour = CREAM
        if _inside_heart(hx, hy, 0.5, 0.66, 0.16):
            colour = WARM
    return (*colour, 255)


def render(size: int, *, full_bleed: bool = False) -> bytes:
    rows = []
    n = SAMPLES * SAMPLES
    for py in range(size):
        row = bytearray([0])  # filter type: none
        for px in range(size):
            r = g = b = a = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    c = colour_at(x, y, full_bleed=full_bleed)
                    if c:
                        r, g, b, a = r + c[0] * c[3], g + c[1] * c[3], b + c[2] * c[3], a + c[3]
            if a:
                row += bytes((r // a, g // a, b // a, a // n))
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images: list[tuple[int, bytes]]) -> bytes:
    """A .ico holding PNG images (every browser since IE 9 reads these)."""
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, data in images:
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(data for _, data in images)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "icon-192.png").write_bytes(render(192))
    (ICONS / "icon-512.png").write_bytes(render(512))
    (ICONS / "icon-maskable-512.png").write_bytes(render(512, full_bleed=True))
    # iOS draws its own rounded corners and shows transparency as black: full bleed.
    (ICONS / "apple-touch-icon.png").write_bytes(render(180, full_bleed=True))
    (ROOT / "static" / "favicon.ico").write_bytes(ico([(16, render(16)), (32, render(32))]))


if __name__ == "__main__":
    main()
