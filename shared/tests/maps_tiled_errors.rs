//! Bad and hostile Tiled maps: every problem is an error naming the file (and the object or
//! the line and column) and what was expected — never a panic, never an unbounded allocation.

mod maps_common;

use maps_common::{shipped, with_shipped};

/// A small `.tmj` to cut short.
const TMJ: &str = r#"{"type": "map", "orientation": "orthogonal", "width": 3, "height": 2,
 "tilewidth": 32, "tileheight": 32, "infinite": false,
 "tilesets": [{"firstgid": 1, "source": "tiles.tsx"}],
 "layers": [{"type": "tilelayer", "name": "T", "width": 3, "height": 2, "data": [2, 1, 2, 2, 1, 2]},
  {"type": "objectgroup", "name": "O", "objects": [{"id": 1, "name": "", "type": "Spawn", "x": 40, "y": 40, "point": true,
   "properties": [{"name": "side", "type": "string", "value": "party"}]}]}]}"#;

#[test]
fn the_small_tmj_is_good() {
    with_shipped(&[("maps/small.tmj", TMJ)]).unwrap();
}

fn tmx(attrs: &str, inside: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" orientation="orthogonal" width="3" height="2" tilewidth="32" tileheight="32" infinite="0" {attrs}>
 <tileset firstgid="1" source="tiles.tsx"/>
 {inside}
</map>"#
    )
}

const LAYER: &str = r#"<layer id="1" name="T" width="3" height="2"><data encoding="csv">2,1,2,2,1,2</data></layer>"#;

fn object(class: &str, props: &str) -> String {
    format!(
        r#"{LAYER}<objectgroup id="2"><object id="7" name="thing" type="{class}" x="40" y="40"><properties>{props}</properties><point/></object></objectgroup>"#
    )
}

fn obj_map(class: &str, props: &str) -> String {
    tmx("", &object(class, props))
}

fn error_of(map: &str) -> String {
    match with_shipped(&[("maps/bad.tmx", map)]) {
        Ok(_) => panic!("accepted: {map}"),
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("maps/bad.tmx"),
                "the error names the file: {text}"
            );
            text
        }
    }
}

