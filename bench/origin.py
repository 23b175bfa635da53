#!/usr/bin/env python3
"""A small loopback origin for trackstrip's load and fault scripts (Python 3 stdlib, asyncio).

Usage: origin.py [--host 127.0.0.1] [--port 0] [--port-file FILE] [--max-seconds 3600]

Usage: origin.py ... [--tls-cert PEM --tls-key PEM --tls-port-file FILE]   (a second,
       HTTPS listener with the same routes; used by soak.py for intercepted HTTPS)

Routes (origin-form or absolute-form request targets; any Host):
  /page.html       ~50 KB article with trackers: a 1x1 scorecardresearch pixel, a
                   google-analytics <script src>, an inline GA snippet, an <a ping>.
                   Content-Length, keep-alive.  Ends with <!-- END-OF-PAGE -->.
                   ?gzip=1: the same, Content-Encoding: gzip.
  /b.html          page b: a real 111 KB news page (tests/fixtures/corpus, thehill.com) with
                   its trackers; ?gzip=1 as above.  Ends with </html>.
  /reset           text/html, Content-Length of the full page; sends the headers and
                   ~40% of the body, then resets the connection (SO_LINGER 0 + close -> RST).
  /reset.bin       the same with application/octet-stream (the pass-through path).
  /reset-chunked   text/html, chunked; a few chunks, then the RST.
  /slow            text/html, headers at once, then the page in 20 pieces over ?secs=5
                   seconds (Content-Length).  X-Origin-Start: unix time the headers went out.
  /hang            reads the request and never answers (holds the socket until the peer
                   closes it, or 300 s).
  /big-headers     a 200 response with one 100 KB header (X-Big: aaaa...); ?kb=N for N KB.
  /many-headers    a 200 response with ?n=500 small headers.
  /stall           text/html, Content-Length of the page; sends 20 KB of it, then goes silent
                   (holds the socket like /hang).
  /echo            answers with the request head it received and the size of the request
                   body it read (Content-Length or chunked).
  /drop            reads the request and resets the connection without answering.
  /garbage         answers with bytes that are not HTTP, then closes.
  /health          "ok".
  /stats           JSON: connections open now, /hang and /stall connections open now
                   ("hang_open"), /slow responses in progress ("slow_open"), requests served.

Everything listens on 127.0.0.1 by default; the process exits by itself after --max-seconds.
"""
import argparse
import asyncio
import gzip
import json
import os
import signal
import socket
import ssl
import struct
import sys
import time
from urllib.parse import parse_qs, urlsplit

# ---- the page ---------------------------------------------------------------------------

WORDS = (
    "the council said on tuesday that a new report on regional transport budget would be "
    "published after the summer recess while officials warned of delays to rail upgrades "
    "across northern towns and local businesses asked for clearer guidance on energy costs "
    "market analysts expect inflation to ease slowly as prices for food and fuel stabilise"
).split()

PIXEL = ('<img src="http://b.scorecardresearch.com/p?c1=2&c2=15743189&cv=3.6&cj=1" '
         'height="1" width="1" style="display:none" alt="">')
GA_SRC = '<script async src="https://www.google-analytics.com/analytics.js"></script>'
GA_INLINE = ("<script>\n(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){\n"
             "(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),\n"
             "m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)\n"
             "})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');\n"
             "ga('create', 'UA-123456-1', 'auto');\nga('send', 'pageview');\n</script>")
PING = '<a href="/news/more" ping="https://metrics.example-tracker.com/ping?id=42">More news</a>'
END_MARKER = "<!-- END-OF-PAGE -->"


