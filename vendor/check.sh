#!/usr/bin/env bash
# Diffs each vendored crate against the pristine crate of the same version from crates.io and
# prints the patch set. Fails when a change to code (src/, build.rs) sits in a hunk that does
# not say "trackstrip patch", or when a manifest gains a line (a new dependency or feature).
# Packaging differences are listed, not judged: files the vendored copy leaves out (benches,
# examples, media) and its lockfile.
#
#   vendor/check.sh            # from anywhere; needs cargo and the registry (or its cache)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
crates=(lol_html rustls)

version_of() { # the [package] version of a vendored crate
    awk '/^\[package\]/{p=1;next} /^\[/{p=0} p && /^version *=/{gsub(/[" ]/,"",$0); sub(/version=/,""); print; exit}' \
        "$here/$1/Cargo.toml"
}

# A throwaway package asking for the exact versions, with no [patch]: cargo downloads them.
mkdir -p "$work/pristine/src"
: >"$work/pristine/src/lib.rs"
{
    printf '[package]\nname = "pristine"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n'
    for c in "${crates[@]}"; do printf '%s = { version = "=%s", default-features = false }\n' "$c" "$(version_of "$c")"; done
} >"$work/pristine/Cargo.toml"
cargo fetch --quiet --manifest-path "$work/pristine/Cargo.toml"

registry="${CARGO_HOME:-$HOME/.cargo}/registry/cache"
status=0
for c in "${crates[@]}"; do
    v="$(version_of "$c")"
    crate="$(find "$registry" -name "$c-$v.crate" | head -n1)"
    [ -n "$crate" ] || { echo "vendor/check.sh: $c $v not found in $registry" >&2; exit 2; }
    tar -xzf "$crate" -C "$work"
    echo "== $c $v: vendor/$c against crates.io"
    # Packaging: what the copy leaves out or adds besides code.
    diff -rq "$work/$c-$v" "$here/$c" | grep -E '^Only in' | sed "s|$work/||; s|$here/|vendor/|" || true
    patch="$work/$c.patch"
    diff -ruN -U 20 -x .cargo_vcs_info.json -x .cargo-ok -x Cargo.lock -x Cargo.toml.orig \
        -x benches -x examples -x media -x target "$work/$c-$v" "$here/$c" >"$patch" || true
    sed "s|$work/||; s|$here/|vendor/|" "$patch"
    # Every hunk that touches code must carry the marker; manifests may only lose lines.
    awk -v crate="$c" '
        function judge() {
            if (hunk == "") return
            if (file ~ /\/(src\/.*|build\.rs)$/ && hunk !~ /trackstrip patch/) { printf "%s: unmarked change in %s at %s\n", crate, file, at; bad = 1 }
            if (file ~ /Cargo\.toml$/ && hunk ~ /\n\+/) { printf "%s: %s gains lines at %s\n", crate, file, at; bad = 1 }
            hunk = ""
        }
        /^\+\+\+ / { judge(); file = $2; next }
        /^--- / { judge(); next }
        /^diff / { judge(); next }
        /^@@/ { judge(); at = $0; hunk = "\n"; next }
        { if (hunk != "") hunk = hunk $0 "\n" }
        END { judge(); exit bad }
    ' "$patch" | sed "s|$here/|vendor/|" || status=1
done
if [ "$status" -ne 0 ]; then
    echo "vendor/check.sh: a change above is not marked \"trackstrip patch\" (see vendor/README.md)" >&2
else
    echo "vendor/check.sh: every change is a marked trackstrip patch"
fi
exit "$status"
