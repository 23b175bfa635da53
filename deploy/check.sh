#!/usr/bin/env bash
# Checks the deployment files in deploy/ against the binary they deploy and the schemas they
# follow. .ci/run calls it after the tests; run it by hand after `cargo build --release`.
#
#   (a) the configs, and the command lines that start trackstrip with them (Dockerfile CMD,
#       the systemd unit's ExecStart, the Kubernetes Deployment's args), through
#       `trackstrip serve --check`;
#   (b) deploy/k8s/*.yaml against the Kubernetes schemas (kubernetes-validate, strict: an
#       unknown or misspelt field is an error), kustomization.yaml against the manifests, and
#       the Deployment against its config (check_k8s.py);
#   (c) deploy/trackstrip.service with systemd-analyze.
#
# Only (b)'s first run needs a package registry (PyPI, for kubernetes-validate, installed into
# a venv under target/); after that it all runs offline. Nothing is bound or written outside a
# temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/target/release/trackstrip"
[ -x "$bin" ] || { echo "deploy/check.sh: $bin is missing: run cargo build --release first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# `serve ARGS... --check`, its output kept in $tmp/NAME.out; prints its summary lines.
# Paths the shipped files name that exist only where they are installed are mapped, with
# flags, onto this repository (the file a path names) or onto $tmp (a directory serve makes
# at its first start): each mapping is written next to its call.
check() {
  local name=$1
  shift
  if ! XDG_DATA_HOME="$tmp/xdg" "$bin" serve "$@" --check >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    echo "deploy/check.sh: $name: trackstrip serve $* --check failed:" >&2
    cat "$tmp/$name.err" >&2
    exit 1
  fi
  echo "$name: ok"
  grep -E '^# (listen|proxy|interception):' "$tmp/$name.out" | sed 's/^#/   /'
}

echo "--- deploy (a): configs and command lines through serve --check"
# The reference config as shipped. It sets no data_dir: the default ($XDG_DATA_HOME/trackstrip)
# points into $tmp, so that no CA of this machine's user is read. A data or CA directory that
# doesn't exist is reported, not required: serve makes it at its first start.
check trackstrip.toml --config deploy/trackstrip.toml
# The image's config as shipped; its data_dir (/var/lib/trackstrip, the image's volume) need
# not exist here for the same reason.
check docker.toml --config deploy/docker.toml

# The Dockerfile's CMD, with the config it copies to /etc/trackstrip/trackstrip.toml.
cmd=$(sed -n 's/^CMD \[\(.*\)\]$/\1/p' deploy/Dockerfile | tr -d '",')
[ -n "$cmd" ] || { echo "deploy/check.sh: no CMD [...] line in deploy/Dockerfile" >&2; exit 1; }
read -r -a args <<<"${cmd//\/etc\/trackstrip\/trackstrip.toml/deploy/docker.toml}"
[ "${args[0]}" = serve ] || { echo "deploy/check.sh: Dockerfile CMD is not serve: ${args[*]}" >&2; exit 1; }
check "Dockerfile CMD" "${args[@]:1}"

# The unit's ExecStart: /etc/trackstrip/trackstrip.toml is deploy/trackstrip.toml installed
# (deploy/README.md), ${STATE_DIRECTORY} the state directory systemd makes.
exec_start=$(sed -n 's/^ExecStart=//p' deploy/trackstrip.service)
exec_start=${exec_start//\/etc\/trackstrip\/trackstrip.toml/deploy/trackstrip.toml}
read -r -a args <<<"${exec_start//\$\{STATE_DIRECTORY\}/$tmp/state}"
[ "${args[1]}" = serve ] || { echo "deploy/check.sh: ExecStart is not trackstrip serve: ${args[*]}" >&2; exit 1; }
check "trackstrip.service ExecStart" "${args[@]:2}"

echo "--- deploy (b): Kubernetes manifests"
venv=target/deploy-venv
if ! "$venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 has venv in its own package.
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check 'kubernetes-validate==1.37.0'
fi
manifests=()
for f in deploy/k8s/*.yaml; do
  # kustomization.yaml is kustomize's file, not a Kubernetes object: check_k8s.py checks it.
  [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
"$venv/bin/kubernetes-validate" --strict --quiet "${manifests[@]}"
echo "kubernetes-validate --strict: ${#manifests[@]} manifests valid"

# The config in the trackstrip-config ConfigMap, run as the Deployment's args run it. Its
# `rules` is where the Deployment mounts the trackstrip-rules ConfigMap: --rules points at
# those files, written out (so they are checked too); check_k8s.py then checks the mounts.
mkdir -p "$tmp/k8s"
mapfile -t args < <("$venv/bin/python" deploy/check_k8s.py extract deploy/k8s "$tmp/k8s")
[ "${args[0]:-}" = serve ] || { echo "deploy/check.sh: the Deployment's args are not serve: ${args[*]}" >&2; exit 1; }
for i in "${!args[@]}"; do
  if [ "${args[$i]}" = /etc/trackstrip/trackstrip.toml ]; then args[i]="$tmp/k8s/trackstrip.toml"; fi
done
check "k8s ConfigMap trackstrip-config" "${args[@]:1}" --rules "$tmp/k8s/rules"
"$venv/bin/python" deploy/check_k8s.py consistent deploy/k8s "$tmp/k8s ConfigMap trackstrip-config.out"
echo "kustomization.yaml and the Deployment agree with the manifests and the config"

echo "--- deploy (c): systemd unit"
if ! command -v systemd-analyze >/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null; } ||
    echo "deploy/check.sh: apt-get install systemd failed"
fi
if command -v systemd-analyze >/dev/null; then
  # verify also checks that ExecStart's binary exists: CI doesn't install trackstrip to
  # /usr/local/bin (deploy/README.md does), so a copy of the unit points at the one just built;
  # the unit is otherwise verified as shipped.
  mkdir -p "$tmp/unit"
  sed "s|/usr/local/bin/trackstrip|$bin|" deploy/trackstrip.service >"$tmp/unit/trackstrip.service"
  if ! out=$(systemd-analyze verify "$tmp/unit/trackstrip.service" </dev/null 2>&1) || [ -n "$out" ]; then
    echo "deploy/check.sh: systemd-analyze verify deploy/trackstrip.service:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "systemd-analyze verify: trackstrip.service valid"
  # The sandboxing deploy/README.md promises: an exposure score of at most 2.0 ("OK").
  if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    systemd-analyze security --offline=yes --threshold=20 "$tmp/unit/trackstrip.service" </dev/null | tail -1
  fi
else
  echo "deploy/check.sh: systemd-analyze is NOT available (not root, or no apt-get): trackstrip.service was NOT verified"
fi
