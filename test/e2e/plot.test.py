"""Renders an SVG with headless Chromium and checks the PNG is not blank:
it must hold pixels of the curves' colour and dark axis pixels (plot.test).

Usage: plot.test.py CURVE.svg OUT.png"""
import os
import struct
import subprocess
import sys
import zlib

svg, png = sys.argv[1:3]
subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--window-size=800,480",
                "--screenshot=" + png, "file://" + os.path.abspath(svg)],
               check=True, capture_output=True, timeout=120)


def decode(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


w, h, rows = decode(png)
print(f"rendered {w} x {h}")
near = lambda p, q: all(abs(a - b) <= 40 for a, b in zip(p, q))
train = sum(near(p, (0x1f, 0x77, 0xb4)) for row in rows for p in row)  # blue
val = sum(near(p, (0xff, 0x7f, 0x0e)) for row in rows for p in row)  # orange
axis = sum(max(p) < 128 for row in rows for p in row)
ok = train > 300 and val > 150 and axis > 500
print(f"train curve pixels {train}, validation curve pixels {val}, axis pixels {axis}: "
      f"{'not blank' if ok else 'BLANK OR MISSING CURVES'}")
