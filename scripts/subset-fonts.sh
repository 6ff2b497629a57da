#!/usr/bin/env bash
# Makes the browser build's fonts (client/fonts/*.ttf) from egui's own default fonts (the
# epaint_default_fonts crate in cargo's registry), without their TrueType hinting programs
# (egui's rasteriser does well without them, and they were most of each file): Ubuntu Light
# with every character, and of Hack, Noto Emoji and the emoji icon font only the symbols a
# table shows (arrows, technical symbols, shapes, dingbats, the ⚙ of Settings; Hack also ASCII
# and Latin-1 for the map's words) — about 140 KiB gzipped instead of about 780. The native
# window keeps all four whole.
#
# Ubuntu Light so changed is renamed "Ubuntu Light derivative Emberkeep", as the Ubuntu Font
# Licence (UFL.txt, 2c) asks of a modified version.
#
# Needs fontTools (`pip install fonttools`); the outputs are committed, so only someone
# changing the ranges runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/epaint_default_fonts-0.36.2/fonts | head -1)
[ -d "$src" ] || { echo "subset-fonts: epaint_default_fonts 0.36.2 is not in cargo's registry (build the client once)"; exit 1; }
# Kept in step with client/src/view/fonts.rs (SYMBOL_RANGES).
symbols="U+2190-21FF,U+2300-23FF,U+25A0-27BF,U+27F0-27FF,U+2B00-2BFF"
subset() {
    python3 -m fontTools.subset "$src/$1.ttf" --unicodes="$2" --output-file="client/fonts/$1.$3.ttf" \
        --layout-features='*' --no-hinting
}
subset Ubuntu-Light '*' unhinted
python3 - client/fonts/Ubuntu-Light.unhinted.ttf <<'PY'
import sys
from fontTools.ttLib import TTFont
path = sys.argv[1]
font = TTFont(path)
for record in font["name"].names:
    if record.nameID in (1, 3, 4, 6, 16, 18):
        text = record.toUnicode()
        suffix = "-derivative-Emberkeep" if record.nameID == 6 else " derivative Emberkeep"
        if "derivative" not in text:
            record.string = text + suffix
font.save(path)
PY
subset NotoEmoji-Regular "$symbols" subset
subset emoji-icon-font "$symbols" subset
# Hack is egui's monospace face: ASCII and Latin-1 as well, so monospaced text stays monospaced.
subset Hack-Regular "U+0020-007E,U+00A0-00FF,U+2010-2027,$symbols" subset
cp "$src/Hack-Regular.txt" "$src/OFL.txt" "$src/UFL.txt" "$src/emoji-icon-font-mit-license.txt" client/fonts/
ls -l client/fonts
