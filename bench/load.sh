#!/usr/bin/env bash
# Load and connection-churn run for trackstrip as a forward proxy, on loopback only.
#
#   bench/load.sh            # full: wrk -c256 for DURATION=30 s (direct, then through the proxy),
#                            #       then 2 x CONNS=10000 connections opened and closed; ~2-3 min
#   bench/load.sh --smoke    # DURATION=3, CONNS=1000: ~20 s; what CI runs
#
# Starts bench/origin.py and target/release/trackstrip (forward proxy: --no-intercept,
# --resolve news.test=127.0.0.1, --admin on a free port, --data-dir in a scratch folder), then:
#  (a) wrk -t2 -c256 straight to the origin (baseline) and through the proxy (absolute-form
#      requests via bench/proxy.lua) for http://news.test:PORT/page.html (~50 KB, 4 trackers):
#      req/s, p50/p99, errors (connect/read/write/timeout + non-2xx); bar: 0 errors via the proxy;
#  (b) bench/conns.py: CONNS connections, PARALLEL at a time, one request each
#      (Connection: close), twice; the proxy's fds and RSS before, after batch 1, after batch 2;
#      bars: every request OK, no client socket left, fds (less the upstream keep-alive pool)
#      back to the start value, RSS growth from batch 1 to batch 2 <= RSS_GROWTH_KB (4096),
#      trackstrip_open_connections 0 at the end.
# Prints PASS/FAIL per check and a summary; exit 1 if any check failed, 2 on a setup error.
#
# Knobs (environment): DURATION, CONNS, PARALLEL (50), WRK_CONNS (256), WRK_THREADS (2),
# WRK_TIMEOUT (5s), RSS_GROWTH_KB (4096), TRACKSTRIP (binary), KEEP=dir (keep logs/results
# there), MAX_SECONDS (overall bound; default 600, smoke 120).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
if [ $SMOKE = 1 ]; then
  DURATION="${DURATION:-3}"; CONNS="${CONNS:-1000}"; MAX_SECONDS="${MAX_SECONDS:-120}"
else
  DURATION="${DURATION:-30}"; CONNS="${CONNS:-10000}"; MAX_SECONDS="${MAX_SECONDS:-600}"
fi
PARALLEL="${PARALLEL:-50}"
WRK_CONNS="${WRK_CONNS:-256}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_TIMEOUT="${WRK_TIMEOUT:-5s}"
RSS_GROWTH_KB="${RSS_GROWTH_KB:-4096}"
TRACKSTRIP="${TRACKSTRIP:-$REPO/target/release/trackstrip}"
PY="${PYTHON:-python3}"
export PYTHONDONTWRITEBYTECODE=1

if [ -n "${KEEP:-}" ]; then WORK="$KEEP"; mkdir -p "$WORK"; else WORK="$(mktemp -d /tmp/trackstrip-load.XXXXXX)"; fi
PIDS=()
WATCHDOG=""
cleanup() {
  local rc=$?
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  [ -z "${KEEP:-}" ] && rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'echo "load.sh: interrupted" >&2; exit 2' INT TERM HUP
# overall time bound: the watchdog signals this script, whose trap stops everything
( sleep "$MAX_SECONDS" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s
  echo "load.sh: over the ${MAX_SECONDS}s bound, stopping" >&2; kill -TERM $$ ) &
WATCHDOG=$!

die() { echo "load.sh: $*" >&2; exit 2; }
[ -x "$TRACKSTRIP" ] || die "no binary at $TRACKSTRIP (cargo build --release)"
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "# installing wrk (apt-get install -y wrk)"
    (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }) >/dev/null \
      || die "could not install wrk"
  else
    die "wrk is missing: sudo apt-get install -y wrk"
  fi
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
snap() { "$PY" "$HERE/procstat.py" "$TS_PID" --proxy-port "$PPORT" --origin-port "$OPORT"; }
jget() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(d[sys.argv[2]])' "$1" "$2"; }
metric() { curl -s --max-time 3 "http://127.0.0.1:$APORT/metrics" | awk -v n="$1" '$1==n {print $2}'; }

