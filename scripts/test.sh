#!/usr/bin/env bash
# All of Emberkeep's tests: the workspace's test suites; the graphical client's input tests;
# the headless client core checked for
# the browser target; a real rendered frame of the graphical client under Xvfb + lavapipe
# (screenshots/table.png); and the web client built, served and played in headless Chromium
# (screenshots/web-table.png); and the first-hour tour by keyboard (screenshots/tour).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
cargo test --locked -p emberkeep-client --features view --lib
cargo check --locked -p emberkeep-client --target wasm32-unknown-unknown
scripts/screenshot.sh screenshots/table.png
CLIENT_ARGS="--ui-scale 175" scripts/screenshot.sh screenshots/table-large-ui.png
CLIENT_ARGS="--window 390x844" CHECK_ARGS="--width 390 --height 844" scripts/screenshot.sh screenshots/table-phone.png
scripts/web-test.sh screenshots/web-table.png
scripts/tour.sh screenshots/tour
