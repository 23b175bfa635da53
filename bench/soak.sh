#!/usr/bin/env bash
# Soak: a steady mixed load through `trackstrip serve` on loopback for --minutes N (default 60),
# sampled every 10 s; prints the checks and writes soak.csv, soak.png and summary.json.
# All options go to bench/soak.py (see its --help). Needs python3 and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${TRACKSTRIP:-target/release/trackstrip}"
[ -x "$bin" ] || { echo "soak: $bin not built (cargo build --release)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true
TRACKSTRIP="$bin" exec python3 bench/soak.py "$@"
