#!/usr/bin/env python3
"""Soak: a steady mixed load through `trackstrip serve` for N minutes, sampling the proxy.

Usage: bench/soak.py [--minutes 60] [--rate 40] [--out DIR] [--trackstrip PATH]

Everything runs on 127.0.0.1: bench/origin.py (HTTP, plus an HTTPS listener with a throwaway
CA made by openssl) and trackstrip (interception on, its own temporary CA and data dirs,
`--extra-root` trusting the origin's CA). The load, at --rate requests per second:
  - pages a (/page.html, 49 KB) and b (/b.html, a real 111 KB news page), plain and gzip;
  - keep-alive connections (45%) and a new connection per request (24%);
  - HTTPS through interception: a kept tunnel (25%) and a new CONNECT + handshake (5%);
  - 1% to /reset, an origin that resets mid-body (the client must see a cut transfer);
  - one slow origin request always in flight (/slow?secs=2, its own connection).
Every page must come back 200, complete, stripped (X-Trackstrip: stripping, no pixel).

Every 10 s one CSV row: proxy RSS, open descriptors (all; less the upstream keep-alive pool),
open connections (its own gauge), threads, CPU, requests and p50/p99 latency of the pages in
those 10 s, errors. At the end: slopes after the warm-up (5 min, or 40% of a shorter run), a
PNG of RSS and p99 over time, and these checks (exit 1 if one fails):
  - RSS growth after the warm-up <= 2 MB/hour (least squares over the samples). A run under
    30 minutes can't measure a slope that small (the allocator's settling swamps it): there,
    RSS may grow at most 1 MB from the end of the warm-up to the end;
  - descriptors (less the upstream pool) and connections back to their pre-load values
    within 30 s of the load stopping;
  - p99 of the last 10 minutes (25% of a shorter run) within 1.5x that of the first 10
    minutes after the warm-up (in a run under 30 minutes, or within 5 ms of it);
  - 0 unexpected errors; the process alive; no panic in its log.
"""
import argparse
import gzip
import http.client
import json
import os
import random
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import procstat  # noqa: E402
from faults import free_port  # noqa: E402

SAMPLE_S = 10
RSS_LIMIT_MB_PER_H = 2.0
P99_RATIO = 1.5
PROCS = []


def log(msg):
    print(msg, flush=True)


def start(cmd, logfile, env=None):
    p = subprocess.Popen(cmd, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, env=env)
    PROCS.append(p)
    return p


def stop_all():
    for p in PROCS:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in PROCS:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def wait_file(path, what):
    for _ in range(200):
        if os.path.exists(path):
            return open(path).read().strip()
        time.sleep(0.05)
    raise SystemExit("%s did not start" % what)


