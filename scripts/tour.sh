#!/usr/bin/env bash
# A newcomer's first hour, scripted end to end against real processes and real windows (Xvfb +
# Mesa's software Vulkan, as scripts/screenshot.sh): host and play the wolf-den in a window,
# walk by keyboard, a second player joins by code, a fight played by keyboard only, a TV
# display, a browser seat, a bot team, and a kill -9 of the host that the campaign survives.
# Every step prints `tour: <step> ok` or stops the tour with the reason and the logs' tails;
# screenshots of each step go to OUTDIR (default screenshots/tour), the logs to OUTDIR/logs.
# Usage: scripts/tour.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots/tour}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/0*.png
work="$(mktemp -d)"
started=$SECONDS

pids=()
cleanup() {
    local rc=$?
    exec 3>&- 2>/dev/null || true
    # Clients and bots first, then the host, then the X servers.
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    mkdir -p "$out/logs"
    cp "$work"/*.log "$out/logs/" 2>/dev/null || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "tour: FAILED: $*" >&2
    for log in "$work"/*.log; do
        [ -s "$log" ] || continue
        echo "--- $(basename "$log") (last 25 lines)" >&2
        sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -25 >&2
    done
    echo "(all logs: $out/logs)" >&2
    exit 1
}
ok() { echo "tour: $1 ok$( [ $# -gt 1 ] && echo " — $2" ) [$((SECONDS - started)) s]"; }

# ---------------------------------------------------------------- build
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --locked -p emberkeep-server -p emberkeep-tools
cargo build --locked -p emberkeep-client --features view
bin="$CARGO_TARGET_DIR/debug"
# The browser seat needs the web bundle: build it if it is missing or older than the sources.
if [ ! -f web/dist/index.html ] \
    || [ -n "$(find client shared Cargo.lock -newer web/dist/index.html -print -quit)" ]; then
    "$bin/emberkeep-tools" web-bundle --out web/dist
fi
for tool in Xvfb xdotool import node; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh"
done

# ---------------------------------------------------------------- helpers
host_log="$work/host.log"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# The file's text from byte OFFSET on, without colour codes.
since() { tail -c +"$(($2 + 1))" "$1" | sed 's/\x1b\[[0-9;]*m//g'; }
# wait_for FILE OFFSET SECONDS ERE: true once a line after OFFSET matches.
wait_for() {
    local file=$1 off=$2 secs=$3 pat=$4 end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do
        grep -Eq -- "$pat" <(since "$file" "$off") && return 0
        sleep 0.3
    done
    return 1
}
# A process we started is still running (else the step fails with its log).
alive() { kill -0 "$1" 2>/dev/null || die "$2 exited"; }

free_display() {
    local n
    for n in $(seq "$1" 199); do
        if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then
            echo "$n"
            return
        fi
    done
    die "no free X display number"
}
start_xvfb() { # NUMBER NAME
    Xvfb ":$1" -screen 0 1280x720x24 -nolisten tcp > "$work/xvfb-$2.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -S "/tmp/.X11-unix/X$1" ] && return 0; sleep 0.1; done
    die "Xvfb :$1 did not start"
}

# Clients draw with lavapipe and keep their settings in the tour's folder, not ~/.config.
vk_icd=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null | head -1)
[ -n "$vk_icd" ] || die "no lavapipe ICD (mesa-vulkan-drivers): run scripts/setup.sh"
client_env=(WGPU_BACKEND=vulkan "VK_ICD_FILENAMES=$vk_icd" "XDG_CONFIG_HOME=$work/config" NO_COLOR=1)

# shot DISPLAY FILE: the whole X screen as a PNG.
shot() { DISPLAY=":$1" import -window root "$2"; }
# shot_table DISPLAY FILE WHAT: waits for the window to show the table (the client names its
# window after the encounter once the map and tokens are drawn), lets it settle, then keeps
# taking the screenshot until it passes check-screenshot.
shot_table() {
    local d=$1 file=$2 what=$3 end=$((SECONDS + 240))
    until DISPLAY=":$d" xdotool search --name 'Wolf Den' >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || die "$what: no window showing the table after 240 s"
        sleep 0.5
    done
    sleep 3
    until shot "$d" "$file" && "$bin/emberkeep-tools" check-screenshot "$file" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || { "$bin/emberkeep-tools" check-screenshot "$file" || true; die "$what: $file does not show a drawn table"; }
        sleep 1
    done
}

# Keys go through XTEST to the window under the pointer (there is no window manager): each
# press is held across a frame or two and spaced out, like a finger on a slow machine.
press() {
    local key
    for key in "$@"; do
        DISPLAY=":$host_display" xdotool keydown "$key"
        sleep 0.25
        DISPLAY=":$host_display" xdotool keyup "$key"
        sleep 0.35
    done
}
focus_host_window() {
    local wid
    wid=$(DISPLAY=":$host_display" xdotool search --name 'Wolf Den' | head -1)
    DISPLAY=":$host_display" xdotool windowfocus "$wid" 2>/dev/null || true
    # Over the map, away from the panels.
    DISPLAY=":$host_display" xdotool mousemove 640 330
}

# console COMMAND: types a line on the host console (its stdin).
console() { echo "$*" >&3; }
# The latest "X's turn" event: prints "SEQ NAME".
whose_turn() {
    since "$host_log" 0 | sed -nE "s/.*\] #([0-9]+) (.+)'s turn[[:space:]]*$/\1 \2/p" | tail -1
}
# nudge SEQ WHO ERE: a player's turn (WHO matches ERE) that has waited 8 s — a seat nobody
# plays waits the whole --turn-timeout before its companion takes it back — is skipped from
# the console; companions and bots play theirs within that.
turn_seq="" turn_since=0
nudge() {
    if [ "$1" != "$turn_seq" ]; then
        turn_seq=$1 turn_since=$SECONDS
    elif [[ "$2" =~ ^($3)$ ]] && [ $SECONDS -ge $((turn_since + 8)) ]; then
        console skip
        turn_since=$SECONDS
    fi
}
code_of() { awk -v seat="$1" '$1=="table-1" && $2==seat {print $3}' "$work/codes.txt"; }
# guest_window SEAT WHAT SHOT CLIENT_ARGS...: a client in the guest's X screen; waits until
# the host's log says it took SEAT, screenshots its drawn table to SHOT, then closes it.
guest_window() {
    local seat=$1 what=$2 file=$3 off pid
    shift 3
    off=$(size "$host_log")
    env DISPLAY=":$guest_display" "${client_env[@]}" "$bin/emberkeep" "$@" > "$work/$seat.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_for "$host_log" "$off" 120 "took seat \`$seat\`" || { alive "$pid" "$what"; die "$what never took the $seat seat"; }
    shot_table "$guest_display" "$file" "$what"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

fighter="Brakka Ironhand"
players="Lia Quickfingers|Brother Aldric|Ysolde Emberlyn"

# ---------------------------------------------------------------- 1. host and play
host_display=$(free_display 79)
start_xvfb "$host_display" host
guest_display=$(free_display $((host_display + 1)))
start_xvfb "$guest_display" guest

mkfifo "$work/console"
exec 3<>"$work/console"   # held open read-write: the console never sees end of file
start_host() {
    rm -f "$work/codes.txt"
    env DISPLAY=":$host_display" "${client_env[@]}" \
        "$bin/emberkeep" --host --encounter wolf-den --name Host -- \
        --bind 127.0.0.1 --udp-port 0 --ws-port 0 --http-port 0 --web 0 \
        --codes-file "$work/codes.txt" --data-dir "$work/data" --seed 3 --turn-timeout 600 \
        < "$work/console" >> "$host_log" 2>&1 &
    host_pid=$!
    pids+=("$host_pid")
    local end=$((SECONDS + 60))
    until [ -s "$work/codes.txt" ] && grep -q "listening: web" <(since "$host_log" "$1"); do
        alive "$host_pid" "the host (emberkeep --host)"
        [ $SECONDS -lt $end ] || die "the host printed no codes / listening lines in 60 s"
        sleep 0.2
    done
    http=$(since "$host_log" "$1" | sed -nE 's/.*listening: http ([0-9.:]+).*/\1/p' | tail -1)
    web=$(since "$host_log" "$1" | sed -nE 's/.*listening: web ([0-9.:]+).*/\1/p' | tail -1)
    [ -n "$http" ] && [ -n "$web" ] || die "no 'listening: http/web' address in the host's log"
}
start_host 0
wait_for "$host_log" 0 120 "took seat \`fighter\`" || die "the host's window never took the fighter's seat"
shot_table "$host_display" "$out/01-host.png" "host"
ok "host" "join endpoint $http, web $web, codes in the log and codes file"

