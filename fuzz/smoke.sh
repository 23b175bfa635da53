#!/usr/bin/env bash
# CI smoke of the fuzz targets: builds them, replays every regression input, then runs each
# target for a short while (FUZZ_SMOKE_SECONDS, default 20) starting from its kept corpus.
# New inputs go to a scratch directory, so the kept corpus is never changed by CI.
# A crash, a panic or a failed check exits non-zero; the input is left in fuzz/artifacts/.
#
# Needs: rustup (nightly is installed if missing), cargo-fuzz (installed if missing), and for
# the request target root or `unshare -rn` (it moves into a network namespace of its own).
set -euo pipefail
cd "$(dirname "$0")"

secs=${FUZZ_SMOKE_SECONDS:-20}
targets=(strip rules request)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build
bin=target/x86_64-unknown-linux-gnu/release

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for t in "${targets[@]}"; do
    mkdir -p "artifacts/$t"
    if compgen -G "regressions/$t/*" >/dev/null; then
        echo "== $t: regression inputs"
        "$bin/$t" -runs=1 regressions/"$t"/*
    fi
done

for t in "${targets[@]}"; do
    echo "== $t: ${secs}s"
    args=(-max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1)
    [ "$t" = strip ] && args+=(-max_len=65536)
    mkdir -p "$scratch/$t"
    # The same binary `cargo fuzz run` would start, without a second build check.
    "$bin/$t" -artifact_prefix="artifacts/$t/" "${args[@]}" "$scratch/$t" "corpus/$t"
done
echo "fuzz smoke: ${#targets[@]} targets passed"
