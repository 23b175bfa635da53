#!/usr/bin/env python3
"""Dependency-free line charts written as PNG (standard library only: zlib, struct).

    chart(path, panels, width=900, height_per_panel=260, title=None)

`panels` is a list of dicts, drawn stacked top to bottom:
    {"title": "RSS (MB)", "x_label": "minutes",
     "series": [{"name": "rss", "points": [(x, y), ...], "color": (r, g, b)}],
     "hlines": [{"y": 12.0, "color": (200, 0, 0), "label": "limit"}],  # optional, dashed
     "vspan": (x0, x1)}                                               # optional grey band
Points with a None/NaN/inf coordinate are skipped; "color" is optional (a palette is used).
A legend is drawn when a panel has more than one series.  Text is an embedded 5x7 font
(ASCII 32..126 plus a few extras) drawn at 2x.

CLI:  plot_png.py CSV OUT.png --x COL --y COL[,COL...] [--title T]   (one panel per y column)
      plot_png.py --selftest
"""
import argparse
import csv
import math
import struct
import sys
import zlib

# 5x7 font (+1 descender row) for ASCII 32..126: 5 column bytes per glyph, bit 0 = top row.
_FONT = bytes.fromhex(
    "0000000000 00005f0000 0007000700 147f147f14 242a7f2a12 2313086462 3649552250 0005030000"  # space!"#$%&'
    "001c224100 0041221c00 082a1c2a08 08083e0808 0050300000 0808080808 0060600000 2010080402"  # ()*+,-./
    "3e5149453e 00427f4000 4261514946 2141454b31 1814127f10 2745454539 3c4a494930 0171090503"  # 01234567
    "3649494936 064949291e 0036360000 0056360000 0008142241 1414141414 4122140800 0201510906"  # 89:;<=>?
    "324979413e 7e1111117e 7f49494936 3e41414122 7f4141221c 7f49494941 7f09090101 3e41415132"  # @ABCDEFG
    "7f0808087f 00417f4100 2040413f01 7f08142241 7f40404040 7f020c027f 7f0408107f 3e4141413e"  # HIJKLMNO
    "7f09090906 3e4151215e 7f09192946 4649494931 01017f0101 3f4040403f 1f2040201f 3f4038403f"  # PQRSTUVW
    "6314081463 0304780403 6151494543 007f414100 0204081020 0041417f00 0402010204 4040404040"  # XYZ[\]^_
    "0001020400 2054545478 7f48444438 3844444420 384444487f 3854545418 087e090102 58a4a4a47c"  # `abcdefg
    "7f08040478 00447d4000 4080847d00 007f102844 00417f4000 7c04180478 7c08040478 3844444438"  # hijklmno
    "fc24242418 18242424fc 7c08040408 4854545420 043f444020 3c4040207c 1c2040201c 3c4030403c"  # pqrstuvw
    "4428102844 1ca0a0a07c 4464544c44 0008364100 00007f0000 0041360800 0804081008"  # xyz{|}~
)
_GLYPHS = {chr(32 + i): _FONT[5 * i:5 * i + 5] for i in range(95)}
_GLYPHS.update({"×": bytes.fromhex("2214081422"), "°": bytes.fromhex("0006090600"),
                "µ": bytes.fromhex("7e2020103e")})

SCALE = 2                      # font pixel size
CHAR_W, CHAR_H = 6 * SCALE, 7 * SCALE
PALETTE = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (23, 190, 207)]
INK, FRAME, GRID, SPAN = b"\x28\x28\x28", b"\x50\x50\x50", b"\xeb\xeb\xeb", b"\xdc\xdc\xdc"


def _rgb(c):
    return bytes(max(0, min(255, int(v))) for v in c)


def text_width(s, scale=SCALE):
    return len(s) * 6 * scale - scale if s else 0