def make_origin_ca(work):
    """A CA and a leaf for secure.test, for the HTTPS origin (openssl, throwaway)."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=soak origin CA", "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=secure.test",
        "-keyout", "leaf.key", "-out", "leaf.csr")
    with open(os.path.join(work, "leaf.ext"), "w") as f:
        f.write("subjectAltName=DNS:secure.test\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "leaf.ext", "-out", "leaf.pem")


class Soak:
    def __init__(self, a):
        self.a = a
        self.work = a.out or tempfile.mkdtemp(prefix="trackstrip-soak-")
        os.makedirs(self.work, exist_ok=True)
        self.lock = threading.Lock()
        self.done = []      # (t, latency_s) of every page answered well
        self.errors = []    # (t, kind, what) of every unexpected outcome
        self.counts = {"page": 0, "reset_cut": 0, "slow": 0}
        self.stop = threading.Event()

    # ---- setup ---------------------------------------------------------------------------

    def setup(self):
        w = lambda name: os.path.join(self.work, name)  # noqa: E731
        # An --out directory used before: its port files and CAs are the last run's.
        for stale in ("origin.port", "origin.tls.port"):
            if os.path.exists(w(stale)):
                os.remove(w(stale))
        shutil.rmtree(w("ca"), ignore_errors=True)
        make_origin_ca(self.work)
        self.origin = start([sys.executable, os.path.join(HERE, "origin.py"), "--port-file", w("origin.port"),
                             "--tls-cert", w("leaf.pem"), "--tls-key", w("leaf.key"),
                             "--tls-port-file", w("origin.tls.port"),
                             "--max-seconds", str(self.a.minutes * 60 + 600)], open(w("origin.log"), "w"))
        self.oport = int(wait_file(w("origin.port"), "origin"))
        self.tport = int(wait_file(w("origin.tls.port"), "HTTPS origin"))
        self.pport, self.aport = free_port(), free_port()
        self.log_path = w("trackstrip.log")
        cmd = [self.a.trackstrip, "serve", "--listen", "127.0.0.1:%d" % self.pport,
               "--admin", "127.0.0.1:%d" % self.aport, "--data-dir", w("data"), "--ca-dir", w("ca"),
               "--extra-root", w("ca.pem"), "--no-list-update", "--no-watch",
               "--resolve", "news.test=127.0.0.1", "--resolve", "secure.test=127.0.0.1:%d" % self.tport,
               "--resolve", "*=127.0.0.1:9"]  # every other name: nothing leaves loopback, no DNS asked
        self.ts = start(cmd, open(self.log_path, "w"), dict(os.environ, RUST_LOG="warn", NO_COLOR="1"))
        wait_file(w("ca/trackstrip-ca.pem"), "trackstrip's CA")
        self.tls = ssl.create_default_context(cafile=w("ca/trackstrip-ca.pem"))
        for _ in range(100):
            try:
                self.metric("trackstrip_open_connections")
                break
            except OSError:
                time.sleep(0.1)
        # One of each kind warms the process (TLS config, pools), then the baseline.
        rng = random.Random(0)
        for kind in ("keepalive", "new", "https", "https_new", "reset"):
            self.request(kind, rng, {})
        if self.errors:
            raise SystemExit("setup requests failed: %s (see %s)" % (self.errors, self.log_path))
        self.settle(lambda s: s["client"] == 0, 10)
        self.baseline = self.snapshot()
        log("# trackstrip pid %d on 127.0.0.1:%d (admin %d); origin %d, HTTPS origin %d; work %s"
            % (self.ts.pid, self.pport, self.aport, self.oport, self.tport, self.work))
        log("# baseline %s" % json.dumps(self.baseline))

    def metric(self, name):
        c = http.client.HTTPConnection("127.0.0.1", self.aport, timeout=5)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def snapshot(self):
        s = procstat.snapshot(self.ts.pid, self.pport, (self.oport, self.tport))
        s["fds_less_pool"] = s["fds"] - s["upstream"]
        s["conns"] = int(self.metric("trackstrip_open_connections") or 0)
        return s

    def settle(self, ok, seconds):
        deadline = time.time() + seconds
        while True:
            s = self.snapshot()
            if ok(s) or time.time() > deadline:
                return s
            time.sleep(0.5)

    # ---- the load -------------------------------------------------------------------------

    def request(self, kind, rng, conns):
        """One request of `kind` on the worker's kept connections `conns`; records the result."""
        page = rng.choice(("/page.html", "/b.html"))
        if rng.random() < 0.5:
            page += "?gzip=1"
        https = kind.startswith("https")
        if kind == "reset":
            page = "/reset"
        elif kind == "slow":
            page = "/slow?secs=2"
        t0 = time.monotonic()
        try:
            conn = conns.get(kind)
            if conn is None:
                if https:
                    conn = http.client.HTTPSConnection("127.0.0.1", self.pport, timeout=20, context=self.tls)
                    conn.set_tunnel("secure.test", 443)
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", self.pport, timeout=20)
            target = page if https else "http://news.test:%d%s" % (self.oport, page)
            keep = kind in ("keepalive", "https", "slow")
            conn.request("GET", target, headers={"Accept-Encoding": "gzip"} if keep else
                         {"Accept-Encoding": "gzip", "Connection": "close"})
            resp = conn.getresponse()
            body = resp.read()
            if keep:
                conns[kind] = conn
            else:
                conn.close()
        except (OSError, http.client.HTTPException) as e:
            conns.pop(kind, None)
            if kind == "reset" and isinstance(e, (http.client.IncompleteRead, ConnectionError)):
                with self.lock:
                    self.counts["reset_cut"] += 1
                return
            return self.error(kind, "%s %s: %r" % (kind, page, e))
        if kind == "reset":
            return self.error(kind, "a reset origin's page came back whole: status %d, %d bytes" % (
                resp.status, len(body)))
        if resp.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        end = b"<!-- END-OF-PAGE -->" if page.startswith("/page") or kind == "slow" else b"</html>"
        if resp.status != 200 or end not in body[-200:] or resp.headers.get("x-trackstrip") != "stripping" \
                or b"b.scorecardresearch.com/p?" in body:
            return self.error(kind, "%s %s: status %d, %d bytes, x-trackstrip %r" % (
                kind, page, resp.status, len(body), resp.headers.get("x-trackstrip")))
        with self.lock:
            if kind == "slow":
                self.counts["slow"] += 1
            else:
                self.counts["page"] += 1
                self.done.append((time.time(), time.monotonic() - t0))

    def error(self, kind, what):
        with self.lock:
            self.errors.append((time.time(), kind, what))
            if len(self.errors) <= 20:
                log("ERROR %s" % what)

    def worker(self, i, rate):
        rng = random.Random(1000 + i)
        conns = {}
        interval, next_t = 1.0 / rate, time.monotonic() + rng.random() / rate
        while not self.stop.is_set():
            r = rng.random()
            kind = ("reset" if r < 0.01 else "keepalive" if r < 0.46 else "new" if r < 0.70
                    else "https" if r < 0.95 else "https_new")
            self.request(kind, rng, conns)
            next_t += interval
            now = time.monotonic()
            if next_t < now - 1:
                next_t = now  # fell behind: go on at the rate, don't burst to catch up
            self.stop.wait(max(0.0, next_t - now))
        for c in conns.values():
            c.close()

    def slow_worker(self):
        rng, conns = random.Random(7), {}
        while not self.stop.is_set():
            self.request("slow", rng, conns)
        for c in conns.values():
            c.close()

    # ---- the run --------------------------------------------------------------------------

    def run(self):
        n = self.a.workers
        threads = [threading.Thread(target=self.worker, args=(i, self.a.rate / n), daemon=True) for i in range(n)]
        threads.append(threading.Thread(target=self.slow_worker, daemon=True))
        t0 = time.time()
        for t in threads:
            t.start()
        rows, seen = [], 0
        csv = open(os.path.join(self.work, "soak.csv"), "w")
        cols = ["t_s", "rss_kb", "fds", "fds_less_pool", "upstream", "conns", "threads", "cpu_s",
                "requests", "p50_ms", "p99_ms", "errors"]
        csv.write(",".join(cols) + "\n")
        end = t0 + self.a.minutes * 60
        while time.time() < end:
            time.sleep(max(0.0, min(SAMPLE_S - (time.time() - t0) % SAMPLE_S, end - time.time())))
            if self.ts.poll() is not None:
                self.error("process", "trackstrip exited with %s" % self.ts.returncode)
                break
            s = self.snapshot()
            with self.lock:
                window = [lat for _, lat in self.done[seen:]]
                seen, errors = len(self.done), len(self.errors)
            p50, p99 = pct(window, 50), pct(window, 99)
            row = [round(time.time() - t0, 1), s["rss_kb"], s["fds"], s["fds_less_pool"], s["upstream"],
                   s["conns"], s["threads"], s["cpu_s"], len(window), ms(p50), ms(p99), errors]
            rows.append(dict(zip(cols, row)))
            csv.write(",".join(str(v) for v in row) + "\n")
            csv.flush()
            log("t=%5.0fs rss %6.1f MB  fds %3d (pool %2d)  conns %3d  threads %2d  %4d req  p50 %6.1f ms  "
                "p99 %6.1f ms  errors %d" % (row[0], s["rss_kb"] / 1024, s["fds"], s["upstream"], s["conns"],
                                             s["threads"], len(window), ms(p50), ms(p99), errors))
        self.stop.set()
        for t in threads:
            t.join(timeout=30)
        after = self.settle(lambda s: s["conns"] == 0 and s["fds_less_pool"] <= self.baseline["fds_less_pool"], 30)
        return t0, rows, after

    def report(self, t0, rows, after):
        import soak_report
        ok = soak_report.check(self, t0, rows, after)
        return ok


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def ms(s):
    return round(s * 1000, 1) if s is not None else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--rate", type=float, default=40, help="page requests per second (default 40)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--out", help="keep the CSV, plot and logs here (default: a temporary directory)")
    ap.add_argument("--trackstrip", default=os.environ.get("TRACKSTRIP",
                                                            os.path.join(REPO, "target", "release", "trackstrip")))
    a = ap.parse_args()
    if not shutil.which("openssl"):
        raise SystemExit("soak needs openssl (apt-get install openssl)")
    soak = Soak(a)
    try:
        soak.setup()
        ok = soak.report(*soak.run())
    finally:
        stop_all()
    log("# CSV, plot and logs in %s" % soak.work)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
