#!/usr/bin/env bash
# What the graphical client costs, in a real window under Xvfb with Mesa's software Vulkan
# (lavapipe): starts a server, joins the fighter's seat, lets the table settle, then prints
# the CPU the window uses while the table is still (share of one core) and the frame time
# (median, p99) while every frame is drawn, as during an animation.
# Usage: scripts/measure-client.sh [IDLE_SECS]   (default 20)
#        ENCOUNTER=wolf-den PROFILE=release scripts/measure-client.sh
set -euo pipefail
cd "$(dirname "$0")/.."
idle="${1:-20}"
profile="${PROFILE:-dev}"
work="$(mktemp -d)"
cleanup() { [ -n "${CLIENT_LOG:-}" ] && cp "$work/client.log" "$CLIENT_LOG"; kill "${server_pid:-}" "${xvfb_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cargo build --locked -p emberkeep-server
cargo build --locked --profile "$profile" -p emberkeep-client --features view
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
server="${CARGO_TARGET_DIR:-target}/debug/emberkeep-server"
client="${CARGO_TARGET_DIR:-target}/$dir/emberkeep"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); udp=$(free_port)
"$server" --bind 127.0.0.1 --udp-port "$udp" --http-port "$http" --no-websocket \
    --encounter "${ENCOUNTER:-goblin-ambush}" --seed 7 --turn-timeout 600 --codes-file "$work/codes.txt" --quiet < /dev/null > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/codes.txt" ] && break; sleep 0.1; done
code=$(awk -v seat="${SEAT:-fighter}" '$1=="table-1" && $2==seat {print $3}' "$work/codes.txt")

Xvfb :78 -screen 0 1280x720x24 -nolisten tcp > "$work/xvfb.log" 2>&1 &
xvfb_pid=$!
sleep 1
# No window manager runs under Xvfb: give the window the focus, as a player's desktop does
# (FOCUS=0 measures it unfocused).
if [ "${FOCUS:-1}" = 1 ] && command -v xdotool > /dev/null; then
    (DISPLAY=:78 xdotool search --sync --name Emberkeep windowfocus > /dev/null 2>&1 || true) &
fi
echo "measuring $client ($profile) on ${ENCOUNTER:-goblin-ambush}, 1280x720, lavapipe"
DISPLAY=:78 WGPU_BACKEND=vulkan \
    VK_ICD_FILENAMES=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json | head -1) \
    timeout 300 "$client" --server "127.0.0.1:$http" --code "$code" --name "Measure" --measure "$idle" ${CLIENT_ARGS:-} \
    2> "$work/client.log" | grep -E "^(idle|drawing)" || { tail -30 "$work/client.log"; exit 1; }