# ---------------------------------------------------------------- 3. walk while exploring
focus_host_window
off=$(size "$host_log")
press Right Right Return
if ! wait_for "$host_log" "$off" 20 "$fighter moves [0-9]+ ft"; then
    # A keypress lost to a slow first frame: one more try from where the cursor is.
    off=$(size "$host_log")
    focus_host_window
    press Right Return
    wait_for "$host_log" "$off" 20 "$fighter moves [0-9]+ ft" \
        || die "walk: arrows + Enter moved nobody (no '$fighter moves' in the log)"
fi
walked=$(since "$host_log" "$off" | grep -oE "$fighter moves [0-9]+ ft to \([0-9]+, [0-9]+\)" | tail -1)
sleep 2
shot_table "$host_display" "$out/02-walk.png" "walk"
ok "walk" "$walked"

# ---------------------------------------------------------------- 4. a second player by code
off=$(size "$host_log")
guest_window rogue "the rogue's client" "$out/03-rogue.png" --server "$http" --code "$(code_of rogue)" --name Rogue
# Its window showed the fighter where the walk left him: the state is shared.
ok "second client" "Rogue joined by code ($(since "$host_log" "$off" | grep -oE "Rogue joined in seat \`rogue\`" | head -1))"

# ---------------------------------------------------------------- 5. a fight by keyboard only
# Walk east towards the wolves one square at a time until one spots us and combat starts.
focus_host_window
for step in $(seq 14); do
    grep -q "Combat begins" <(since "$host_log" 0) && break
    off=$(size "$host_log")
    press Right Return
    wait_for "$host_log" "$off" 10 "$fighter moves|Combat begins" || true
done
wait_for "$host_log" 0 10 "Combat begins" || die "fight: walking towards the wolves started no combat"
since "$host_log" 0 | grep -oE "[^]]*Combat begins\. Initiative: [^.]*" | head -1 | sed 's/^ *//'
# Play: NPCs and companions play themselves, a seat left empty is skipped (nudge); on the
# fighter's turn Tab + Enter attacks the nearest foe in reach, else Q dodges; T ends the turn.
attacked="" dodged="" fighter_turns=0 handled=""
end=$((SECONDS + 300))
while :; do
    [ $SECONDS -lt $end ] || die "fight: no keyboard turn played within 300 s (last: $(whose_turn))"
    alive "$host_pid" "the host"
    grep -q "Combat ends" <(since "$host_log" 0) && break
    read -r seq who <<<"$(whose_turn)" || true
    if [ "${who:-}" = "$fighter" ] && [ "$seq" != "$handled" ]; then
        sleep 1   # the window learns it is our turn a frame or two after the server
        # An unconscious fighter's turn is a death save and ends by itself.
        if since "$host_log" 0 | grep -qE "#([0-9]+) $fighter ends the turn" \
            && [ "$(since "$host_log" 0 | sed -nE "s/.*#([0-9]+) $fighter ends the turn.*/\1/p" | tail -1)" -gt "$seq" ]; then
            handled=$seq
            continue
        fi
        focus_host_window
        off=$(size "$host_log")
        press Tab Return
        if wait_for "$host_log" "$off" 8 "$fighter attacks"; then
            attacked=$(since "$host_log" "$off" | grep -oE "$fighter attacks .*" | head -1)
        else
            # Nobody in reach (or the keys were lost to a slow frame): Dodge, once more if need be.
            press q
            wait_for "$host_log" "$off" 6 "$fighter takes the Dodge action" \
                || { focus_host_window; press q; wait_for "$host_log" "$off" 10 "$fighter takes the Dodge action"; } \
                || die "fight: neither Tab+Enter attacked nor Q dodged on $fighter's turn"
            dodged="yes"
        fi
        shot "$host_display" "$out/04-fight.png"
        press t
        wait_for "$host_log" "$off" 6 "$fighter ends the turn" \
            || { focus_host_window; press t; wait_for "$host_log" "$off" 10 "$fighter ends the turn"; } \
            || die "fight: T did not end $fighter's turn"
        wait_for "$host_log" "$off" 10 "#[0-9]+ .*'s turn\s*$" || die "fight: the turn did not pass on after T"
        handled=$seq
        fighter_turns=$((fighter_turns + 1))
        [ -n "$attacked" ] || [ $fighter_turns -ge 3 ] && break
    else
        nudge "${seq:-}" "${who:-}" "$players"
    fi
    sleep 0.5
done
[ $fighter_turns -gt 0 ] || die "fight: the combat ended before $fighter's turn"
"$bin/emberkeep-tools" check-screenshot "$out/04-fight.png" >/dev/null || die "fight: $out/04-fight.png is not a drawn table"
ok "fight" "${attacked:-$fighter dodged (no foe in reach)}; T ended the turn ($fighter_turns keyboard turn(s))"

# ---------------------------------------------------------------- 6. the TV display
guest_window spectator "the display client" "$out/05-display.png" --display --server "$http" --code "$(code_of spectator)" --name TV
ok "display" "the spectator code opens the read-only TV view"

# ---------------------------------------------------------------- 7. a browser seat
link="http://$web/?code=$(code_of rogue)&name=Browser"
off=$(size "$host_log")
timeout 300 node web/test/open-table.mjs "$link" "$out/06-browser.png" > "$work/browser.log" 2>&1 \
    || die "browser: the table never showed in Chromium ($link)"
wait_for "$host_log" "$off" 10 "Browser joined in seat \`rogue\`" || die "browser: the server never seated the browser"
ok "browser" "$(grep -m1 'table on screen' "$work/browser.log" | sed 's/^browser: //')"

# ---------------------------------------------------------------- 8. a bot team
off=$(size "$host_log")
for seat in cleric wizard; do
    : > "$work/bot-$seat.log"
    "$bin/emberkeep-tools" bot --server "$http" --code "$(code_of $seat)" --name "${seat^}Bot" --stay \
        > "$work/bot-$seat.log" 2>&1 &
    pids+=($!)
    eval "bot_${seat}_pid=$!"
done
# Keep the table moving: the bots play their turns, idle seats are skipped (nudge).
bot_end=$((SECONDS + 120))
until grep -Eq "^#[0-9]+ " "$work/bot-cleric.log" && grep -Eq "^#[0-9]+ " "$work/bot-wizard.log" \
    && grep -Eq "(Brother Aldric|Ysolde Emberlyn) (attacks|moves|takes|dashes|disengages|ends)" <(since "$host_log" "$off"); do
    [ $SECONDS -lt $bot_end ] || die "bots: no events from both bots and no bot's move within 120 s"
    alive "$bot_cleric_pid" "the cleric bot"; alive "$bot_wizard_pid" "the wizard bot"
    grep -q "Combat ends" <(since "$host_log" "$off") && grep -Eq "^#[0-9]+ " "$work/bot-cleric.log" \
        && grep -Eq "^#[0-9]+ " "$work/bot-wizard.log" && break
    read -r seq who <<<"$(whose_turn)" || true
    nudge "${seq:-}" "${who:-}" "$fighter|$players"
    sleep 0.5
done
shot "$host_display" "$out/07-bots.png"
"$bin/emberkeep-tools" check-screenshot "$out/07-bots.png" >/dev/null || die "bots: $out/07-bots.png is not a drawn table"
kill "$bot_cleric_pid" "$bot_wizard_pid" 2>/dev/null || true
wait "$bot_cleric_pid" "$bot_wizard_pid" 2>/dev/null || true
ok "bots" "cleric: $(grep -cE '^#[0-9]+ ' "$work/bot-cleric.log") events, wizard: $(grep -cE '^#[0-9]+ ' "$work/bot-wizard.log") events, e.g. \"$(grep -E '^#[0-9]+ +[^ »]' "$work/bot-wizard.log" | tail -1 | sed -E 's/^#[0-9]+ +//')\""

# ---------------------------------------------------------------- 9. kill -9 and resume
# status: prints the table's mode line and the round/turn line, without the timer.
status() {
    local off
    off=$(size "$host_log")
    console status
    wait_for "$host_log" "$off" 10 "journal: " || die "restart: the console answered no status"
    since "$host_log" "$off" | grep -E "^table-1 — |^  round [0-9]+" | sed -E 's/, [0-9]+ s left//; s/, timer paused//'
}
# NPC turns play out within a tick; the table then rests on a player's turn (600 s): wait
# until two answers a second and a half apart agree, so nothing moves between them and the kill.
before=$(status) end=$((SECONDS + 60))
while sleep 1.5; now=$(status); [ "$now" != "$before" ]; do
    [ $SECONDS -lt $end ] || die "restart: the table never came to rest on a player's turn"
    before=$now
done
cp "$work/codes.txt" "$work/codes.before"
kill -9 "$host_pid"
wait "$host_pid" 2>/dev/null || true
off=$(size "$host_log")
echo "--- restarted after kill -9" >> "$host_log"
start_host "$off"
cmp -s "$work/codes.before" "$work/codes.txt" || die "restart: the join codes changed after the restart"
wait_for "$host_log" "$off" 120 "took seat \`fighter\`" || die "restart: the host's window never took the fighter's seat again"
after=$(status)
[ "$before" = "$after" ] || die "restart: the campaign did not resume where it was: before «$before», after «$after»"
shot_table "$host_display" "$out/08-restart.png" "restart"
ok "restart" "same codes, $(echo "$after" | tr '\n' ' ' | sed 's/  */ /g')"

echo "tour: all steps ok in $((SECONDS - started)) s; screenshots in $out"
