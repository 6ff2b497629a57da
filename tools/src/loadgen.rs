//! `emberkeep-tools loadgen` and `soak`: many headless players in one process against real
//! servers over real sockets. Each player is a whole client (its own lightyear client and
//! session, the bot playing its turns) joined by its seat's code through the server's join
//! endpoint; a share of them leaves and joins again every minute (churn). Every report prints
//! the players seated, the intents sent and answered (an intent never answered is dropped),
//! this process's own cost per round of updating every client, and — given the server's
//! `--metrics` address, process id and data folder — its frame time (median and p99 since the
//! last report, from the frame-time histogram), links, resident memory and journal size.
//!
//! `soak` starts the server itself (the `emberkeep-server` next to this binary) with a data
//! folder, metrics and enough campaigns, then runs `loadgen` against it for N minutes.

use bevy::prelude::*;
use emberkeep_client::autoplay::AutoPlayPlugin;
use emberkeep_client::net::{JoinRequest, Reconnect, Status, TableSession, client_app};
use rand::Rng;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// A server's join endpoint (its HTTP port) and its --codes-file, as HOST:PORT=FILE;
    /// repeat for several servers (shards).
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// Players to connect, spread over the servers' campaigns' party seats in order.
    #[arg(long, default_value_t = 100)]
    players: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Percent of the players that leave and join again every minute.
    #[arg(long, default_value_t = 0.0)]
    churn: f64,
    /// Milliseconds between two rounds of client updates.
    #[arg(long, default_value_t = 33)]
    tick_ms: u64,
    /// Seconds between reports.
    #[arg(long, default_value_t = 60)]
    report_every: u64,
    /// The first server's --metrics address (HOST:PORT): report its frame time and links.
    #[arg(long)]
    metrics: Option<String>,
    /// The first server's process id: report its resident memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The first server's --data-dir: report its journals' size.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Skip the first N party seats (to split one server's players over several loadgen
    /// processes: the second takes `--first 500 --players 500`).
    #[arg(long, default_value_t = 0)]
    first: usize,
    /// Spectators joining each campaign that has players (as a shared screen would).
    #[arg(long, default_value_t = 0)]
    spectators: usize,
    /// Joins started per second while ramping up.
    #[arg(long, default_value_t = 40)]
    joins_per_second: u32,
}

#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// Minutes to run.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Players (4 per campaign; the server opens as many campaigns as they need).
    #[arg(long, default_value_t = 200)]
    players: usize,
    /// Percent of the players that leave and join again every minute.
    #[arg(long, default_value_t = 10.0)]
    churn: f64,
    /// The server's --shards (worlds in the process, each with its own port).
    #[arg(long, default_value_t = 1)]
    shards: u32,
    /// The encounter every campaign fights. Without it the campaigns run the shipped adventure
    /// (scenes, checks, rests and several fights), which keeps the tables playing for much
    /// longer than one fight.
    #[arg(long)]
    encounter: Option<String>,
}

/// One player: its client, and how to join again.
struct Player {
    app: App,
    server: String,
    code: String,
    name: String,
}

impl Player {
    fn join(server: &str, code: &str, name: &str, tick: Duration) -> anyhow::Result<Player> {
        let mut app = client_app(
            tick,
            JoinRequest {
                name: name.to_string(),
            },
        );
        app.add_plugins(AutoPlayPlugin);
        app.finish();
        app.cleanup();
        let plan = Reconnect::new(server, code, false);
        plan.connect_now(app.world_mut())
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        app.insert_resource(plan);
        Ok(Player {
            app,
            server: server.into(),
            code: code.into(),
            name: name.into(),
        })
    }

    fn session(&self) -> &TableSession {
        self.app.world().resource::<TableSession>()
    }
}

/// Intents over the run (players that left keep their count here).
#[derive(Debug, Default, Clone, Copy)]
struct Intents {
    sent: u64,
    accepted: u64,
    rejected: u64,
}

impl Intents {
    fn of(session: &TableSession) -> Intents {
        Intents {
            sent: u64::from(session.sent()),
            accepted: session.accepted.len() as u64,
            rejected: session.rejected.len() as u64,
        }
    }

    /// Sent and not (yet) answered.
    fn waiting(&self) -> u64 {
        self.sent.saturating_sub(self.accepted + self.rejected)
    }

    fn add(&mut self, o: Intents) {
        self.sent += o.sent;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
    }
}