FAILS=0; PASSES=0
check() { # check NAME OK(0/1) DETAIL
  if [ "$2" = 1 ]; then echo "PASS  $1: $3"; PASSES=$((PASSES + 1)); else echo "FAIL  $1: $3"; FAILS=$((FAILS + 1)); fi
}

# ---- start the origin and the proxy ----------------------------------------------------------
START_TS=$(date +%s)
echo "# bench/load.sh$([ $SMOKE = 1 ] && echo ' --smoke')  $(date '+%Y-%m-%d %H:%M:%S %Z')  load average $(loadavg)  cores $(nproc)"
echo "# $("$TRACKSTRIP" --version 2>/dev/null || echo trackstrip) ($TRACKSTRIP); $(wrk --version 2>&1 | head -1 | cut -c1-40); work $WORK"
"$PY" "$HERE/origin.py" --port 0 --port-file "$WORK/origin.port" --max-seconds $((MAX_SECONDS + 60)) >"$WORK/origin.log" 2>&1 &
PIDS+=($!); ORIGIN_PID=$!
for _ in $(seq 100); do [ -s "$WORK/origin.port" ] && break; sleep 0.05; done
[ -s "$WORK/origin.port" ] || die "origin did not start: $(cat "$WORK/origin.log")"
OPORT=$(cat "$WORK/origin.port")
PPORT=$(free_port); APORT=$(free_port)
NO_COLOR=1 "$TRACKSTRIP" serve --listen "127.0.0.1:$PPORT" --admin "127.0.0.1:$APORT" \
  --data-dir "$WORK/data" --no-intercept --no-watch --no-list-update --resolve news.test=127.0.0.1 \
  --resolve '*=127.0.0.1:9' \
  >"$WORK/trackstrip.log" 2>&1 &
PIDS+=($!); TS_PID=$!
PAGE="http://news.test:$OPORT/page.html"
for _ in $(seq 100); do
  curl -s -o /dev/null --max-time 2 -x "127.0.0.1:$PPORT" "$PAGE" && break; sleep 0.1
done
code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' --max-time 5 -x "127.0.0.1:$PPORT" "$PAGE" || true)
[ "$code" = 200 ] || die "trackstrip does not serve the page (got $code): $(tail -5 "$WORK/trackstrip.log")"
left=$(grep -c -e scorecardresearch -e 'google-analytics.com/analytics.js' "$WORK/page.html" || true)
grep -q 'END-OF-PAGE' "$WORK/page.html" && [ "$left" = 0 ] || die "the page through the proxy is not stripped/complete"
echo "# origin 127.0.0.1:$OPORT (pid $ORIGIN_PID), trackstrip 127.0.0.1:$PPORT admin $APORT (pid $TS_PID); page $(curl -s "http://127.0.0.1:$OPORT/page.html" | wc -c) B direct, $(wc -c <"$WORK/page.html") B stripped"
S_START=$(snap)
echo "# at start: $S_START"

