#!/usr/bin/env bash
# Installs what building and testing Emberkeep needs on a fresh Debian/Ubuntu machine, and
# nothing if it is already there: the mold linker with clang (see .cargo/config.toml),
# pkg-config, ALSA and udev headers (sound, gamepads), a Rust toolchain with the wasm32
# target and wasm-bindgen (the web client), the X11/Vulkan libraries the
# graphical client opens at run time, Xvfb + Mesa's software Vulkan (lavapipe) for the
# rendered-frame test, xdotool + ImageMagick (keys and screen grabs for scripts/tour.sh), and
# Chromium + Node.js with playwright-core for the browser test.
# Safe to run again.
set -euo pipefail

need=()
command -v mold >/dev/null 2>&1 || need+=(mold)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
pkg-config --exists alsa 2>/dev/null || need+=(libasound2-dev)
pkg-config --exists libudev 2>/dev/null || need+=(libudev-dev)
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
for lib in libvulkan.so.1 libxkbcommon-x11.so.0 libXcursor.so.1 libXrandr.so.2 libXi.so.6; do
    ldconfig -p | grep -q "$lib" || case "$lib" in
        libvulkan.so.1) need+=(libvulkan1) ;;
        libxkbcommon-x11.so.0) need+=(libxkbcommon-x11-0) ;;
        libXcursor.so.1) need+=(libxcursor1) ;;
        libXrandr.so.2) need+=(libxrandr2) ;;
        libXi.so.6) need+=(libxi6) ;;
    esac
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: installing Rust"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
. "$HOME/.cargo/env" 2>/dev/null || true
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
# wasm-bindgen's command line must be the version Cargo.lock pins.
bindgen=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' \
    "$(dirname "$0")/../Cargo.lock")
if ! wasm-bindgen --version 2>/dev/null | grep -q "$bindgen"; then
    echo "setup: installing wasm-bindgen-cli $bindgen"
    cargo install -q wasm-bindgen-cli --version "$bindgen" --locked \
        || cargo install -q wasm-bindgen-cli --version "$bindgen"
fi
# The browser test's driver (no browser download: it drives Debian's chromium).
if [ ! -d "$(dirname "$0")/../web/test/node_modules/playwright-core" ]; then
    echo "setup: installing playwright-core"
    (cd "$(dirname "$0")/../web/test" && npm ci --silent --no-audit --no-fund)
fi