class Canvas:
    """RGB pixel buffer (white) with clipped rectangles, lines, text and PNG encoding."""

    def __init__(self, w, h):
        self.w, self.h = w, h
        self.buf = bytearray(b"\xff" * (w * h * 3))

    def rect(self, x0, y0, x1, y1, c):
        """Fill [x0, x1) x [y0, y1) with colour bytes c."""
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x0 >= x1:
            return
        row = c * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.buf[i:i + len(row)] = row

    def line(self, x0, y0, x1, y1, c, width=2):
        """Bresenham line, each step stamped as a width x width square."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.rect(x0, y0, x0 + width, y0 + width, c)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x, y, s, c, scale=SCALE):
        for ch in s:
            for col, bits in enumerate(_GLYPHS.get(ch, _GLYPHS["?"])):
                for row in range(8):
                    if bits >> row & 1:
                        px, py = x + col * scale, y + row * scale
                        self.rect(px, py, px + scale, py + scale, c)
            x += 6 * scale

    def png(self):
        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        stride = self.w * 3
        raw = b"".join(b"\x00" + self.buf[y * stride:(y + 1) * stride] for y in range(self.h))
        return (b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _num(v):
    """float(v), or None when v is missing, unparsable or not finite."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _clean(points):
    out = []
    for pt in points or ():
        try:
            x, y = _num(pt[0]), _num(pt[1])
        except (TypeError, IndexError, KeyError):
            continue
        if x is not None and y is not None:
            out.append((x, y))
    return out


def nice_ticks(lo, hi, n=5):
    """Round the range out to a step of 1/2/5 x 10^k giving at most n+1 intervals, wasting
    the least range (ties: more ticks).  Returns (lo, hi, ticks, decimals)."""
    if not hi > lo:                       # flat or empty data: pad the range
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    e = math.floor(math.log10((hi - lo) / n))
    best = None
    for step in (m * 10.0 ** (e + k) for k in (-1, 0, 1) for m in (1, 2, 5)):
        t0, t1 = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
        if (t1 - t0) / step < n + 1.5 and (best is None or t1 - t0 < best[1] - best[0] - step * 1e-9):
            best = (t0, t1, step)
    t0, t1, step = best
    dec = 0
    while dec < 15 and abs(step * 10 ** dec - round(step * 10 ** dec)) > 1e-6 * step * 10 ** dec:
        dec += 1
    ticks = [round(t0 + i * step, dec) for i in range(int(round((t1 - t0) / step)) + 1)]
    return t0, t1, ticks, dec


def _fmt(v, dec):
    s = "%.*f" % (dec, v)
    return s[1:] if s.lstrip("-0.") == "" and s.startswith("-") else s


