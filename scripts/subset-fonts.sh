#!/usr/bin/env bash
# Makes the browser build's symbol fonts (client/fonts/*.ttf) from egui's own default fonts
# (the epaint_default_fonts crate in cargo's registry): the browser build carries Ubuntu Light
# whole, and of Hack, Noto Emoji and the emoji icon font only the symbols a table shows
# (arrows, technical symbols, shapes, dingbats, the ⚙ of Settings) — about 70 KiB gzipped
# instead of about 600. The native window keeps all four whole.
#
# Needs fontTools (`pip install fonttools`); the outputs are committed, so only someone
# changing the ranges runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/epaint_default_fonts-0.36.2/fonts | head -1)
[ -d "$src" ] || { echo "subset-fonts: epaint_default_fonts 0.36.2 is not in cargo's registry (build the client once)"; exit 1; }
# Kept in step with client/src/view/fonts.rs (SYMBOL_RANGES).
symbols="U+2190-21FF,U+2300-23FF,U+25A0-27BF,U+27F0-27FF,U+2B00-2BFF"
subset() { python3 -m fontTools.subset "$src/$1.ttf" --unicodes="$2" --output-file="client/fonts/$1.subset.ttf" --layout-features='*'; }
subset NotoEmoji-Regular "$symbols"
subset emoji-icon-font "$symbols"
# Hack is egui's monospace face: ASCII and Latin-1 as well, so monospaced text stays monospaced.
subset Hack-Regular "U+0020-007E,U+00A0-00FF,U+2010-2027,$symbols"
cp "$src/Hack-Regular.txt" "$src/OFL.txt" "$src/emoji-icon-font-mit-license.txt" client/fonts/
ls -l client/fonts
