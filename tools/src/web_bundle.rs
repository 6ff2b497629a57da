//! `emberkeep-tools web-bundle`: builds the client for the browser and lays out a static
//! bundle — `index.html`, the wasm-bindgen JS and wasm (shrunk by wasm-opt when a recent enough
//! one is installed), the art, sounds and maps, and a `.gz` twin of each large file — which the
//! server serves with `--web PORT`. Prints the sizes.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Arguments of `web-bundle`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the bundle.
    #[arg(long, default_value = "web/dist")]
    pub out: PathBuf,
    /// Cargo profile for the wasm build.
    #[arg(long, default_value = "web")]
    pub profile: String,
    /// Skip wasm-opt even if it is installed.
    #[arg(long)]
    pub no_opt: bool,
}

const INDEX: &str = include_str!("web_index.html");

/// The oldest wasm-opt whose output works (Debian 12's 108 corrupts the externref table).
const MIN_WASM_OPT: u32 = 116;

/// What the wasm may use: the WebAssembly features rustc's wasm32-unknown-unknown turns on
/// (Rust 1.95), and SIMD128 (`.cargo/config.toml`), which every current browser has. wasm-opt
/// must not reach past them.
const WASM_FEATURES: [&str; 7] = [
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
    "--enable-simd",
];

/// The wasm-opt to use and its release number (`wasm-opt version 116 (...)`): the one on the
/// PATH when it is recent enough, else npm's (`npm install --no-save binaryen` in web/test;
/// optional and slow under Node, so nothing installs it).
fn wasm_opt(root: &Path) -> Option<(PathBuf, u32)> {
    let version = |program: &Path| -> Option<u32> {
        let out = Command::new(program).arg("--version").output().ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find_map(|w| w.parse().ok())
    };
    let candidates = [
        PathBuf::from("wasm-opt"),
        root.join("web/test/node_modules/.bin/wasm-opt"),
    ];
    let found: Vec<(PathBuf, u32)> = candidates
        .into_iter()
        .filter_map(|p| version(&p).map(|v| (p, v)))
        .collect();
    found
        .iter()
        .find(|(_, v)| *v >= MIN_WASM_OPT)
        .or(found.first())
        .cloned()
}

/// The workspace to build: the one around the current directory (binaries in a shared target
/// folder may have been built from another checkout), else the one this tool was built from.
fn workspace_root() -> PathBuf {
    let here = std::env::current_dir().ok();
    here.iter()
        .flat_map(|d| d.ancestors())
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|t| t.contains("[workspace]") && d.join("client").is_dir())
        })
        .map(Path::to_path_buf)
        .unwrap_or_else(|| {
            emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("tools/ is inside the workspace")
                .to_path_buf()
        })
}

/// The wasm-bindgen version in Cargo.lock: the CLI must be the same version.
fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen")
}