def make_page(target_bytes=50_000):
    seed = 12345

    def rnd(n):
        nonlocal seed
        seed = (1664525 * seed + 1013904223) & 0xFFFFFFFF
        return (seed >> 8) % n

    def sentence():
        w = [WORDS[rnd(len(WORDS))] for _ in range(8 + rnd(10))]
        w[0] = w[0].capitalize()
        return " ".join(w) + "."

    out = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           '<title>Council publishes transport report</title>\n', GA_INLINE, "\n", GA_SRC,
           '\n<script src="/static/app.js" defer></script>\n</head>\n<body>\n'
           '<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>\n'
           '<article>\n<h1>Council publishes regional transport report</h1>\n']
    n = 0
    while sum(len(s) for s in out) < target_bytes - 600:
        out.append('<p class="para">' + " ".join(sentence() for _ in range(5)) + "</p>\n")
        n += 1
        if n == 5:
            out.append(PIXEL + "\n")
        if n == 10:
            out.append(PING + "\n")
        if n % 12 == 0:
            out.append('<img src="/img/photo%04d.jpg" width="640" height="360" alt="Photo">\n' % n)
    out.append("</article>\n<footer><p>&copy; Example News</p></footer>\n" + END_MARKER + "\n</body>\n</html>\n")
    return "".join(out).encode()


PAGE = make_page()
PAGE_B = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "corpus",
                           "sh-thehill.com-156770d6.html"), "rb").read()
GZIPPED = {"/page.html": gzip.compress(PAGE, 6), "/b.html": gzip.compress(PAGE_B, 6)}

# ---- server -----------------------------------------------------------------------------

STATS = {"open": 0, "hang_open": 0, "slow_open": 0, "requests": 0}


