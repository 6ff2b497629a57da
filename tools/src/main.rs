//! `emberkeep-tools`: content validation, the headless bot, and benchmarks.

mod bench;
mod bench_join;
mod bench_phases;
mod bot;
mod fuzz;
mod loadgen;
mod make_assets;
mod screenshot;
mod validate;
mod web_bundle;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The server binary's allocator (`server/src/main.rs`): `bench` runs the server in this
/// process, and its frame times should be the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "emberkeep-tools",
    version,
    about = "Emberkeep tools: validate content, run bots, measure the server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check content files (a file, a kind folder such as assets/creatures, or a whole assets
    /// folder); prints every error as FILE:LINE:COLUMN: message and exits 1 if any.
    Validate(validate::Args),
    /// Join a server as a headless player that plays legal actions on its turns, printing the
    /// table's events.
    Bot(bot::Args),
    /// Measure the server: frame time with 1 and 40 campaigns of 6 bots, rules actions per
    /// second, and action → visible latency over loopback UDP. Prints median and p99.
    Bench(bench::Args),
    /// Check a rendered screenshot: the expected size, many colours, no colour covering most of
    /// it (a blank or single-colour frame fails). Exits 1 if it does not look like a table.
    CheckScreenshot(screenshot::Args),
    /// Draw the tileset, token portraits and UI art and synthesise the sounds into the assets
    /// folder (reproducible; `--check` compares instead of writing).
    MakeAssets(make_assets::Args),
    /// Build the web client (wasm32, wasm-bindgen, wasm-opt if installed) into a static bundle
    /// the server serves with `--web PORT`; prints the bundle's sizes.
    WebBundle(web_bundle::Args),
    /// Fuzz what the server reads from outside (client messages, content files, its journal,
    /// join requests) for a bounded time per target; saves crashing inputs to fuzz/crashes/
    /// and exits 1 if any.
    Fuzz(fuzz::Args),
    /// Many headless players in this process against real servers (--target HOST:PORT=CODES
    /// per server): they join by code, play, and a share leaves and rejoins every minute;
    /// prints players seated, intents sent/answered, and the server's frame time, memory and
    /// journal size.
    Loadgen(loadgen::Args),
    /// Starts a server (next to this binary) and runs loadgen against it with churn for N
    /// minutes, reporting every minute.
    Soak(loadgen::SoakArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Bot(args) => bot::run(args),
        Command::Bench(args) => bench::run(args),
        Command::CheckScreenshot(args) => screenshot::run(args),
        Command::MakeAssets(args) => make_assets::run(args),
        Command::WebBundle(args) => web_bundle::run(args),
        Command::Fuzz(args) => fuzz::run(args),
        Command::Loadgen(args) => loadgen::run(args),
        Command::Soak(args) => loadgen::soak(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
