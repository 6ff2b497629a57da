//! `emberkeep-tools fuzz`: bounded, seeded, mutation-based fuzzing of what the server reads
//! from outside — client messages, content files, its own journal, join requests — on stable
//! Rust (no libFuzzer). Each target starts from a corpus of real inputs (encoded messages, the
//! shipped content, a journal written by the server's own code, real requests), mutates them,
//! and runs them with panics caught. A panic, or a broken invariant a target checks, is a
//! crash: the input is written to `fuzz/crashes/<target>-<hash>.{bin,txt}` and the command
//! exits 1. `--replay` runs saved inputs again (the regression inputs in `fuzz/regressions`
//! are replayed by the tools' tests).

mod content;
mod join_query;
mod journal;
mod mutate;
mod protocol;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The target names, in run order.
pub const TARGETS: [&str; 4] = ["protocol", "content", "journal", "join-query"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this target (repeatable): protocol, content, journal, join-query.
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Seconds per target.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Stop each target after this many executions instead (deterministic with --seed).
    #[arg(long)]
    execs: Option<u64>,
    /// Seed of the generator (default: random, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Where crashing inputs are written.
    #[arg(long, default_value = "fuzz/crashes")]
    crash_dir: PathBuf,
    /// The assets folder the corpus is taken from.
    #[arg(long)]
    assets: Option<PathBuf>,
    /// Run saved inputs (files, or folders of `<target>-<hash>.*` files) instead of fuzzing.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    replay: Vec<PathBuf>,
    /// Write each target's seed corpus to this folder (as `<target>-seed-N.*`) and stop.
    #[arg(long, value_name = "DIR")]
    dump_corpus: Option<PathBuf>,
}

/// A fuzz target.
pub trait Target {
    /// Its name (a crash file's prefix).
    fn name(&self) -> &'static str;
    /// Whether its inputs are text (crash files get `.txt`).
    fn is_text(&self) -> bool;
    /// The longest input made.
    fn max_len(&self) -> usize;
    /// Real, valid inputs to start from.
    fn seeds(&mut self) -> Vec<Vec<u8>>;
    /// Runs one input. `Err` is a broken invariant (a crash, like a panic); `Ok(true)` says the
    /// input got deep (it decoded, parsed, restored), so it is worth mutating further.
    fn run(&mut self, input: &[u8]) -> Result<bool, String>;
}

/// The last panic message, from any thread (the HTTP server's among them).
static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Records panics instead of printing them, while alive; puts the old hook back on drop.
struct QuietPanics;

impl QuietPanics {
    fn install() -> QuietPanics {
        std::panic::set_hook(Box::new(|info| {
            let thread = std::thread::current().name().unwrap_or("?").to_string();
            let mut slot = PANIC.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert(format!("panic in thread `{thread}`: {info}"));
        }));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        let _ = std::panic::take_hook();
    }
}

/// Runs one input with panics caught; `Err` describes a crash.
fn execute(target: &mut dyn Target, input: &[u8]) -> Result<bool, String> {
    PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| target.run(input)));
    let panic = PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
    match (result, panic) {
        (_, Some(message)) => Err(message),
        (Err(_), None) => Err("panic (no message)".into()),
        (Ok(outcome), None) => outcome,
    }
}

/// FNV-1a, for crash file names.
fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn make_target(name: &str, assets: &Path) -> anyhow::Result<Box<dyn Target>> {
    Ok(match name {
        "protocol" => Box::new(protocol::Protocol::new(assets)?),
        "content" => Box::new(content::Content::new(assets)?),
        "journal" => Box::new(journal::JournalTarget::new(assets)?),
        "join-query" => Box::new(join_query::JoinQuery::new()?),
        other => anyhow::bail!("unknown target `{other}`: expected one of {TARGETS:?}"),
    })
}

/// What one target's run found.
struct Report {
    execs: u64,
    /// Executions that got deep (decoded, parsed, restored, answered 200).
    deep: u64,
    elapsed: Duration,
    crash: Option<(PathBuf, String)>,
}