#[test]
fn bad_maps_get_errors_naming_the_file_and_what_was_expected() {
    let cases: Vec<(String, &str)> = vec![
        (
            obj_map(
                "Spawn",
                r#"<property name="side" value="foe"/><property name="creature" value="dragon"/>"#,
            ),
            "unknown creature `dragon`",
        ),
        (
            obj_map("Spawn", r#"<property name="side" value="ally"/>"#),
            "Spawn object 7 `thing`: side `ally`: expected `party` or `foe`",
        ),
        (obj_map("Dragon", ""), "unknown class `Dragon`"),
        (obj_map("Light", ""), "no `radius`"),
        (
            obj_map(
                "Door",
                r#"<property name="locked" type="bool" value="true"/>"#,
            ),
            "locked without a `dc`",
        ),
        (
            obj_map(
                "Door",
                r#"<property name="locked" type="bool" value="true"/><property name="dc" type="int" value="40"/>"#,
            ),
            "expected a whole number from 5 to 30",
        ),
        (obj_map("Exit", ""), "no `to`"),
        (
            obj_map("Spawn", r#"<property name="side" value="party"/>"#)
                .replace(r#"x="40" y="40""#, r#"x="400" y="40""#),
            "Spawn object 7 `thing`: lies outside the map (3×2 squares of 32 pixels)",
        ),
        (
            tmx(
                "",
                &object("Door", "").replace("2,1,2,2,1,2", "1,1,1,1,1,1"),
            ),
            "Door object 7 `thing`: on square (1, 1) without wall squares on two opposite sides",
        ),
        (
            tmx(
                "",
                &format!(
                    r#"{LAYER}<objectgroup id="2"><object id="8" type="Wall" x="0" y="0"><polyline points="0,0 1000,0"/></object></objectgroup>"#
                ),
            ),
            "Wall object 8: a point at (1000, 0) pixels lies off the map",
        ),
        (
            tmx("", LAYER).replace("tiles.tsx", "missing.tsx"),
            "not among the files of maps/",
        ),
        (
            format!(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE map [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n{}",
                tmx("", LAYER)
                    .replace(r#"<?xml version="1.0" encoding="UTF-8"?>"#, "")
                    .replace(r#"infinite="0""#, r#"infinite="0" class="&lol2;""#)
            ),
            "a DOCTYPE (entity declarations)",
        ),
        (
            tmx("", "").replace(r#"width="3""#, r#"width="201""#),
            "map is 201×2: expected 1 to 200 squares each way",
        ),
        (
            tmx("", LAYER).replace("orthogonal", "isometric"),
            "map orientation `isometric`: expected `orthogonal`",
        ),
        (
            tmx("", LAYER).replace(r#"tileheight="32""#, r#"tileheight="16""#),
            "expected square tiles",
        ),
        (
            tmx("", LAYER).replace(r#"infinite="0""#, r#"infinite="1""#),
            "an infinite map",
        ),
        (
            tmx(
                "",
                &format!(
                    r#"<tileset firstgid="10" name="small" tilewidth="16" tileheight="16" tilecount="1" columns="1"><image source="x.png" width="16" height="16"/></tileset>{LAYER}"#
                ),
            ),
            "has 16×16 pixel tiles: expected the map's 32×32",
        ),
        (
            tmx(
                "",
                &format!(
                    r#"<tileset firstgid="10" name="hot" tilewidth="32" tileheight="32" tilecount="1" columns="1"><image source="x.png" width="32" height="32"/><tile id="0"><properties><property name="terrain" value="lava"/></properties></tile></tileset>{LAYER}"#
                ),
            ),
            "terrain `lava`: expected `floor`, `wall`, `difficult`, `door` or `water`",
        ),
        (
            tmx("", LAYER).replace("tiles.tsx", "../../etc/passwd.tsx"),
            "not among the files of maps/",
        ),
        (tmx("", LAYER).replace("</map>", ""), "cut short"),
        (
            tmx("", LAYER).replace("<layer", "<layer <"),
            "malformed XML",
        ),
        (
            tmx("", &LAYER.replace("2,1,2,2,1,2", "2,1,2")),
            "holds 3 tiles: expected 6",
        ),
        (
            tmx("", &LAYER.replace(r#"width="3""#, r#"width="4""#)),
            "tile layer is 4×2: expected the map's size, 3×2",
        ),
    ];
    for (map, expected) in cases {
        let err = error_of(&map);
        assert!(err.contains(expected), "expected «{expected}» in: {err}");
    }
}

#[test]
fn an_object_error_is_located_at_the_object() {
    let map = tmx(
        "",
        &object("Spawn", r#"<property name="side" value="ally"/>"#),
    );
    let err = with_shipped(&[("maps/bad.tmx", &map)]).unwrap_err();
    let e = &err.0[0];
    let line = map
        .lines()
        .position(|l| l.contains(r#"<object id="7""#))
        .unwrap()
        + 1;
    assert_eq!(e.line, line, "{e}");
}

#[test]
fn an_exit_to_a_scene_the_adventure_lacks_is_an_error_in_the_map() {
    let map = tmx(
        "",
        &object("Exit", r#"<property name="to" value="nowhere"/>"#),
    );
    let scene = r#"(id: "hall", name: "Hall", map: "bad", description: "A hall.", starts: [(1, 0), (1, 1)])"#;
    let adventure = r#"(id: "a", name: "A", intro: "A.", party: ["fighter"], start: "hall")"#;
    let err = with_shipped(&[
        ("maps/bad.tmx", &map),
        ("adventures/a/adventure.ron", adventure),
        ("adventures/a/hall.ron", scene),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("maps/bad.tmx") && err.contains("Exit `thing` leads to scene `nowhere`"),
        "{err}"
    );
}

#[test]
fn a_malformed_tmj_is_located_by_line_and_column() {
    let err =
        with_shipped(&[("maps/bad.tmj", "{\n  \"width\": 3,\n  \"height\": oops\n}")]).unwrap_err();
    let e = &err.0[0];
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("malformed JSON"), "{e}");
}

/// A small deterministic generator for garbage.
fn noise(seed: u64, len: usize, alphabet: &[u8]) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

#[test]
fn truncated_garbage_and_absurd_files_are_refused_without_a_panic() {
    let den = std::fs::read_to_string(shipped().join("maps/den.tmx")).unwrap();
    let keep = TMJ;
    let mut files: Vec<(&str, String)> = Vec::new();
    for cut in (0..den.len()).step_by(53) {
        files.push(("maps/bad.tmx", den[..cut].to_string()));
    }
    for cut in (0..keep.len()).step_by(97) {
        files.push(("maps/bad.tmj", keep[..cut].to_string()));
    }
    for seed in 0..40 {
        files.push((
            "maps/bad.tmx",
            noise(seed, 300, b"<>/=\" mapwidthlayerdata0123456789,"),
        ));
        files.push((
            "maps/bad.tmj",
            noise(seed, 300, b"{}[]:,\" 0123456789widthlayersdata"),
        ));
    }
    // Sizes no map has, a layer shorter than the map (the reader would index past it), a
    // zlib bomb, nesting without end, a billion laughs, a tileset claiming four billion tiles.
    files.push((
        "maps/bad.tmx",
        tmx("", LAYER).replace(r#"width="3""#, r#"width="4294967296""#),
    ));
    files.push((
        "maps/bad.tmx",
        tmx("", LAYER).replace(r#"height="2""#, r#"height="100000""#),
    ));
    files.push(("maps/bad.tmx", tmx("", &LAYER.replace("2,1,2,2,1,2", "1"))));
    let bomb = {
        use base64::Engine;
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 16 << 20]).unwrap();
        base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap())
    };
    files.push(("maps/bad.tmx", tmx("", &format!(r#"<layer id="1" width="3" height="2"><data encoding="base64" compression="zlib">{bomb}</data></layer>"#))));
    files.push((
        "maps/bad.tmx",
        tmx(
            "",
            &format!(
                "{}{}{LAYER}",
                "<group>".repeat(5000),
                "</group>".repeat(5000)
            ),
        ),
    ));
    let mut laughs = String::from(r#"<!ENTITY lol0 "lol">"#);
    for i in 1..10 {
        let prev = format!("&lol{};", i - 1).repeat(10);
        laughs.push_str(&format!(r#"<!ENTITY lol{i} "{prev}">"#));
    }
    files.push((
        "maps/bad.tmx",
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE map [{laughs}]>\n{}",
            tmx("", LAYER)
                .replace(r#"<?xml version="1.0" encoding="UTF-8"?>"#, "")
                .replace(
                    "<layer ",
                    r#"<properties><property name="x" value="&lol9;"/></properties><layer "#
                )
        ),
    ));
    files.push(("maps/bad.tmx", tmx("", &format!(r#"<tileset firstgid="9" name="x" tilewidth="32" tileheight="32" tilecount="4000000000" columns="1"/>{LAYER}"#))));
    files.push((
        "maps/bad.tmj",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    ));
    files.push(("maps/bad.tmj", r#"{"orientation":"orthogonal","width":3,"height":2,"tilewidth":32,"tileheight":32,"layers":[{"type":"tilelayer","width":3,"height":2,"data":[1]}]}"#.into()));
    for (path, text) in &files {
        // Some prefixes of a good file are still good (a cut after the closing tag): fine.
        if let Err(e) = with_shipped(&[(path, text)]) {
            assert!(!e.0.is_empty());
            let _ = e.to_string();
        }
    }
    // A cut inside the map is an error.
    assert!(with_shipped(&[("maps/bad.tmx", &den[..den.len() / 2])]).is_err());
}
