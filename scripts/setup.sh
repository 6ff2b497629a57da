#!/usr/bin/env bash
# Installs what building and testing Emberkeep needs on a fresh Debian/Ubuntu machine, and
# nothing if it is already there: the mold linker with clang (see .cargo/config.toml),
# pkg-config, and a Rust toolchain. Safe to run again.
set -euo pipefail

need=()
command -v mold >/dev/null 2>&1 || need+=(mold)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
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