# ---- (a) wrk: direct, then through the proxy -------------------------------------------------
cpu_of() { "$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import procstat; print("%.2f" % procstat.cpu_seconds(int(sys.argv[2])))' "$HERE" "$1"; }
run_wrk() { # run_wrk NAME TARGET_URL_OR_EMPTY URL -> the WRKRESULT line + " other_pct=..."
  local name=$1 target=$2 url=$3 out="$WORK/wrk-$1.txt" before after w
  before="$("$PY" "$HERE/procstat.py" 0) $(cpu_of "$TS_PID") $(cpu_of "$ORIGIN_PID") $(date +%s.%N)"
  TARGET_URL="$target" timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${DURATION}s" \
    --timeout "$WRK_TIMEOUT" --latency -s "$HERE/proxy.lua" "$url" >"$out" 2>&1 || true
  after="$("$PY" "$HERE/procstat.py" 0) $(cpu_of "$TS_PID") $(cpu_of "$ORIGIN_PID") $(date +%s.%N)"
  times >"$WORK/times.txt"; w=$(tail -1 "$WORK/times.txt")  # this subshell's children: wrk (under timeout)
  echo "$(grep '^WRKRESULT' "$out" || echo "WRKRESULT missing: $(tail -3 "$out" | tr '\n' ' ')")" \
    "other_pct=$("$PY" -c '
import os, re, sys
b = [float(x) for x in sys.argv[1].split()]
a = [float(x) for x in sys.argv[2].split()]
wrk = sum(float(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", sys.argv[3]))
ours = (a[1] - b[1]) + (a[2] - b[2]) + wrk
print("%.0f" % max(0.0, 100 * ((a[0] - b[0]) - ours) / ((a[3] - b[3]) * os.cpu_count())))
' "$before" "$after" "$w")"
}
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}'; }

echo "# (a) wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s --timeout $WRK_TIMEOUT, GET page.html (~50 KB)"
L0=$(loadavg)
D=$(run_wrk direct "" "http://127.0.0.1:$OPORT/page.html")
CPU0=$(jget "$(snap)" cpu_s)
M5XX0=$(metric 'trackstrip_requests_total{action="strip",status="5xx"}'); M5XX0=${M5XX0:-0}
L1=$(loadavg)
P=$(run_wrk proxy "$PAGE" "http://127.0.0.1:$PPORT/")
S_WRK=$(snap)
CPU1=$(jget "$S_WRK" cpu_s)
M5XX1=$(metric 'trackstrip_requests_total{action="strip",status="5xx"}'); M5XX1=${M5XX1:-0}
L2=$(loadavg)
for row in "direct:$D" "proxy:$P"; do
  name=${row%%:*}; r=${row#*:}
  errs=$(( $(field "$r" errors) + $(field "$r" reads) + $(field "$r" non2xx) ))
  printf '%-7s %9s req/s  p50 %8s ms  p99 %8s ms  max %8s ms  requests %7s  errors %s (connect+write+timeout %s, read %s, non-2xx %s)  other CPU %s%%\n' \
    "$name" "$(field "$r" rps)" "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" "$(field "$r" max_ms)" \
    "$(field "$r" requests)" "$errs" "$(field "$r" errors)" "$(field "$r" reads)" "$(field "$r" non2xx)" "$(field "$r" other_pct)"
  eval "ERRS_$name=$errs"
done
RPS_D=$(field "$D" rps); RPS_P=$(field "$P" rps); REQ_P=$(field "$P" requests)
"$PY" - "$RPS_D" "$RPS_P" "$CPU0" "$CPU1" "${REQ_P:-0}" <<'EOF'
import sys
d, p, c0, c1, n = (float(x or 0) for x in sys.argv[1:])
print("ratio   proxy/direct req/s %.2f; trackstrip CPU %.1f s for %d responses = %.3f ms CPU per response"
      % (p / d if d else 0, c1 - c0, n, (c1 - c0) * 1000 / n if n else 0))
EOF
echo "# load average: before direct $L0 | before proxy $L1 | after proxy $L2"
echo "# other CPU = CPU used during the run by processes other than the origin, trackstrip and wrk, in % of all $(nproc) cores"
echo "# trackstrip after wrk: $S_WRK"
check "wrk through the proxy, 0 errors" "$([ -n "$REQ_P" ] && [ "${REQ_P:-0}" -gt 0 ] && [ "$ERRS_proxy" = 0 ] && echo 1 || echo 0)" \
  "$ERRS_proxy errors in ${REQ_P:-0} requests (trackstrip 5xx during the run: $((${M5XX1%.*} - ${M5XX0%.*})))"
[ "$ERRS_direct" = 0 ] || echo "note  the direct baseline had $ERRS_direct errors (the origin's, not trackstrip's)"

# let wrk's connections close
for _ in $(seq 300); do [ "$(metric trackstrip_open_connections)" = 0 ] && break; sleep 0.1; done

# ---- (b) connections opened and closed -------------------------------------------------------
echo "# (b) $CONNS connections x 2 batches, $PARALLEL at a time, one GET page.html each (Connection: close)"
BASE_NONPOOL=$(( $(jget "$S_START" fds) - $(jget "$S_START" upstream) ))
settle() { # wait (up to 30 s) until the client sockets are closed and the fds back, then snapshot
  local s
  for _ in $(seq 300); do
    s=$(snap)
    [ "$(jget "$s" client)" = 0 ] && [ $(( $(jget "$s" fds) - $(jget "$s" upstream) )) -le "$BASE_NONPOOL" ] && break
    sleep 0.1
  done
  snap
}
S0=$(settle)
B1=$(timeout $((MAX_SECONDS)) "$PY" "$HERE/conns.py" --proxy "127.0.0.1:$PPORT" --url "$PAGE" --count "$CONNS" --parallel "$PARALLEL" --max-seconds $((MAX_SECONDS / 3)) || true)
S1=$(settle)
B2=$(timeout $((MAX_SECONDS)) "$PY" "$HERE/conns.py" --proxy "127.0.0.1:$PPORT" --url "$PAGE" --count "$CONNS" --parallel "$PARALLEL" --max-seconds $((MAX_SECONDS / 3)) || true)
S2=$(settle)
OPEN=$(metric trackstrip_open_connections)
echo "batch 1: ${B1:-no result}"
echo "batch 2: ${B2:-no result}"
EMPTY='{}'
VERDICTS=$("$PY" - "$S_START" "$S0" "$S1" "$S2" "${B1:-$EMPTY}" "${B2:-$EMPTY}" "$RSS_GROWTH_KB" <<'EOF'
import json, sys
start, s0, s1, s2, b1, b2 = (json.loads(x) for x in sys.argv[1:7])
limit = int(sys.argv[7])
row = "%-16s fds %4d (upstream pool %3d, client %3d, other %3d)  RSS %7d KB  peak %7d KB  threads %d"
for name, s in (("start", start), ("before batch 1", s0), ("after batch 1", s1), ("after batch 2", s2)):
    other = s["fds"] - s["upstream"] - s["client"]
    print("info  " + row % (name, s["fds"], s["upstream"], s["client"], other, s["rss_kb"], s["hwm_kb"], s["threads"]))
ok = lambda b: "1" if b else "0"
n = b1.get("count", 0)
print("CHECK|both batches: every request OK|%s|batch 1 %s/%s ok (%s conn/s), batch 2 %s/%s ok (%s conn/s), errors %s %s"
      % (ok(b1.get("errors", 1) == 0 and b2.get("errors", 1) == 0 and n > 0), b1.get("ok"), n, b1.get("conns_per_s"),
         b2.get("ok"), b2.get("count"), b2.get("conns_per_s"), b1.get("error_kinds"), b2.get("error_kinds")))
nonpool = lambda s: s["fds"] - s["upstream"]
print("CHECK|fds back to baseline|%s|without the upstream keep-alive pool: start %d, after batch 1 %d, after batch 2 %d; "
      "client sockets left %d; pool %d -> %d (bounded by pool_max_idle_per_host 64)"
      % (ok(s2["client"] == 0 and nonpool(s1) == nonpool(start) and nonpool(s2) == nonpool(start) and s2["upstream"] <= 64 + 2),
         nonpool(start), nonpool(s1), nonpool(s2), s2["client"], s1["upstream"], s2["upstream"]))
g1, g2 = s1["rss_kb"] - s0["rss_kb"], s2["rss_kb"] - s1["rss_kb"]
print("CHECK|RSS growth after warm-up <= %d KB|%s|RSS %d -> %d (batch 1: %+d KB) -> %d KB (batch 2: %+d KB)"
      % (limit, ok(g2 <= limit), s0["rss_kb"], s1["rss_kb"], g1, s2["rss_kb"], g2))
EOF
)
while IFS= read -r line; do
  case "$line" in
    CHECK\|*) IFS='|' read -r _ n o d <<<"$line"; check "$n" "$o" "$d" ;;
    *) echo "$line" ;;
  esac
done <<<"$VERDICTS"
check "trackstrip_open_connections is 0 at the end" "$([ "${OPEN:-x}" = 0 ] && echo 1 || echo 0)" "${OPEN:-no answer}"
ALIVE=$(kill -0 "$TS_PID" 2>/dev/null && echo 1 || echo 0)
check "trackstrip still running" "$ALIVE" "pid $TS_PID"
PANICS=$(grep -c panicked "$WORK/trackstrip.log" || true)
check "no panic in the log" "$([ "$PANICS" = 0 ] && echo 1 || echo 0)" "$PANICS"
echo "# $(( $(date +%s) - START_TS )) s, load average now $(loadavg)"
echo "load: $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