/// Fuzzes one target until the deadline or the execution budget; stops at the first crash.
fn fuzz(
    target: &mut dyn Target,
    seed: u64,
    budget: Duration,
    execs: Option<u64>,
    crash_dir: &Path,
) -> anyhow::Result<Report> {
    const MAX_CORPUS: usize = 512;
    let mut rng = StdRng::seed_from_u64(seed ^ hash(target.name().as_bytes()));
    let seeds = target.seeds();
    anyhow::ensure!(!seeds.is_empty(), "{}: no seed inputs", target.name());
    let mut corpus = seeds.clone();
    let start = Instant::now();
    let (mut n, mut deep) = (0u64, 0u64);
    let crash = loop {
        let done = match execs {
            Some(max) => n >= max,
            None => n.is_multiple_of(16) && start.elapsed() >= budget,
        };
        if done {
            break None;
        }
        let input = match seeds.get(n as usize) {
            Some(s) => s.clone(),
            None => {
                let base = &corpus[rng.random_range(0..corpus.len())];
                mutate::mutate(&mut rng, base, &corpus, target.max_len())
            }
        };
        n += 1;
        let outcome = execute(target, &input);
        deep += u64::from(matches!(outcome, Ok(true)));
        match outcome {
            Ok(true) if n as usize > seeds.len() && rng.random_bool(0.1) => {
                // Deep inputs join the corpus (a bounded one: the seeds always stay).
                if corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                } else {
                    let i = rng.random_range(seeds.len()..corpus.len());
                    corpus[i] = input;
                }
            }
            Ok(_) => {}
            Err(message) => {
                std::fs::create_dir_all(crash_dir)?;
                let ext = if target.is_text() { "txt" } else { "bin" };
                let path = crash_dir.join(format!("{}-{:016x}.{ext}", target.name(), hash(&input)));
                std::fs::write(&path, &input)?;
                break Some((path, message));
            }
        }
    };
    Ok(Report {
        execs: n,
        deep,
        elapsed: start.elapsed(),
        crash,
    })
}

fn assets_dir(args: &Args) -> PathBuf {
    args.assets
        .clone()
        .unwrap_or_else(emberkeep_tests::assets_dir)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = if args.targets.is_empty() {
        TARGETS.iter().map(|s| s.to_string()).collect()
    } else {
        args.targets.clone()
    };
    for name in &names {
        anyhow::ensure!(
            TARGETS.contains(&name.as_str()),
            "unknown target `{name}`: expected one of {TARGETS:?}"
        );
    }
    let assets = assets_dir(&args);
    if !args.replay.is_empty() {
        return replay(&args.replay, &assets);
    }
    if let Some(dir) = &args.dump_corpus {
        std::fs::create_dir_all(dir)?;
        for name in &names {
            let mut target = make_target(name, &assets)?;
            let ext = if target.is_text() { "txt" } else { "bin" };
            let seeds = target.seeds();
            for (i, seed) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("{name}-seed-{i}.{ext}")), seed)?;
            }
            println!("{name}: {} seed inputs in {}", seeds.len(), dir.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    let budget = Duration::from_secs_f64(args.seconds.max(0.0));
    match args.execs {
        Some(n) => println!("emberkeep fuzz: seed {seed}, {n} executions per target"),
        None => println!(
            "emberkeep fuzz: seed {seed}, {:.0} s per target",
            args.seconds
        ),
    }
    let _quiet = QuietPanics::install();
    let mut crashes = 0;
    for name in &names {
        let mut target = make_target(name, &assets)?;
        let report = fuzz(target.as_mut(), seed, budget, args.execs, &args.crash_dir)?;
        let secs = report.elapsed.as_secs_f64().max(1e-9);
        println!(
            "{name:>10}: {} executions in {secs:.1} s ({:.0}/s), {:.0}% deep, {} crash(es)",
            report.execs,
            report.execs as f64 / secs,
            100.0 * report.deep as f64 / report.execs.max(1) as f64,
            u32::from(report.crash.is_some())
        );
        if let Some((path, message)) = report.crash {
            crashes += 1;
            println!("            CRASH: {message}");
            println!(
                "            input: {} (replay: emberkeep-tools fuzz --replay {})",
                path.display(),
                path.display()
            );
        }
    }
    Ok(if crashes == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The target a saved input belongs to, by its name's prefix.
fn target_of(path: &Path) -> Option<&'static str> {
    let file = path.file_name()?.to_str()?;
    TARGETS
        .iter()
        .copied()
        .filter(|t| file.starts_with(&format!("{t}-")))
        .max_by_key(|t| t.len())
}

/// Runs saved inputs again; exits 1 if any still crashes.
fn replay(paths: &[PathBuf], assets: &Path) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| target_of(f).is_some())
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            anyhow::ensure!(
                target_of(p).is_some(),
                "{}: expected a name like <target>-<hash>.bin",
                p.display()
            );
            files.push(p.clone());
        }
    }
    let _quiet = QuietPanics::install();
    let mut targets: Vec<Box<dyn Target>> = Vec::new();
    let mut crashes = 0;
    for file in &files {
        let name = target_of(file).expect("filtered");
        let target = match targets.iter_mut().find(|t| t.name() == name) {
            Some(t) => t,
            None => {
                targets.push(make_target(name, assets)?);
                targets.last_mut().expect("just pushed")
            }
        };
        let input = std::fs::read(file)?;
        match execute(target.as_mut(), &input) {
            Ok(_) => println!("ok     {}", file.display()),
            Err(message) => {
                crashes += 1;
                println!("CRASH  {}: {message}", file.display());
            }
        }
    }
    println!("{} input(s) replayed, {crashes} crash(es)", files.len());
    Ok(if crashes == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