def head(status, headers):
    lines = ["HTTP/1.1 %s" % status] + ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def rst_close(writer):
    """Close with an RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


async def handle(reader, writer):
    STATS["open"] += 1
    try:
        while True:
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = raw.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                writer.write(head("400 Bad Request", [("Content-Length", "0"), ("Connection", "close")]))
                await writer.drain()
                return
            method, target, version = parts
            hdrs = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    hdrs[k.strip().lower()] = v.strip()
            body_len = 0
            if "chunked" in hdrs.get("transfer-encoding", "").lower():
                while True:  # a request body in chunks: read and discard it
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                    if size == 0:
                        while (await reader.readuntil(b"\r\n")) != b"\r\n":
                            pass
                        break
                    await reader.readexactly(size + 2)
                    body_len += size
            else:
                clen = int(hdrs.get("content-length", "0") or 0)
                if clen:
                    await reader.readexactly(clen)
                    body_len = clen
            keep = version == "HTTP/1.1" and hdrs.get("connection", "").lower() != "close"
            STATS["requests"] += 1
            u = urlsplit(target)
            path, query = u.path, parse_qs(u.query)
            conn = [("Connection", "keep-alive" if keep else "close")]
            html = ("Content-Type", "text/html; charset=utf-8")

            if path in ("/page.html", "/b.html"):
                page = PAGE if path == "/page.html" else PAGE_B
                extra = []
                if query.get("gzip") == ["1"]:
                    page, extra = GZIPPED[path], [("Content-Encoding", "gzip")]
                body = page if method != "HEAD" else b""
                writer.write(head("200 OK", [html, ("Content-Length", str(len(page)))] + extra + conn) + body)
                await writer.drain()
            elif path in ("/reset", "/reset.bin"):
                ctype = html if path == "/reset" else ("Content-Type", "application/octet-stream")
                writer.write(head("200 OK", [ctype, ("Content-Length", str(len(PAGE)))]))
                writer.write(PAGE[: len(PAGE) * 2 // 5])
                await writer.drain()
                await asyncio.sleep(0.2)
                rst_close(writer)
                return
            elif path == "/reset-chunked":
                writer.write(head("200 OK", [html, ("Transfer-Encoding", "chunked")]))
                for i in range(4):
                    piece = PAGE[i * 4096:(i + 1) * 4096]
                    writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                await asyncio.sleep(0.2)
                rst_close(writer)
                return
            elif path == "/slow":
                secs = float(query.get("secs", ["5"])[0])
                pieces = 20
                step = (len(PAGE) + pieces - 1) // pieces
                writer.write(head("200 OK", [html, ("Content-Length", str(len(PAGE))),
                                             ("X-Origin-Start", "%.3f" % time.time())] + conn))
                await writer.drain()
                STATS["slow_open"] += 1
                try:
                    for i in range(pieces):
                        await asyncio.sleep(secs / pieces)
                        if writer.is_closing() or reader.at_eof():
                            return
                        writer.write(PAGE[i * step:(i + 1) * step])
                        await writer.drain()
                finally:
                    STATS["slow_open"] -= 1
            elif path == "/hang":
                STATS["hang_open"] += 1
                try:
                    # Never answer; notice when the peer goes away.
                    await asyncio.wait_for(reader.read(65536 * 16), timeout=300)
                except (asyncio.TimeoutError, ConnectionError):
                    pass
                finally:
                    STATS["hang_open"] -= 1
                return
            elif path == "/big-headers":
                kb = int(query.get("kb", ["100"])[0])
                writer.write(head("200 OK", [html, ("X-Big", "a" * (kb * 1000)), ("Content-Length", "3")] + conn)
                             + b"ok\n")
                await writer.drain()
            elif path == "/many-headers":
                n = int(query.get("n", ["500"])[0])
                writer.write(head("200 OK", [html, ("Content-Length", "3")] + conn
                                  + [("X-H%d" % i, "v") for i in range(n)]) + b"ok\n")
                await writer.drain()
            elif path == "/stall":
                writer.write(head("200 OK", [html, ("Content-Length", str(len(PAGE)))]))
                writer.write(PAGE[:20000])
                await writer.drain()
                STATS["hang_open"] += 1
                try:
                    await asyncio.wait_for(reader.read(65536), timeout=300)
                except (asyncio.TimeoutError, ConnectionError):
                    pass
                finally:
                    STATS["hang_open"] -= 1
                return
            elif path == "/echo":
                body = raw + b"\r\nbody-bytes: %d\r\n" % body_len
                writer.write(head("200 OK", [("Content-Type", "text/plain"),
                                             ("Content-Length", str(len(body)))] + conn) + body)
                await writer.drain()
            elif path == "/drop":
                rst_close(writer)  # no response at all
                return
            elif path == "/garbage":
                writer.write(b"\x00\x01garbage, not HTTP\r\n\r\n" * 10)
                await writer.drain()
                return
            elif path == "/health":
                writer.write(head("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")] + conn)
                             + b"ok\n")
                await writer.drain()
            elif path == "/stats":
                body = json.dumps(STATS).encode()
                writer.write(head("200 OK", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))] + conn) + body)
                await writer.drain()
            else:
                writer.write(head("404 Not Found", [("Content-Length", "0")] + conn))
                await writer.drain()
            if not keep:
                return
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        STATS["open"] -= 1
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--max-seconds", type=float, default=3600, help="exit after this long (a safety bound)")
    ap.add_argument("--tls-cert", help="PEM certificate chain for a second, HTTPS listener")
    ap.add_argument("--tls-key", help="its PEM private key")
    ap.add_argument("--tls-port-file", help="write the HTTPS listener's port here")
    a = ap.parse_args()
    if not (a.host.startswith("127.") or a.host in ("::1", "localhost")):
        sys.exit("origin.py listens on loopback only")
    server = await asyncio.start_server(handle, a.host, a.port, backlog=1024, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    print("origin listening on %s:%d (page %d bytes)" % (a.host, port, len(PAGE)), flush=True)
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        tls = await asyncio.start_server(handle, a.host, 0, backlog=1024, limit=1 << 20, ssl=ctx)
        tls_port = tls.sockets[0].getsockname()[1]
        if a.tls_port_file:
            with open(a.tls_port_file + ".tmp", "w") as f:
                f.write("%d\n" % tls_port)
            os.replace(a.tls_port_file + ".tmp", a.tls_port_file)
        print("origin listening for HTTPS on %s:%d" % (a.host, tls_port), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=a.max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