/// The seats' codes in a codes file (party seats and spectators, not the host's), in order: (campaign, seat, code).
fn party_codes(file: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut p = l.split_whitespace();
            Some((p.next()?.into(), p.next()?.into(), p.next()?.into()))
        })
        .filter(|(_, seat, _): &(String, String, String)| seat != "host")
        .collect())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let tick = Duration::from_millis(args.tick_ms.max(1));
    let mut seats = Vec::new();
    let mut watch = BTreeMap::new();
    for target in &args.targets {
        let (server, file) = target
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--target {target}: expected HOST:PORT=CODES_FILE"))?;
        for (campaign, seat, code) in party_codes(Path::new(file))? {
            if seat == "spectator" {
                watch.insert((server.to_string(), campaign), code);
            } else {
                seats.push((server.to_string(), format!("{campaign}/{seat}"), code));
            }
        }
    }
    anyhow::ensure!(
        seats.len() >= args.first + args.players,
        "{} players asked for after the first {}, the codes files hold {} party seats",
        args.players,
        args.first,
        seats.len()
    );
    seats.drain(..args.first);
    seats.truncate(args.players);
    // Spectators at each campaign that has players.
    let tables: std::collections::BTreeSet<(String, String)> = seats
        .iter()
        .filter_map(|(server, name, _)| Some((server.clone(), name.split_once('/')?.0.into())))
        .collect();
    for (server, campaign) in tables {
        let Some(code) = watch.get(&(server.clone(), campaign.clone())) else {
            continue;
        };
        for k in 1..=args.spectators {
            let name = format!("{campaign}/spectator-{k}");
            seats.push((server.clone(), name, code.clone()));
        }
    }
    println!(
        "loadgen: {} clients on {} server(s), churn {}%/min, {} s",
        seats.len(),
        args.targets.len(),
        args.churn,
        args.seconds
    );
    let started = Instant::now();
    let mut players: Vec<Player> = Vec::with_capacity(seats.len());
    let mut tally = Tally {
        started: Some(started),
        ..Tally::default()
    };
    let mut pending = seats.into_iter();
    let mut last_report = Instant::now();
    let mut last_churn = Instant::now();
    let mut rng = rand::rng();
    let per_round = (args.joins_per_second as f64 * tick.as_secs_f64()).ceil() as usize;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        let round = Instant::now();
        // Ramp up: a few joins per round.
        for (server, name, code) in pending.by_ref().take(per_round.max(1)) {
            match Player::join(&server, &code, &name, tick) {
                Ok(p) => players.push(p),
                Err(e) => {
                    tally.join_failures += 1;
                    eprintln!("loadgen: {e}");
                }
            }
        }
        for p in &mut players {
            p.app.update();
        }
        tally.rounds.push(round.elapsed());
        // Churn: a share leaves (the client is dropped, as a closed laptop) and joins again.
        if args.churn > 0.0 && last_churn.elapsed() >= Duration::from_secs(60) {
            last_churn = Instant::now();
            let n = ((players.len() as f64) * args.churn / 100.0).round() as usize;
            for _ in 0..n {
                let i = rng.random_range(0..players.len());
                let (server, code, name) = (
                    players[i].server.clone(),
                    players[i].code.clone(),
                    players[i].name.clone(),
                );
                let leaving = Intents::of(players[i].session());
                tally.retired.add(leaving);
                tally.left_waiting += leaving.waiting();
                match Player::join(&server, &code, &name, tick) {
                    Ok(p) => players[i] = p,
                    Err(e) => {
                        tally.join_failures += 1;
                        eprintln!("loadgen: rejoin {e}");
                    }
                }
                tally.churned += 1;
            }
        }
        if last_report.elapsed() >= Duration::from_secs(args.report_every) {
            last_report = Instant::now();
            report(&args, &players, &mut tally, false);
        }
        if let Some(rest) = tick.checked_sub(round.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    // The end: the bots stop acting and the clients keep listening (up to 10 s) until every
    // intent still in flight has its answer, so the last report's unanswered ones were dropped.
    for p in &mut players {
        p.app
            .world_mut()
            .resource_mut::<emberkeep_client::autoplay::AutoPlay>()
            .enabled = false;
    }
    let drain = Instant::now();
    let waiting = |players: &[Player]| {
        players
            .iter()
            .map(|p| Intents::of(p.session()).waiting())
            .sum::<u64>()
    };
    while waiting(&players) > 0 && drain.elapsed() < Duration::from_secs(10) {
        let round = Instant::now();
        for p in &mut players {
            p.app.update();
        }
        if let Some(rest) = tick.checked_sub(round.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    report(&args, &players, &mut tally, true);
    Ok(ExitCode::SUCCESS)
}

/// What a run has counted so far, for its reports.
#[derive(Debug, Default)]
struct Tally {
    started: Option<Instant>,
    /// Intents of the players that left.
    retired: Intents,
    /// Of those, the ones still waiting for their answer when their player left (the client
    /// was dropped with them in flight: not dropped by the server, and never answered).
    left_waiting: u64,
    /// Round times since the last report.
    rounds: Vec<Duration>,
    join_failures: u64,
    churned: u64,
    /// Each shard's frame-time buckets at the last report ("" without shards).
    frames: BTreeMap<String, Vec<(f64, f64)>>,
}

/// One report; `end`: the last, after the drain (what still waits then was dropped).
fn report(args: &Args, players: &[Player], tally: &mut Tally, end: bool) {
    let Tally {
        started,
        retired,
        left_waiting,
        rounds,
        join_failures,
        churned,
        frames,
    } = tally;
    let (retired, left_waiting, join_failures, churned) =
        (*retired, *left_waiting, *join_failures, *churned);
    let elapsed = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    let seated = players
        .iter()
        .filter(|p| p.session().status == Status::Seated)
        .count();
    let mut intents = retired;
    for p in players {
        intents.add(Intents::of(p.session()));
    }
    let waiting = intents.waiting().saturating_sub(left_waiting);
    let (waiting, head) = if end {
        (format!("unanswered {waiting}"), ", end")
    } else {
        (format!("in flight {waiting}"), "")
    };
    let mut line = format!(
        "[{elapsed:>5.0} s{head}] seated {seated}/{} | intents sent {} accepted {} rejected {} {waiting} (+{left_waiting} in flight when their player left) | joins failed {join_failures}, churned {churned}",
        players.len(),
        intents.sent,
        intents.accepted,
        intents.rejected,
    );
    if !rounds.is_empty() {
        line.push_str(&format!(
            "\n        {}",
            crate::bench::summary("loadgen round (all clients updated)", rounds)
        ));
        rounds.clear();
    }
    if let Some(addr) = &args.metrics {
        match scrape(addr) {
            Ok(text) => {
                for (shard, buckets) in histograms(&text, "emberkeep_frame_seconds") {
                    let since: Vec<(f64, f64)> = match frames.get(&shard) {
                        Some(before) if before.len() == buckets.len() => buckets
                            .iter()
                            .zip(before)
                            .map(|(&(le, n), &(_, m))| (le, n - m))
                            .collect(),
                        _ => buckets.clone(),
                    };
                    let labels = if shard.is_empty() {
                        String::new()
                    } else {
                        format!("{{shard=\"{shard}\"}}")
                    };
                    let links = sample(&text, &format!("emberkeep_links{labels}"));
                    let who = if shard.is_empty() {
                        "server".to_string()
                    } else {
                        format!("shard {shard}")
                    };
                    line.push_str(&format!(
                        "\n        {who} frame (histogram, since the last report): median ≤ {} ms, p99 ≤ {} ms; links {links}",
                        quantile(&since, 0.5).map_or("?".into(), |q| format!("{:.2}", q * 1000.0)),
                        quantile(&since, 0.99).map_or("?".into(), |q| format!("{:.2}", q * 1000.0)),
                    ));
                    frames.insert(shard, buckets);
                }
            }
            Err(e) => line.push_str(&format!("\n        metrics: {e}")),
        }
    }
    if let Some(pid) = args.server_pid {
        // Anonymous memory is the heap; file-backed pages (the binary, its debug info when a
        // backtrace is read) come and go with the page cache.
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map_or_else(|| "?".to_string(), |v| v.trim().to_string())
        };
        line.push_str(&format!(
            "\n        server RSS {} (anonymous {}, files {})",
            field("VmRSS:"),
            field("RssAnon:"),
            field("RssFile:")
        ));
    }
    if let Some(dir) = &args.data_dir {
        line.push_str(&format!(
            "; journals {:.1} MiB",
            folder_bytes(dir) as f64 / (1 << 20) as f64
        ));
    }
    println!("{line}");
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => folder_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// `GET /metrics` over a plain socket.
fn scrape(addr: &str) -> anyhow::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default())
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A histogram's cumulative buckets, (upper bound, count) with `+Inf` last, for each value of
/// its `shard` label ("" for a server without shards).
fn histograms(text: &str, name: &str) -> BTreeMap<String, Vec<(f64, f64)>> {
    let prefix = format!("{name}_bucket{{");
    let mut all: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for l in text.lines() {
        let Some(rest) = l.strip_prefix(&prefix) else {
            continue;
        };
        let Some((labels, count)) = rest.split_once("} ") else {
            continue;
        };
        let label = |key: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix("=\""))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let Some(le) = label("le") else { continue };
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            match le.parse() {
                Ok(le) => le,
                Err(_) => continue,
            }
        };
        let Ok(count) = count.trim().parse() else {
            continue;
        };
        all.entry(label("shard").unwrap_or_default())
            .or_default()
            .push((le, count));
    }
    all
}

