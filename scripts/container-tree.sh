#!/usr/bin/env bash
# Lays out what the server's container image holds, under OUT (the Dockerfile copies OUT/ to
# the image's /): the server binary, the shipped content, an empty data folder owned by the
# unprivileged user the image runs as, and nothing else. The test
# server/tests/container.rs runs the server from this tree exactly as the image would.
#
#   BIN=target/release/emberkeep-server scripts/container-tree.sh OUT [UID]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/container-tree.sh OUT [UID]}"
uid="${2:-10001}"
bin="${BIN:-${CARGO_TARGET_DIR:-target}/release/emberkeep-server}"
[ -x "$bin" ] || { echo "container-tree: no server binary at $bin (cargo build --release -p emberkeep-server)"; exit 1; }
rm -rf "$out"
mkdir -p "$out/opt/emberkeep/bin" "$out/var/lib/emberkeep"
cp "$bin" "$out/opt/emberkeep/bin/emberkeep-server"
cp -R assets "$out/opt/emberkeep/assets"
# Read-only for everyone but root; the data folder is the server's alone.
chmod -R a+rX,go-w "$out/opt/emberkeep"
chmod 0700 "$out/var/lib/emberkeep"
if [ "$(id -u)" = 0 ]; then chown "$uid:$uid" "$out/var/lib/emberkeep"; fi
echo "container tree in $out: $(du -sh "$out" | cut -f1)"