def _panel(cv, p, px, py, w, h):
    series = [(str(s.get("name", "")), _clean(s.get("points")),
               _rgb(s.get("color") or PALETTE[k % len(PALETTE)]))
              for k, s in enumerate(p.get("series") or ())]
    hlines = [(_num(hl.get("y")), _rgb(hl.get("color") or (200, 0, 0)), str(hl.get("label", "")))
              for hl in p.get("hlines") or ()]
    hlines = [hl for hl in hlines if hl[0] is not None]
    span = p.get("vspan")
    span = tuple(sorted(map(_num, span))) if span and None not in map(_num, span) else None
    xs = [x for _, pts, _ in series for x, _ in pts] + list(span or ())
    ys = [y for _, pts, _ in series for _, y in pts] + [hl[0] for hl in hlines]
    xlo, xhi, xticks, xdec = nice_ticks(min(xs, default=0.0), max(xs, default=1.0))
    ylo, yhi, yticks, ydec = nice_ticks(min(ys, default=0.0), max(ys, default=1.0))
    ylabels = [_fmt(v, ydec) for v in yticks]
    left = px + 16 + max(map(text_width, ylabels))
    right, top, bottom = px + w - 20, py + 36, py + h - 50

    def X(v):
        return int(round(left + (v - xlo) / (xhi - xlo) * (right - left)))

    def Y(v):                             # 8 px inset so data never sits on the frame
        return int(round(bottom - 8 - (v - ylo) / (yhi - ylo) * (bottom - top - 16)))

    title = str(p.get("title", ""))
    cv.text(px + 10, py + 10, title, INK)
    # grid, shading, axes labels
    for v in yticks:
        cv.rect(left, Y(v), right, Y(v) + 1, GRID)
    for v in xticks:
        cv.rect(X(v), top, X(v) + 1, bottom, GRID)
    if span:
        cv.rect(X(max(span[0], xlo)), top, X(min(span[1], xhi)) + 1, bottom, SPAN)
    for v, label in zip(yticks, ylabels):
        cv.rect(left - 5, Y(v), left, Y(v) + 1, FRAME)
        cv.text(left - 8 - text_width(label), Y(v) - CHAR_H // 2, label, INK)
    last = -10 ** 9
    for v in xticks:
        label = _fmt(v, xdec)
        lx = min(max(X(v) - text_width(label) // 2, px + 2), px + w - 2 - text_width(label))
        cv.rect(X(v), bottom, X(v) + 1, bottom + 5, FRAME)
        if lx > last + 8:                 # skip labels that would overlap the previous one
            cv.text(lx, bottom + 9, label, INK)
            last = lx + text_width(label)
    x_label = str(p.get("x_label", ""))
    cv.text((left + right - text_width(x_label)) // 2, bottom + 9 + CHAR_H + 8, x_label, INK)
    # dashed threshold lines, then the data
    for v, color, label in hlines:
        y = Y(v)
        for x in range(left, right, 12):
            cv.rect(x, y, min(x + 7, right), y + 2, color)
        if label:
            ly = y - CHAR_H - 4 if y - CHAR_H - 4 > top else y + 6
            cv.text(right - 6 - text_width(label), ly, label, color)
    for _, pts, color in series:
        pix = [(X(x), Y(y)) for x, y in pts]
        if len(pix) == 1:
            cv.rect(pix[0][0] - 2, pix[0][1] - 2, pix[0][0] + 3, pix[0][1] + 3, color)
        for (x0, y0), (x1, y1) in zip(pix, pix[1:]):
            cv.line(x0, y0, x1, y1, color)
    # frame, then the legend: right of the title, or boxed inside the plot if it doesn't fit
    for x0, y0, x1, y1 in ((left, top, right + 1, top + 1), (left, bottom, right + 1, bottom + 1),
                           (left, top, left + 1, bottom), (right, top, right + 1, bottom + 1)):
        cv.rect(x0, y0, x1, y1, FRAME)
    if len(series) > 1:
        lx = right - sum(text_width(name) + 42 for name, _, _ in series) + 16
        ly = py + 10
        if lx < px + 26 + text_width(title):
            lx, ly = lx - 8, top + 10
            cv.rect(lx - 8, ly - 6, right - 6, ly + CHAR_H + 6, FRAME)
            cv.rect(lx - 7, ly - 5, right - 7, ly + CHAR_H + 5, b"\xff\xff\xff")
        for name, _, color in series:
            cv.rect(lx, ly + 5, lx + 18, ly + 9, color)
            cv.text(lx + 24, ly, name, INK)
            lx += text_width(name) + 42


def chart(path, panels, width=900, height_per_panel=260, title=None):
    """Render `panels` (see module docstring) stacked vertically into a PNG at `path`."""
    head = 40 if title else 0
    cv = Canvas(width, head + height_per_panel * max(1, len(panels)))
    if title:
        title = str(title)
        cv.text((width - text_width(title, 3)) // 2, 12, title, INK, scale=3)
    for i, p in enumerate(panels):
        _panel(cv, p, 0, head + i * height_per_panel, width, height_per_panel)
    with open(path, "wb") as f:
        f.write(cv.png())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plot CSV columns as stacked line charts (PNG).")
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--x", required=True, help="x column")
    ap.add_argument("--y", required=True, help="comma-separated y columns, one panel each")
    ap.add_argument("--title")
    a = ap.parse_args(argv)
    with open(a.csv, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    cols = [c.strip() for c in a.y.split(",") if c.strip()]
    missing = [c for c in [a.x] + cols if c not in (reader.fieldnames or ())]
    if missing:
        ap.error("no such column(s): %s (have: %s)" % (", ".join(missing), ", ".join(reader.fieldnames or ())))
    panels = [{"title": c, "x_label": a.x,
               "series": [{"name": c, "points": [(r.get(a.x), r.get(c)) for r in rows]}]}
              for c in cols]
    chart(a.out, panels, title=a.title)


def _read_png(data):
    """Minimal PNG reader for the self-test: checks CRCs, returns (w, h, rows of RGB bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "bad signature"
    pos, idat, kinds, w = 8, b"", [], 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, "bad CRC in %r" % kind
        kinds.append(kind)
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert (depth, ctype) == (8, 2), "not 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and kinds.count(b"IDAT") == 1, kinds
    raw, stride = zlib.decompress(idat), 1 + 3 * w
    assert len(raw) == h * stride, "bad IDAT size"
    assert all(raw[y * stride] == 0 for y in range(h)), "unexpected filter type"
    return w, h, [raw[y * stride + 1:(y + 1) * stride] for y in range(h)]


def _has_color(rows, c):
    return any(r[i:i + 3] == c for r in rows for i in range(0, len(r), 3))


def _selftest():
    import os
    import tempfile
    rss = [(m / 2, 40 + 8 * math.sin(m / 9) + m * 0.05) for m in range(241)]
    p99 = [(m, 2 + math.sin(m / 5) * 0.4 if m % 17 else None) for m in range(120)] + [(121, float("nan"))]
    p50 = [(m, 1.2 + math.cos(m / 7) * 0.2) for m in range(120)]
    panels = [
        {"title": "RSS (MB)", "x_label": "minutes", "vspan": (0, 10),
         "series": [{"name": "rss", "points": rss, "color": (31, 119, 180)}],
         "hlines": [{"y": 60, "color": (200, 0, 0), "label": "limit"}]},
        {"title": "latency (ms)", "x_label": "minutes",
         "series": [{"name": "p99", "points": p99, "color": (214, 39, 40)}, {"name": "p50", "points": p50}]},
        {"title": "edge cases", "series": [{"name": "empty", "points": []}, {"name": "one", "points": [(3, 7)]},
                                          {"name": "flat", "points": [(0, 5), (1, 5), (None, 1), (2, "x")]}]},
        {"title": "no series", "series": [], "hlines": [{"y": None}], "vspan": (None, 1)},
    ]
    fd, path = tempfile.mkstemp(suffix=".png")
    os.close(fd)
    try:
        chart(path, panels, title="plot_png self-test")
        with open(path, "rb") as f:
            w, h, rows = _read_png(f.read())
        assert (w, h) == (900, 40 + 4 * 260), (w, h)
        bands = [rows[40 + i * 260:40 + (i + 1) * 260] for i in range(4)]
        for i, band in enumerate(bands):
            assert any(r.strip(b"\xff") for r in band), "panel %d is blank" % i
        assert _has_color(bands[0], bytes((31, 119, 180))) and _has_color(bands[0], bytes((200, 0, 0)))
        assert _has_color(bands[1], bytes((214, 39, 40))) and _has_color(bands[1], bytes(PALETTE[1]))
        with open(path, "w") as f:       # CLI path, including a blank cell
            f.write("t,rss,p99\n0,10,1.5\n1,,1.7\n2,12,1.6\n")
        main([path, path + ".png", "--x", "t", "--y", "rss,p99"])
        with open(path + ".png", "rb") as f:
            assert _read_png(f.read())[:2] == (900, 520)
    finally:
        for p in (path, path + ".png"):
            if os.path.exists(p):
                os.unlink(p)
    print("ok")


if __name__ == "__main__" and sys.argv[1:] == ["--selftest"]:
    _selftest()
elif __name__ == "__main__":
    main()
