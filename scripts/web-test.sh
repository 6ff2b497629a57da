#!/usr/bin/env bash
# The web client end to end: builds the bundle (wasm32 + wasm-bindgen), starts a
# server serving it with --web, opens the fighter's join link in headless Chromium, waits for
# the rendered table, keeps a screenshot (default screenshots/web-table.png), checks that the
# server seated the browser, and plays a turn from the browser. Prints the bundle's size and
# the page-load → table time (WEB_LOADS=N reloads N more times: median and p99) and the
# loading screen's stages. Then a phone (390×844, touch) takes the rogue's seat, saves
# screenshots/web-phone.png and plays a turn by taps, while a shared screen (&display) reads
# the new narration aloud.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots/web-table.png}"
mkdir -p "$(dirname "$out")"
work="$(mktemp -d)"
cleanup() { kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cargo build --locked -p emberkeep-server -p emberkeep-tools
bin="${CARGO_TARGET_DIR:-target}/debug"
"$bin/emberkeep-tools" web-bundle --out web/dist

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); udp=$(free_port); ws=$(free_port); web=$(free_port)
# Companions play the empty seats, so the browser's turn comes soon; it has 30 s to play.
"$bin/emberkeep-server" --bind 127.0.0.1 --udp-port "$udp" --ws-port "$ws" --http-port "$http" \
    --web "$web" --web-root web/dist --public-host 127.0.0.1 \
    --encounter goblin-ambush --seed 7 --companions --turn-timeout 30 --codes-file "$work/codes.txt" < /dev/null > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/codes.txt" ] && break; sleep 0.1; done
code=$(awk '$1=="table-1" && $2=="fighter" {print $3}' "$work/codes.txt")
link=$(grep -o "http://127.0.0.1:$web/?code=$code" "$work/server.log" | head -1)
[ -n "$link" ] || { echo "web test: the server printed no web join link"; cat "$work/server.log"; exit 1; }
echo "web test: opening $link"
rm -f "$out"
if ! node web/test/web-table.mjs "$link&name=Chromium" "$out" "$work/server.log" "Brakka Ironhand"; then
    echo "--- server log"; tail -40 "$work/server.log"; exit 1
fi
grep -q "Chromium joined" "$work/server.log" \
    || { echo "web test: the server never seated the browser"; tail -40 "$work/server.log"; exit 1; }
echo "web test: the server seated the browser ($(grep -m1 'Chromium joined' "$work/server.log"))"
"$bin/emberkeep-tools" check-screenshot "$out"

# A phone at the same table: the rogue's join link in a phone-sized, touch-only Chromium plays
# a turn by taps, while a shared screen (the spectator's link with &display) reads the new
# narration aloud.
phone_out="$(dirname "$out")/web-phone.png"
rogue=$(awk '$1=="table-1" && $2=="rogue" {print $3}' "$work/codes.txt")
watcher=$(awk '$1=="table-1" && $2=="spectator" {print $3}' "$work/codes.txt")
rm -f "$phone_out"
if ! node web/test/web-phone.mjs "http://127.0.0.1:$web/?code=$rogue&name=Phone" "$phone_out" \
        "$work/server.log" "Lia Quickfingers" "http://127.0.0.1:$web/?code=$watcher&name=Screen&display"; then
    echo "--- server log"; tail -40 "$work/server.log"; exit 1
fi
"$bin/emberkeep-tools" check-screenshot --width 780 --height 1688 "$phone_out"