fn run_step(what: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("web-bundle: {what}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// A stable fingerprint of some bytes (64-bit FNV-1a): names wasm-opt's kept output.
fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}

fn copy_dir(from: &Path, to: &Path) -> Result<u64> {
    let mut total = 0;
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            total += copy_dir(&entry.path(), &target)?;
        } else {
            total += std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(total)
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let root = workspace_root();
    let version = locked_wasm_bindgen(&root)?;
    let found = Command::new("wasm-bindgen").arg("--version").output();
    match found {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains(&version) => {}
        Ok(o) => bail!(
            "wasm-bindgen {} is installed but Cargo.lock wants {version}: run `cargo install wasm-bindgen-cli --version {version} --locked`",
            String::from_utf8_lossy(&o.stdout).trim()
        ),
        Err(_) => bail!(
            "wasm-bindgen is not installed: run `cargo install wasm-bindgen-cli --version {version} --locked` (scripts/setup.sh does)"
        ),
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build_started = std::time::Instant::now();
    run_step(
        "building the client for wasm32-unknown-unknown",
        Command::new(&cargo).current_dir(&root).args([
            "build",
            "--locked",
            "-p",
            "emberkeep-client",
            "--bin",
            "emberkeep",
            "--features",
            "web",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            &args.profile,
        ]),
    )?;
    let build_secs = build_started.elapsed().as_secs_f64();
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join(&args.profile)
        .join("emberkeep.wasm");
    let out = &args.out;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
    }
    std::fs::create_dir_all(out)?;
    run_step(
        "wasm-bindgen",
        Command::new("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                // What `strip` would drop, dropped after wasm-bindgen has read the
                // target_features section it needs.
                "--remove-name-section",
                "--remove-producers-section",
                "--out-name",
                "emberkeep",
                "--out-dir",
            ])
            .arg(out)
            .arg(&wasm),
    )?;
    let bg = out.join("emberkeep_bg.wasm");
    let before = std::fs::metadata(&bg)?.len();
    let mut opt_secs = None;
    if !args.no_opt {
        match wasm_opt(&root) {
            Some((wasm_opt, v)) if v >= MIN_WASM_OPT => {
                // npm's wasm-opt runs under Node and takes minutes (12 on 2 cores): its output
                // is kept in the target folder for the next bundle of the same build.
                let input = std::fs::read(&bg)?;
                let key = fingerprint(&[
                    &input,
                    v.to_string().as_bytes(),
                    WASM_FEATURES.join(" ").as_bytes(),
                ]);
                let cache = target_dir.join("web-opt");
                let cached = cache.join(format!("{key:016x}.wasm"));
                if cached.exists() {
                    eprintln!(
                        "web-bundle: wasm-opt's output for this build is kept in {}",
                        cached.display()
                    );
                    std::fs::copy(&cached, &bg)?;
                } else {
                    let optimised = out.join("emberkeep_opt.wasm");
                    let started = std::time::Instant::now();
                    run_step(
                        &format!("wasm-opt {v} -Oz ({})", wasm_opt.display()),
                        Command::new(&wasm_opt)
                            .arg(&bg)
                            .arg("-Oz")
                            .args(WASM_FEATURES)
                            .arg("-o")
                            .arg(&optimised),
                    )?;
                    std::fs::rename(&optimised, &bg)?;
                    opt_secs = Some(started.elapsed().as_secs_f64());
                    // Only the latest build's output is kept.
                    let _ = std::fs::remove_dir_all(&cache);
                    std::fs::create_dir_all(&cache)?;
                    std::fs::copy(&bg, &cached)?;
                }
            }
            Some((_, v)) => eprintln!(
                "web-bundle: skipping wasm-opt {v}: releases before {MIN_WASM_OPT} break wasm-bindgen's externref table (the page fails with `WebAssembly.Table.set(): Argument 1 is invalid`)"
            ),
            None => eprintln!(
                "web-bundle: wasm-opt is not installed; keeping the wasm as built (optional: `npm install --no-save binaryen` in web/test; it takes about 14 % off the raw size and 1 % off the gzip size, in about 12 minutes under Node on 2 cores)"
            ),
        }
    }
    // The page shows download progress against the wasm's size (a gzip twin's Content-Length
    // counts compressed bytes).
    let wasm_bytes = std::fs::metadata(&bg)?.len();
    std::fs::write(
        out.join("index.html"),
        INDEX.replace("__EMBERKEEP_WASM_BYTES__", &wasm_bytes.to_string()),
    )?;
    let assets = root.join("assets");
    let mut asset_bytes = 0;
    // `maps/` for the maps' own pictures (Universal VTT images, Tiled tilesets and layers).
    for dir in ["art", "sounds", "maps"] {
        asset_bytes += copy_dir(&assets.join(dir), &out.join("assets").join(dir))?;
    }
    let mut gz_wasm = 0;
    for name in ["emberkeep_bg.wasm", "emberkeep.js", "index.html"] {
        let bytes = std::fs::read(out.join(name))?;
        let packed = gzip(&bytes)?;
        if name.ends_with(".wasm") {
            gz_wasm = packed.len() as u64;
        }
        std::fs::write(out.join(format!("{name}.gz")), packed)?;
    }
    let raw = std::fs::metadata(&bg)?.len();
    let js = std::fs::metadata(out.join("emberkeep.js"))?.len();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!("web bundle in {}:", out.display());
    println!("  wasm build ({} profile): {build_secs:.0} s", args.profile);
    match opt_secs {
        Some(secs) => println!("  wasm-opt -Oz: {secs:.0} s"),
        None if before != raw => println!("  wasm-opt -Oz: kept from an earlier bundle"),
        None => println!("  wasm-opt: not run"),
    }
    println!(
        "  wasm: {:.2} MiB raw ({:.2} MiB as built), {:.2} MiB gzip",
        mib(raw),
        mib(before),
        mib(gz_wasm)
    );
    println!(
        "  js: {} KiB; art, sounds and maps: {:.2} MiB",
        js / 1024,
        mib(asset_bytes)
    );
    Ok(ExitCode::SUCCESS)
}
