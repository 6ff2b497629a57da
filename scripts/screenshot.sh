#!/usr/bin/env bash
# Renders a real frame of the graphical client under Xvfb with Mesa's software Vulkan
# (lavapipe): starts a server, joins the fighter's seat, saves a PNG, checks it.
# Usage: scripts/screenshot.sh [OUT.png]   (default: screenshots/table.png)
#        SEAT=spectator CLIENT_ARGS=--display scripts/screenshot.sh display.png
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots/table.png}"
mkdir -p "$(dirname "$out")"
work="$(mktemp -d)"
cleanup() { kill "${server_pid:-}" "${xvfb_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cargo build --locked -p emberkeep-server -p emberkeep-tools
cargo build --locked -p emberkeep-client --features view
bin="${CARGO_TARGET_DIR:-target}/debug"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); udp=$(free_port)
"$bin/emberkeep-server" --bind 127.0.0.1 --udp-port "$udp" --http-port "$http" --no-websocket \
    --encounter "${ENCOUNTER:-goblin-ambush}" --seed 7 --turn-timeout 600 --codes-file "$work/codes.txt" --quiet < /dev/null > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/codes.txt" ] && break; sleep 0.1; done
code=$(awk -v seat="${SEAT:-fighter}" '$1=="table-1" && $2==seat {print $3}' "$work/codes.txt")

Xvfb :77 -screen 0 1280x900x24 -nolisten tcp > "$work/xvfb.log" 2>&1 &
xvfb_pid=$!
sleep 1
rm -f "$out"
DISPLAY=:77 WGPU_BACKEND=vulkan \
    VK_ICD_FILENAMES=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json | head -1) \
    timeout 300 "$bin/emberkeep" --server "127.0.0.1:$http" --code "$code" --name "Screenshot" --screenshot "$out" ${CLIENT_ARGS:-}
"$bin/emberkeep-tools" check-screenshot "$out" ${CHECK_ARGS:-}
