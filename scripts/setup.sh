#!/usr/bin/env bash
# Installs what building and testing Emberkeep needs on a fresh Debian/Ubuntu machine, and
# nothing if it is already there: the mold linker with clang (see .cargo/config.toml),
# pkg-config, a Rust toolchain, the X11/Vulkan libraries the graphical client opens at run
# time, and Xvfb + Mesa's software Vulkan (lavapipe) for the rendered-frame test. Safe to run
# again.
set -euo pipefail

need=()
command -v mold >/dev/null 2>&1 || need+=(mold)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v python3 >/dev/null 2>&1 || need+=(python3)
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
