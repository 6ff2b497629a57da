#!/usr/bin/env bash
# All of Emberkeep's tests: the workspace's test suites, then a real rendered frame of the
# graphical client under Xvfb + lavapipe (kept in screenshots/table.png).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
scripts/screenshot.sh screenshots/table.png
