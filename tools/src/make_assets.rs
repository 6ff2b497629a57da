//! `emberkeep-tools make-assets`: draws the tileset, token portraits and UI art, and
//! synthesises the sounds, into `assets/art` and `assets/sounds`. Everything is made from code
//! with fixed seeds, so the files are original, reproducible byte for byte, and checked:
//! `make-assets --check` (run by the tests) fails if a committed file differs from what this
//! tool makes.

use anyhow::{Context, Result, bail};
use std::f32::consts::TAU;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `make-assets`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The assets folder to write into.
    #[arg(long, default_value = "assets")]
    pub out: PathBuf,
    /// Compare instead of writing; exit 1 if any file is missing or differs.
    #[arg(long)]
    pub check: bool,
}

/// Tile edge in pixels (the client's square).
pub const TILE_PX: u32 = 32;
/// Token portrait edge in pixels.
const TOKEN_PX: u32 = 64;
/// Sample rate of every sound.
const RATE: u32 = 22_050;

/// One generated file: path under the assets folder and its bytes.
pub struct Made {
    /// Path relative to the assets folder.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let files = make_all()?;
    let mut differ = Vec::new();
    for f in &files {
        let path = args.out.join(&f.path);
        if args.check {
            match std::fs::read(&path) {
                Ok(old) if old == f.bytes => {}
                Ok(_) => differ.push(format!(
                    "{} differs from what make-assets makes",
                    path.display()
                )),
                Err(_) => differ.push(format!("{} is missing", path.display())),
            }
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&path, &f.bytes)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.check {
        for d in &differ {
            eprintln!("{d}");
        }
        if !differ.is_empty() {
            eprintln!("run `cargo run -p emberkeep-tools -- make-assets` to remake them");
            return Ok(ExitCode::from(1));
        }
        println!("{} generated assets match", files.len());
    } else {
        let total: usize = files.iter().map(|f| f.bytes.len()).sum();
        println!(
            "wrote {} files ({} KiB) under {}",
            files.len(),
            total / 1024,
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every generated file.
pub fn make_all() -> Result<Vec<Made>> {
    let mut out = Vec::new();
    out.push(Made {
        path: "art/tiles.png".into(),
        bytes: png_bytes(TILE_PX * 4, TILE_PX, |x, y| {
            tile_pixel(x / TILE_PX, x % TILE_PX, y)
        })?,
    });
    out.push(Made {
        path: "art/disc.png".into(),
        bytes: png_bytes(64, 64, disc(64, 0.0))?,
    });
    out.push(Made {
        path: "art/ring.png".into(),
        bytes: png_bytes(64, 64, disc(64, 0.80))?,
    });
    for (id, face) in portraits() {
        out.push(Made {
            path: format!("art/tokens/{id}.png"),
            bytes: png_bytes(TOKEN_PX, TOKEN_PX, |x, y| portrait_pixel(&face, x, y))?,
        });
    }
    for (name, samples) in sounds() {
        out.push(Made {
            path: format!("sounds/{name}.wav"),
            bytes: wav_bytes(&samples)?,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Pictures

/// A tiny deterministic hash for texture noise, 0..=1.
fn noise(x: u32, y: u32, salt: u32) -> f32 {
    let mut h = x.wrapping_mul(374_761_393)
        ^ y.wrapping_mul(668_265_263)
        ^ salt.wrapping_mul(2_246_822_519);
    h = (h ^ (h >> 13)).wrapping_mul(1_274_126_177);
    ((h ^ (h >> 16)) & 0xff) as f32 / 255.0
}

fn rgba(c: [f32; 3], shade: f32) -> [u8; 4] {
    let f = |v: f32| ((v * shade).clamp(0.0, 1.0) * 255.0) as u8;
    [f(c[0]), f(c[1]), f(c[2]), 255]
}

/// Floor, wall, difficult ground, door — in that order, as the client's tile indices.
fn tile_pixel(kind: u32, x: u32, y: u32) -> [u8; 4] {
    let n = noise(x, y, kind);
    let edge = x == 0 || y == 0;
    match kind {
        0 => rgba(
            [0.36, 0.31, 0.25],
            0.85 + 0.2 * n - if edge { 0.12 } else { 0.0 },
        ),
        1 => {
            // Stone blocks: mortar lines every 8 px, offset on alternate rows.
            let row = y / 8;
            let mortar = y.is_multiple_of(8)
                || (x + if row.is_multiple_of(2) { 0 } else { 8 }).is_multiple_of(16);
            rgba(
                [0.22, 0.21, 0.24],
                if mortar { 0.55 } else { 0.9 + 0.25 * n },
            )
        }
        2 => {
            let pebble = noise(x / 3, y / 3, 9) > 0.72;
            rgba(
                if pebble {
                    [0.45, 0.42, 0.30]
                } else {
                    [0.30, 0.36, 0.22]
                },
                0.8 + 0.3 * n,
            )
        }
        _ => {
            // A wooden door: planks with dark seams and an iron band.
            let seam = x.is_multiple_of(8);
            let band = (12..15).contains(&y);
            let c = if band {
                [0.25, 0.25, 0.27]
            } else {
                [0.50, 0.33, 0.18]
            };
            rgba(c, if seam { 0.6 } else { 0.85 + 0.2 * n })
        }
    }
}

/// A white disc (`inner` 0) or ring (inner radius as a fraction), soft-edged, to be tinted.
fn disc(size: u32, inner: f32) -> impl Fn(u32, u32) -> [u8; 4] {
    move |x, y| {
        let c = (size as f32 - 1.0) / 2.0;
        let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt() / c;
        let a = if d <= 1.0 && d >= inner {
            (1.0 - (d - 0.97).max(0.0) * 30.0).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let shade = if inner == 0.0 { 1.0 - 0.25 * d } else { 1.0 };
        let v = (shade * 255.0) as u8;
        [v, v, v, (a * 255.0) as u8]
    }
}

/// A shape in portrait space (-1..1, y down), filled with a colour.
#[derive(Clone, Copy)]
enum Shape {
    /// Centre, radii.
    Ellipse([f32; 2], [f32; 2]),
    /// Three corners.
    Triangle([f32; 2], [f32; 2], [f32; 2]),
    /// Centre, half extents.
    Rect([f32; 2], [f32; 2]),
}

impl Shape {
    fn contains(self, p: [f32; 2]) -> bool {
        match self {
            Shape::Ellipse(c, r) => {
                ((p[0] - c[0]) / r[0]).powi(2) + ((p[1] - c[1]) / r[1]).powi(2) <= 1.0
            }
            Shape::Triangle(a, b, c) => {
                let side = |p: [f32; 2], q: [f32; 2], r: [f32; 2]| {
                    (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
                };
                let (d1, d2, d3) = (side(a, b, p), side(b, c, p), side(c, a, p));
                !((d1 < 0.0 || d2 < 0.0 || d3 < 0.0) && (d1 > 0.0 || d2 > 0.0 || d3 > 0.0))
            }
            Shape::Rect(c, h) => (p[0] - c[0]).abs() <= h[0] && (p[1] - c[1]).abs() <= h[1],
        }
    }
}

/// A portrait: a backdrop colour and shapes painted in order.
struct Face {
    backdrop: [f32; 3],
    layers: Vec<(Shape, [f32; 3])>,
}

/// Both eyes at height `y`, `gap` apart, of radius `r`.
fn eyes(y: f32, gap: f32, r: f32, colour: [f32; 3]) -> [(Shape, [f32; 3]); 2] {
    [
        (Shape::Ellipse([-gap, y], [r, r]), colour),
        (Shape::Ellipse([gap, y], [r, r]), colour),
    ]
}

/// The shipped creatures and pregens, by content id.
fn portraits() -> Vec<(&'static str, Face)> {
    use Shape::*;
    let skin = [0.86, 0.66, 0.50];
    let dark = [0.08, 0.06, 0.06];
    let mut list = Vec::new();
    // Goblin: green, wide pointed ears, yellow eyes.
    let green = [0.46, 0.62, 0.30];
    let mut goblin = vec![
        (
            Triangle([-0.35, -0.1], [-0.95, -0.35], [-0.35, 0.15]),
            green,
        ),
        (Triangle([0.35, -0.1], [0.95, -0.35], [0.35, 0.15]), green),
        (Ellipse([0.0, 0.05], [0.42, 0.5]), green),
        (
            Triangle([0.0, 0.0], [-0.07, 0.22], [0.07, 0.22]),
            [0.36, 0.50, 0.22],
        ),
        (Rect([0.0, 0.35], [0.2, 0.03]), dark),
    ];
    goblin.extend(eyes(-0.08, 0.17, 0.08, [0.95, 0.85, 0.2]));
    list.push((
        "goblin",
        Face {
            backdrop: [0.20, 0.16, 0.12],
            layers: goblin,
        },
    ));
    // Bugbear: shaggy brown, round ears, heavy brow.
    let fur = [0.55, 0.36, 0.18];
    let mut bugbear = vec![
        (Ellipse([-0.42, -0.42], [0.17, 0.17]), fur),
        (Ellipse([0.42, -0.42], [0.17, 0.17]), fur),
        (Ellipse([0.0, 0.05], [0.6, 0.62]), fur),
        (Ellipse([0.0, 0.3], [0.3, 0.2]), [0.70, 0.52, 0.32]),
        (Rect([0.0, -0.16], [0.38, 0.05]), [0.35, 0.22, 0.10]),
        (Ellipse([0.0, 0.2], [0.1, 0.07]), dark),
    ];
    bugbear.extend(eyes(-0.05, 0.2, 0.07, dark));
    list.push((
        "bugbear",
        Face {
            backdrop: [0.18, 0.14, 0.10],
            layers: bugbear,
        },
    ));
    // Orc: grey-green, tusks, red eyes.
    let orc_skin = [0.42, 0.52, 0.36];
    let mut orc = vec![
        (Ellipse([0.0, 0.05], [0.52, 0.58]), orc_skin),
        (Rect([0.0, -0.42], [0.38, 0.1]), [0.15, 0.13, 0.12]),
        (Rect([0.0, 0.36], [0.24, 0.04]), dark),
        (
            Triangle([-0.2, 0.36], [-0.14, 0.18], [-0.1, 0.36]),
            [0.95, 0.92, 0.82],
        ),
        (
            Triangle([0.2, 0.36], [0.14, 0.18], [0.1, 0.36]),
            [0.95, 0.92, 0.82],
        ),
    ];
    orc.extend(eyes(-0.08, 0.2, 0.07, [0.9, 0.15, 0.1]));
    list.push((
        "orc",
        Face {
            backdrop: [0.16, 0.14, 0.14],
            layers: orc,
        },
    ));
    // Bandit: dark hood, cloth mask, a glint of eyes.
    let mut bandit = vec![
        (Ellipse([0.0, 0.1], [0.62, 0.72]), [0.24, 0.20, 0.18]),
        (Ellipse([0.0, 0.1], [0.4, 0.5]), skin),
        (Rect([0.0, 0.3], [0.4, 0.2]), [0.55, 0.15, 0.12]),
    ];
    bandit.extend(eyes(-0.02, 0.16, 0.06, dark));
    list.push((
        "bandit",
        Face {
            backdrop: [0.12, 0.12, 0.14],
            layers: bandit,
        },
    ));
    // Skeleton: a skull.
    let bone = [0.90, 0.88, 0.80];
    let mut skeleton = vec![
        (Ellipse([0.0, -0.05], [0.5, 0.5]), bone),
        (Rect([0.0, 0.4], [0.26, 0.15]), bone),
        (Triangle([0.0, 0.1], [-0.08, 0.25], [0.08, 0.25]), dark),
    ];
    skeleton.extend(eyes(-0.02, 0.2, 0.13, dark));
    for i in -2..=2 {
        skeleton.push((
            Rect([i as f32 * 0.1, 0.42], [0.012, 0.1]),
            [0.35, 0.33, 0.3],
        ));
    }
    list.push((
        "skeleton",
        Face {
            backdrop: [0.10, 0.12, 0.16],
            layers: skeleton,
        },
    ));
    // Wolf: grey, tall ears, long snout.
    let grey = [0.55, 0.55, 0.58];
    let mut wolf = vec![
        (Triangle([-0.45, -0.2], [-0.35, -0.85], [-0.05, -0.3]), grey),
        (Triangle([0.45, -0.2], [0.35, -0.85], [0.05, -0.3]), grey),
        (Ellipse([0.0, -0.05], [0.48, 0.42]), grey),
        (Ellipse([0.0, 0.35], [0.22, 0.3]), [0.72, 0.72, 0.74]),
        (Ellipse([0.0, 0.55], [0.09, 0.07]), dark),
    ];
    wolf.extend(eyes(-0.1, 0.2, 0.07, [0.95, 0.7, 0.2]));
    list.push((
        "wolf",
        Face {
            backdrop: [0.14, 0.16, 0.14],
            layers: wolf,
        },
    ));
    // Kobold: small rust-red reptile head with two horns.
    let scale = [0.62, 0.30, 0.20];
    let mut kobold = vec![
        (
            Triangle([-0.3, -0.3], [-0.5, -0.85], [-0.12, -0.4]),
            [0.85, 0.80, 0.65],
        ),
        (
            Triangle([0.3, -0.3], [0.5, -0.85], [0.12, -0.4]),
            [0.85, 0.80, 0.65],
        ),
        (Ellipse([0.0, 0.0], [0.38, 0.45]), scale),
        (Ellipse([0.0, 0.38], [0.22, 0.2]), [0.70, 0.38, 0.26]),
        (Rect([0.0, 0.45], [0.14, 0.02]), dark),
    ];
    kobold.extend(eyes(-0.08, 0.16, 0.07, [0.95, 0.8, 0.1]));
    list.push((
        "kobold",
        Face {
            backdrop: [0.16, 0.12, 0.10],
            layers: kobold,
        },
    ));
    // Giant rat: brown, round ears, pink nose.
    let rat = [0.45, 0.38, 0.32];
    let mut giant_rat = vec![
        (Ellipse([-0.38, -0.4], [0.18, 0.18]), [0.80, 0.58, 0.58]),
        (Ellipse([0.38, -0.4], [0.18, 0.18]), [0.80, 0.58, 0.58]),
        (Ellipse([0.0, 0.0], [0.45, 0.42]), rat),
        (Triangle([-0.25, 0.15], [0.25, 0.15], [0.0, 0.62]), rat),
        (Ellipse([0.0, 0.6], [0.07, 0.05]), [0.95, 0.6, 0.65]),
    ];
    giant_rat.extend(eyes(-0.05, 0.18, 0.06, dark));
    list.push((
        "giant-rat",
        Face {
            backdrop: [0.12, 0.11, 0.10],
            layers: giant_rat,
        },
    ));
    // Zombie: grey-green rotting face, a stitched mouth.
    let rot = [0.52, 0.58, 0.45];
    let mut zombie = vec![
        (Ellipse([0.0, 0.05], [0.46, 0.56]), rot),
        (Rect([0.0, -0.45], [0.3, 0.08]), [0.22, 0.2, 0.16]),
        (Rect([0.0, 0.32], [0.22, 0.025]), dark),
    ];
    zombie.extend(eyes(-0.05, 0.18, 0.09, [0.2, 0.22, 0.15]));
    for i in -2..=2 {
        zombie.push((Rect([i as f32 * 0.09, 0.32], [0.01, 0.06]), dark));
    }
    list.push((
        "zombie",
        Face {
            backdrop: [0.10, 0.12, 0.10],
            layers: zombie,
        },
    ));
    // Cultist: a deep red hood over a pale face.
    let mut cultist = vec![
        (
            Triangle([-0.7, 0.9], [0.7, 0.9], [0.0, -0.9]),
            [0.50, 0.08, 0.10],
        ),
        (Ellipse([0.0, 0.15], [0.3, 0.38]), [0.80, 0.74, 0.70]),
        (Rect([0.0, 0.38], [0.1, 0.02]), dark),
    ];
    cultist.extend(eyes(0.05, 0.12, 0.05, dark));
    list.push((
        "cultist",
        Face {
            backdrop: [0.08, 0.06, 0.08],
            layers: cultist,
        },
    ));
    // Acolyte: a white hood with a gold band.
    let mut acolyte = vec![
        (Ellipse([0.0, 0.1], [0.58, 0.7]), [0.90, 0.88, 0.82]),
        (Ellipse([0.0, 0.15], [0.34, 0.42]), skin),
        (Rect([0.0, -0.3], [0.4, 0.05]), [0.9, 0.75, 0.25]),
        (Rect([0.0, 0.36], [0.1, 0.02]), [0.5, 0.3, 0.25]),
    ];
    acolyte.extend(eyes(0.05, 0.14, 0.05, dark));
    list.push((
        "acolyte",
        Face {
            backdrop: [0.16, 0.16, 0.24],
            layers: acolyte,
        },
    ));
    // Hobgoblin: orange-red skin under an iron helm.
    let hob = [0.78, 0.40, 0.22];
    let mut hobgoblin = vec![
        (Triangle([-0.35, -0.05], [-0.8, -0.25], [-0.35, 0.15]), hob),
        (Triangle([0.35, -0.05], [0.8, -0.25], [0.35, 0.15]), hob),
        (Ellipse([0.0, 0.08], [0.42, 0.52]), hob),
        (Ellipse([0.0, -0.3], [0.46, 0.3]), [0.35, 0.35, 0.4]),
        (Rect([0.0, 0.36], [0.18, 0.03]), dark),
    ];
    hobgoblin.extend(eyes(0.0, 0.17, 0.07, [0.95, 0.85, 0.2]));
    list.push((
        "hobgoblin",
        Face {
            backdrop: [0.18, 0.12, 0.10],
            layers: hobgoblin,
        },
    ));
    // Giant spider: a black body, eight red eyes, fangs.
    let mut giant_spider = vec![(Ellipse([0.0, 0.05], [0.6, 0.55]), [0.12, 0.1, 0.12])];
    for (x, y, r) in [
        (-0.12, -0.1, 0.07),
        (0.12, -0.1, 0.07),
        (-0.3, -0.16, 0.05),
        (0.3, -0.16, 0.05),
        (-0.06, -0.26, 0.04),
        (0.06, -0.26, 0.04),
        (-0.2, -0.3, 0.035),
        (0.2, -0.3, 0.035),
    ] {
        giant_spider.push((Ellipse([x, y], [r, r]), [0.9, 0.1, 0.1]));
    }
    giant_spider.push((
        Triangle([-0.14, 0.2], [-0.04, 0.2], [-0.1, 0.5]),
        [0.85, 0.85, 0.8],
    ));
    giant_spider.push((
        Triangle([0.14, 0.2], [0.04, 0.2], [0.1, 0.5]),
        [0.85, 0.85, 0.8],
    ));
    list.push((
        "giant-spider",
        Face {
            backdrop: [0.22, 0.20, 0.24],
            layers: giant_spider,
        },
    ));
    // Ghoul: pale blue-grey, hollow cheeks, long teeth.
    let pale = [0.66, 0.70, 0.74];
    let mut ghoul = vec![
        (Ellipse([0.0, 0.05], [0.42, 0.58]), pale),
        (Ellipse([0.0, 0.36], [0.2, 0.1]), dark),
    ];
    ghoul.extend(eyes(-0.08, 0.17, 0.08, [0.85, 0.9, 0.3]));
    for i in -2..=2 {
        ghoul.push((
            Triangle(
                [i as f32 * 0.07 - 0.025, 0.3],
                [i as f32 * 0.07 + 0.025, 0.3],
                [i as f32 * 0.07, 0.42],
            ),
            [0.95, 0.93, 0.85],
        ));
    }
    list.push((
        "ghoul",
        Face {
            backdrop: [0.10, 0.10, 0.14],
            layers: ghoul,
        },
    ));
    // Ogre: a huge tan head, small eyes, an underbite.
    let ogre_skin = [0.72, 0.58, 0.38];
    let mut ogre = vec![
        (Ellipse([0.0, 0.05], [0.7, 0.72]), ogre_skin),
        (Rect([0.0, -0.2], [0.45, 0.05]), [0.45, 0.32, 0.2]),
        (Rect([0.0, 0.42], [0.3, 0.08]), [0.35, 0.2, 0.15]),
        (
            Triangle([-0.2, 0.42], [-0.12, 0.26], [-0.06, 0.42]),
            [0.95, 0.92, 0.82],
        ),
        (
            Triangle([0.2, 0.42], [0.12, 0.26], [0.06, 0.42]),
            [0.95, 0.92, 0.82],
        ),
        (Ellipse([0.0, 0.15], [0.12, 0.1]), [0.62, 0.46, 0.3]),
    ];
    ogre.extend(eyes(-0.05, 0.2, 0.05, dark));
    list.push((
        "ogre",
        Face {
            backdrop: [0.16, 0.14, 0.10],
            layers: ogre,
        },
    ));
    // Fighter: steel helm with a nose guard.
    let steel = [0.62, 0.64, 0.70];
    let mut fighter = vec![
        (Ellipse([0.0, 0.1], [0.42, 0.52]), skin),
        (Ellipse([0.0, -0.2], [0.5, 0.42]), steel),
        (Rect([0.0, 0.0], [0.5, 0.05]), [0.45, 0.46, 0.52]),
        (Rect([0.0, 0.05], [0.05, 0.16]), steel),
        (Rect([0.0, 0.36], [0.14, 0.03]), [0.45, 0.25, 0.2]),
    ];
    fighter.extend(eyes(0.1, 0.18, 0.06, dark));
    list.push((
        "fighter",
        Face {
            backdrop: [0.14, 0.18, 0.28],
            layers: fighter,
        },
    ));
    // Wizard: tall blue hat, white beard.
    let hat = [0.25, 0.30, 0.70];
    let mut wizard = vec![
        (Ellipse([0.0, 0.15], [0.36, 0.44]), skin),
        (Ellipse([0.0, 0.45], [0.34, 0.4]), [0.92, 0.92, 0.92]),
        (Triangle([-0.5, -0.15], [0.5, -0.15], [0.1, -0.95]), hat),
        (Rect([0.0, -0.15], [0.55, 0.06]), hat),
        (Ellipse([0.05, -0.5], [0.06, 0.06]), [0.95, 0.85, 0.3]),
    ];
    wizard.extend(eyes(0.05, 0.15, 0.05, dark));
    list.push((
        "wizard",
        Face {
            backdrop: [0.14, 0.18, 0.28],
            layers: wizard,
        },
    ));
    // Rogue: green hood, half-shadowed face.
    let hood = [0.20, 0.36, 0.24];
    let mut rogue = vec![
        (Triangle([-0.6, 0.8], [0.6, 0.8], [0.0, -0.85]), hood),
        (Ellipse([0.0, 0.12], [0.32, 0.42]), skin),
        (Rect([0.0, -0.16], [0.34, 0.08]), [0.12, 0.2, 0.14]),
    ];
    rogue.extend(eyes(0.02, 0.13, 0.05, dark));
    list.push((
        "rogue",
        Face {
            backdrop: [0.14, 0.18, 0.28],
            layers: rogue,
        },
    ));
    // Cleric: a golden sun behind a white coif.
    let gold = [0.95, 0.78, 0.30];
    let mut cleric = Vec::new();
    for i in 0..12 {
        let a = i as f32 / 12.0 * TAU;
        let (s, c) = a.sin_cos();
        cleric.push((
            Triangle(
                [0.55 * c - 0.12 * s, 0.55 * s + 0.12 * c],
                [0.55 * c + 0.12 * s, 0.55 * s - 0.12 * c],
                [0.92 * c, 0.92 * s],
            ),
            gold,
        ));
    }
    cleric.extend([
        (Ellipse([0.0, 0.05], [0.56, 0.6]), [0.92, 0.92, 0.88]),
        (Ellipse([0.0, 0.1], [0.34, 0.42]), skin),
    ]);
    cleric.extend(eyes(0.05, 0.14, 0.05, dark));
    cleric.push((Rect([0.0, 0.3], [0.1, 0.025]), [0.55, 0.3, 0.25]));
    list.push((
        "cleric",
        Face {
            backdrop: [0.14, 0.18, 0.28],
            layers: cleric,
        },
    ));
    list
}

/// A portrait pixel: a round medallion, 4×4 supersampled, with a soft light from the top left.
fn portrait_pixel(face: &Face, x: u32, y: u32) -> [u8; 4] {
    let mut acc = [0.0f32; 4];
    for sy in 0..4 {
        for sx in 0..4 {
            let p = [
                ((x as f32 + (sx as f32 + 0.5) / 4.0) / TOKEN_PX as f32) * 2.0 - 1.0,
                ((y as f32 + (sy as f32 + 0.5) / 4.0) / TOKEN_PX as f32) * 2.0 - 1.0,
            ];
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            if r > 0.98 {
                continue;
            }
            let mut c = face.backdrop;
            for (shape, colour) in &face.layers {
                if shape.contains(p) {
                    c = *colour;
                }
            }
            let light = 1.05 - 0.25 * ((p[0] + p[1]) * 0.5 + 0.5) - 0.2 * r.powi(4);
            for i in 0..3 {
                acc[i] += (c[i] * light).clamp(0.0, 1.0);
            }
            acc[3] += 1.0;
        }
    }
    if acc[3] == 0.0 {
        return [0, 0, 0, 0];
    }
    let n = acc[3];
    [
        (acc[0] / n * 255.0) as u8,
        (acc[1] / n * 255.0) as u8,
        (acc[2] / n * 255.0) as u8,
        (n / 16.0 * 255.0) as u8,
    ]
}

fn png_bytes(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Result<Vec<u8>> {
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            data.extend_from_slice(&pixel(x, y));
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&data)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Sounds

/// A seeded white-noise source (xorshift), -1..1.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 as f32 / u32::MAX as f32) * 2.0 - 1.0
    }
}

fn seconds(s: f32) -> usize {
    (s * RATE as f32) as usize
}

/// Adds a plucked/struck tone: partials (frequency ratio, level) with an exponential decay.
fn tone(buf: &mut [f32], at: f32, freq: f32, partials: &[(f32, f32)], decay: f32, level: f32) {
    let start = seconds(at);
    for (i, s) in buf.iter_mut().enumerate().skip(start) {
        let t = (i - start) as f32 / RATE as f32;
        let env = (-t / decay).exp() * (t * 400.0).min(1.0);
        if t > 0.01 && env < 1e-4 {
            break;
        }
        let v: f32 = partials
            .iter()
            .map(|(ratio, l)| l * (TAU * freq * ratio * t).sin())
            .sum();
        *s += level * env * v;
    }
}

/// Adds a burst of filtered noise (a click, a rattle, a crack).
fn burst(buf: &mut [f32], noise: &mut Noise, at: f32, length: f32, smooth: f32, level: f32) {
    let start = seconds(at);
    let n = seconds(length);
    let mut low = 0.0;
    for i in 0..n {
        if start + i >= buf.len() {
            break;
        }
        let t = i as f32 / n as f32;
        low += (noise.next() - low) * (1.0 - smooth);
        buf[start + i] += level * low * (1.0 - t).powi(3);
    }
}

/// Adds a drum: a sine that sweeps down from `from` to `to` Hz.
fn drum(buf: &mut [f32], at: f32, from: f32, to: f32, decay: f32, level: f32) {
    let start = seconds(at);
    let mut phase = 0.0f32;
    for (i, s) in buf.iter_mut().enumerate().skip(start) {
        let t = (i - start) as f32 / RATE as f32;
        let env = (-t / decay).exp();
        if env < 1e-4 {
            break;
        }
        let f = to + (from - to) * (-t / 0.04).exp();
        phase += TAU * f / RATE as f32;
        *s += level * env * phase.sin();
    }
}

fn silence(length: f32) -> Vec<f32> {
    vec![0.0; seconds(length)]
}

const BELL: &[(f32, f32)] = &[(1.0, 1.0), (2.0, 0.4), (3.01, 0.2), (4.2, 0.12)];
const PLUCK: &[(f32, f32)] = &[(1.0, 1.0), (2.0, 0.5), (3.0, 0.25), (4.0, 0.12)];

/// Every sound by file stem: the cues (see the client's `cues` module) and two music loops.
fn sounds() -> Vec<(&'static str, Vec<f32>)> {
    let mut noise = Noise(0x5eed_1234);
    let mut out = Vec::new();

    let mut dice = silence(0.6);
    for (i, at) in [0.0, 0.07, 0.12, 0.2, 0.26, 0.33, 0.41]
        .into_iter()
        .enumerate()
    {
        burst(&mut dice, &mut noise, at, 0.03, 0.3, 0.8 - i as f32 * 0.08);
        tone(
            &mut dice,
            at,
            1800.0 + 300.0 * i as f32,
            &[(1.0, 1.0)],
            0.015,
            0.25,
        );
    }
    out.push(("dice", dice));

    let mut hit = silence(0.5);
    drum(&mut hit, 0.0, 160.0, 55.0, 0.12, 0.9);
    burst(&mut hit, &mut noise, 0.0, 0.08, 0.5, 0.6);
    out.push(("hit", hit));

    let mut miss = silence(0.45);
    let n = miss.len();
    let mut low = 0.0;
    for (i, s) in miss.iter_mut().enumerate() {
        let t = i as f32 / n as f32;
        let smooth = 0.97 - 0.25 * t;
        low += (noise.next() - low) * (1.0 - smooth);
        *s += 1.4 * low * (TAU * 0.5 * t).sin().powi(2);
    }
    out.push(("miss", miss));

    let mut critical = silence(1.0);
    drum(&mut critical, 0.0, 180.0, 50.0, 0.15, 0.9);
    burst(&mut critical, &mut noise, 0.0, 0.1, 0.4, 0.7);
    tone(&mut critical, 0.05, 880.0, BELL, 0.35, 0.35);
    tone(&mut critical, 0.05, 1318.5, BELL, 0.35, 0.25);
    out.push(("critical", critical));

    let mut chime = silence(1.2);
    tone(&mut chime, 0.0, 659.3, BELL, 0.4, 0.4);
    tone(&mut chime, 0.16, 987.8, BELL, 0.5, 0.4);
    out.push(("your-turn", chime));

    let mut downed = silence(0.8);
    let mut phase = 0.0f32;
    let n = downed.len();
    for (i, s) in downed.iter_mut().enumerate() {
        let t = i as f32 / n as f32;
        phase += TAU * (300.0 - 190.0 * t) / RATE as f32;
        *s += 0.5 * (1.0 - t).powi(2) * (phase.sin() + 0.3 * (2.0 * phase).sin());
    }
    out.push(("downed", downed));

    let mut victory = silence(1.8);
    for (i, f) in [523.3, 659.3, 784.0, 1046.5].into_iter().enumerate() {
        tone(&mut victory, i as f32 * 0.14, f, PLUCK, 0.5, 0.3);
    }
    tone(&mut victory, 0.56, 784.0, PLUCK, 0.8, 0.2);
    out.push(("victory", victory));

    let mut defeat = silence(1.9);
    for (i, f) in [440.0, 349.2, 293.7, 220.0].into_iter().enumerate() {
        tone(&mut defeat, i as f32 * 0.3, f, PLUCK, 0.6, 0.32);
    }
    out.push(("defeat", defeat));

    // Ambience: an 8-second loop — a low drone whose partials complete whole cycles in the
    // loop, and soft wind that is cross-faded over the seam.
    let length = 8.0;
    let mut ambience = silence(length);
    let n = ambience.len();
    for (i, s) in ambience.iter_mut().enumerate() {
        let t = i as f32 / RATE as f32;
        let swell = 0.6 + 0.4 * (TAU * t / length).sin();
        *s += 0.16 * swell * (TAU * 55.0 * t).sin()
            + 0.08 * (TAU * 82.5 * t).sin() * (0.5 + 0.5 * (TAU * 2.0 * t / length).cos())
            + 0.04 * (TAU * 110.0 * t).sin();
    }
    let fade = seconds(1.0);
    let mut wind = vec![0.0f32; n + fade];
    let mut low = 0.0;
    let mut lower = 0.0;
    for w in wind.iter_mut() {
        low += (noise.next() - low) * 0.05;
        lower += (low - lower) * 0.05;
        *w = lower * 2.5;
    }
    for i in 0..n {
        let mut w = wind[i];
        if i < fade {
            // The loop's start blends in the tail past its end.
            let k = i as f32 / fade as f32;
            w = wind[i] * k + wind[n + i] * (1.0 - k);
        }
        ambience[i] += w;
    }
    out.push(("ambience", ambience));

    // Battle: 16 beats at 120 bpm (8 s): kick and tom pattern over a low ostinato.
    let beat = 0.5;
    let mut battle = silence(16.0 * beat);
    for b in 0..16 {
        let at = b as f32 * beat;
        drum(&mut battle, at, 120.0, 48.0, 0.18, 0.7);
        if b % 4 == 2 {
            drum(&mut battle, at + beat * 0.5, 220.0, 140.0, 0.12, 0.35);
            drum(&mut battle, at + beat * 0.75, 220.0, 140.0, 0.12, 0.3);
        }
        burst(&mut battle, &mut noise, at + beat * 0.5, 0.04, 0.2, 0.12);
        let bass = [73.4, 73.4, 87.3, 65.4][(b / 4) as usize];
        tone(&mut battle, at, bass, PLUCK, 0.3, 0.25);
    }
    out.push(("battle", battle));
    out
}

fn wav_bytes(samples: &[f32]) -> Result<Vec<u8>> {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak == 0.0 {
        bail!("a silent sound");
    }
    let gain = 0.8 / peak;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut cursor, spec)?;
        for s in samples {
            writer.write_sample((s * gain * i16::MAX as f32) as i16)?;
        }
        writer.finalize()?;
    }
    Ok(cursor.into_inner())
}

/// The repository's assets folder (for the tests).
#[cfg(test)]
fn repo_assets() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_assets_are_what_make_assets_makes() {
        let dir = repo_assets();
        for f in make_all().unwrap() {
            let old = std::fs::read(dir.join(&f.path))
                .unwrap_or_else(|_| panic!("assets/{} is missing: run make-assets", f.path));
            assert!(old == f.bytes, "assets/{} differs: run make-assets", f.path);
        }
    }

    #[test]
    fn every_shipped_creature_and_pregen_has_a_portrait_and_every_cue_a_sound() {
        let lib = emberkeep_shared::content::ContentLibrary::load_dir(&repo_assets()).unwrap();
        let made: Vec<String> = make_all().unwrap().into_iter().map(|f| f.path).collect();
        for id in lib.creatures.keys().chain(lib.pregens.keys()) {
            assert!(
                made.contains(&format!("art/tokens/{id}.png")),
                "no portrait for {id}"
            );
        }
        for cue in emberkeep_client::cues::Cue::ALL {
            assert!(made.contains(&format!("sounds/{}.wav", cue.file_stem())));
        }
    }
}
