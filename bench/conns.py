#!/usr/bin/env python3
"""Open and close many connections through a forward proxy, one request each (asyncio, stdlib).

Usage: conns.py --proxy 127.0.0.1:PORT --url http://news.test:O/page.html
                [--count 10000] [--parallel 50] [--timeout 15] [--max-seconds 600]

Each connection sends one absolute-form GET with `Connection: close`, reads the response to
EOF and checks: status 200 and the page's end marker present.  Prints one JSON line:
{"count", "ok", "errors", "error_kinds", "seconds", "conns_per_s"}.  Exit 1 if any error.
Loopback targets only.
"""
import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

END = b"<!-- END-OF-PAGE -->"


async def one(host, port, request, timeout, check_marker):
    async def go():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(request)
            await writer.drain()
            data = await reader.read()  # to EOF
        finally:
            writer.close()
        return data

    try:
        data = await asyncio.wait_for(go(), timeout)
    except asyncio.TimeoutError:
        return "timeout"
    except OSError as e:
        return type(e).__name__
    if not data.startswith(b"HTTP/1.1 200"):
        return "status:" + data[:12].decode("latin-1", "replace")
    if check_marker and END not in data:
        return "incomplete"
    return None


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--parallel", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=15)
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()
    host, port = a.proxy.rsplit(":", 1)
    if not host.startswith("127."):
        sys.exit("conns.py talks to loopback only")
    u = urlsplit(a.url)
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: trackstrip-bench-conns\r\n"
               "Connection: close\r\n\r\n" % (a.url, u.netloc)).encode()
    check_marker = u.path.endswith("page.html")
    kinds = {}
    ok = 0
    started = time.monotonic()
    next_i = 0
    sem = asyncio.Semaphore(a.parallel)

    async def worker():
        nonlocal ok, next_i
        while next_i < a.count and time.monotonic() - started < a.max_seconds:
            next_i += 1
            err = await one(host, int(port), request, a.timeout, check_marker)
            if err is None:
                ok += 1
            else:
                kinds[err] = kinds.get(err, 0) + 1

    async with sem:
        await asyncio.gather(*(worker() for _ in range(a.parallel)))
    secs = time.monotonic() - started
    errors = sum(kinds.values())
    missing = a.count - ok - errors
    if missing:
        kinds["not_run(time bound)"] = missing
        errors += missing
    print(json.dumps({"count": a.count, "ok": ok, "errors": errors, "error_kinds": kinds,
                      "seconds": round(secs, 2), "conns_per_s": round(ok / secs, 1) if secs else 0}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