/// The bucket bound under which a share `q` of the observations fall (an upper estimate at
/// the histogram's resolution); `None` without observations.
fn quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    buckets
        .iter()
        .find(|(_, n)| *n >= total * q)
        .map(|(le, _)| *le)
}

/// Kills the server when the soak ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn soak(args: SoakArgs) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe()?;
    let server_bin = exe
        .parent()
        .map(|d| d.join("emberkeep-server"))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no emberkeep-server next to {} (cargo build -p emberkeep-server with the same profile)",
                exe.display()
            )
        })?;
    let work = std::env::temp_dir().join(format!("emberkeep-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let campaigns = args.players.div_ceil(4).max(1);
    let free = || -> anyhow::Result<u16> {
        Ok(std::net::UdpSocket::bind("127.0.0.1:0")?
            .local_addr()?
            .port())
    };
    let http = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let codes = work.join("codes.txt");
    let data = work.join("data");
    let mut child = Command::new(&server_bin)
        .args([
            "--bind",
            "127.0.0.1",
            "--no-websocket",
            "--quiet",
            "--no-watch",
        ])
        .args(
            args.encounter
                .as_deref()
                .map(|e| ["--encounter", e])
                .iter()
                .flatten(),
        )
        .args(["--turn-timeout", "10"])
        .args(["--campaigns", &campaigns.to_string()])
        .args(["--shards", &args.shards.to_string()])
        // Shards take ports 10 apart from the first: let each find a free one.
        .args([
            "--udp-port",
            &if args.shards > 1 { 0 } else { free()? }.to_string(),
        ])
        .args(["--http-port", &http.to_string()])
        .args(["--metrics", "127.0.0.1:0", "--codes-file"])
        .arg(&codes)
        .arg("--data-dir")
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().expect("piped");
    let server = Server(child);
    let mut metrics = None;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(a) = line.strip_prefix("listening: metrics ") {
            metrics = Some(a.to_string());
        }
        if line.starts_with("Type `help`") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    println!(
        "soak: server {} (pid {pid}) with {campaigns} campaigns ({}), {} players, {} min, churn {}%/min",
        server_bin.display(),
        args.encounter
            .as_deref()
            .map_or("the adventure".to_string(), |e| format!("encounter `{e}`")),
        args.players,
        args.minutes,
        args.churn
    );
    let code = run(Args {
        targets: vec![format!("127.0.0.1:{http}={}", codes.display())],
        players: args.players,
        seconds: args.minutes * 60,
        churn: args.churn,
        tick_ms: 33,
        report_every: 60,
        metrics,
        server_pid: Some(pid),
        data_dir: Some(data),
        joins_per_second: 40,
        spectators: 0,
        first: 0,
    });
    drop(server);
    let _ = std::fs::remove_dir_all(&work);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantile_is_the_first_bucket_holding_that_share() {
        let text = "emberkeep_frame_seconds_bucket{le=\"0.001\"} 50\n\
                    emberkeep_frame_seconds_bucket{le=\"0.002\"} 98\n\
                    emberkeep_frame_seconds_bucket{le=\"0.004\"} 100\n\
                    emberkeep_frame_seconds_bucket{le=\"+Inf\"} 100\n";
        let b = &histograms(text, "emberkeep_frame_seconds")[""];
        assert_eq!(b.len(), 4);
        assert_eq!(quantile(b, 0.5), Some(0.001));
        assert_eq!(quantile(b, 0.99), Some(0.004));
        assert_eq!(quantile(&[(f64::INFINITY, 0.0)], 0.5), None);
    }

    #[test]
    fn each_shard_has_its_own_histogram() {
        let text = "emberkeep_frame_seconds_bucket{le=\"0.001\",shard=\"0\"} 5\n\
                    emberkeep_frame_seconds_bucket{le=\"+Inf\",shard=\"0\"} 10\n\
                    emberkeep_frame_seconds_bucket{shard=\"1\",le=\"0.001\"} 1\n\
                    emberkeep_frame_seconds_bucket{shard=\"1\",le=\"+Inf\"} 1\n\
                    emberkeep_frame_seconds_count{shard=\"1\"} 1\n";
        let all = histograms(text, "emberkeep_frame_seconds");
        assert_eq!(all.keys().collect::<Vec<_>>(), ["0", "1"]);
        assert_eq!(all["0"], [(0.001, 5.0), (f64::INFINITY, 10.0)]);
        assert_eq!(quantile(&all["0"], 0.99), Some(f64::INFINITY));
        assert_eq!(quantile(&all["1"], 0.99), Some(0.001));
    }
}
