//! What ships to a fleet: the Dockerfile's command line is one the server accepts, the Agones
//! manifests (deploy/agones) name the ports and health period that command line sets up, and
//! the image's contents (laid out by scripts/container-tree.sh, as the Dockerfile does) run
//! the server exactly as the container would — its ENTRYPOINT and CMD, its ENV, its
//! unprivileged USER — against a local stand-in for the Agones SDK server: it goes Ready, is
//! allocated a campaign, journals it into the image's data folder and publishes its codes.
//! (The only change from the image: listening ports are free ones, not the fixed 5888–5890.)

use clap::Parser;
use emberkeep_server::Cli;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The final stage of the Dockerfile: ENTRYPOINT + CMD (JSON arrays), ENV, USER, WORKDIR,
/// EXPOSE.
#[derive(Debug, Default)]
struct Image {
    command: Vec<String>,
    env: Vec<(String, String)>,
    user: Option<(u32, u32)>,
    workdir: String,
    expose: Vec<String>,
}

fn image() -> Image {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).expect("a Dockerfile");
    // Join continued lines, then read the last stage only.
    let joined = text.replace("\\\n", " ");
    let last = joined
        .rsplit_once("\nFROM ")
        .map(|(_, stage)| stage)
        .expect("a final stage");
    let mut image = Image::default();
    let array = |rest: &str| -> Vec<String> { serde_json::from_str(rest).expect("a JSON array") };
    let mut entrypoint = Vec::new();
    let mut cmd = Vec::new();
    for line in last.lines().map(str::trim) {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "ENTRYPOINT" => entrypoint = array(rest),
            "CMD" => cmd = array(rest),
            "ENV" => {
                let (k, v) = rest.split_once('=').expect("ENV KEY=VALUE");
                image.env.push((k.to_string(), v.to_string()));
            }
            "USER" => {
                let (u, g) = rest.split_once(':').unwrap_or((rest, rest));
                image.user = Some((u.parse().expect("a numeric uid"), g.parse().expect("a gid")));
            }
            "WORKDIR" => image.workdir = rest.to_string(),
            "EXPOSE" => image
                .expose
                .extend(rest.split_whitespace().map(str::to_string)),
            _ => {}
        }
    }
    image.command = entrypoint.into_iter().chain(cmd).collect();
    image
}

/// The value after `flag` on a command line.
fn flag<'a>(command: &'a [String], flag: &str) -> Option<&'a str> {
    let at = command.iter().position(|a| a == flag)?;
    command.get(at + 1).map(String::as_str)
}

fn yaml(name: &str) -> Yaml {
    let path = repo().join("deploy/agones").join(name);
    let text = std::fs::read_to_string(&path).expect("the manifest");
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .remove(0)
}

#[test]
fn the_manifests_match_the_servers_command_line() {
    let image = image();
    // The command line is one the server takes, and it speaks Agones with no campaign open.
    let settings = Cli::try_parse_from(&image.command)
        .expect("the image's command line parses")
        .into_settings()
        .expect("and is valid");
    let agones = settings.agones.as_ref().expect("--agones");
    assert_eq!(
        settings.campaigns, 0,
        "a fleet server waits for its allocation"
    );
    assert!(settings.data_dir.is_some());
    let port = |f: &str| -> i64 { flag(&image.command, f).unwrap().parse().unwrap() };
    let metrics_port: i64 = flag(&image.command, "--metrics")
        .and_then(|a| a.rsplit_once(':'))
        .map(|(_, p)| p.parse().unwrap())
        .expect("--metrics HOST:PORT");
    for exposed in [
        format!("{}/udp", port("--udp-port")),
        format!("{}/tcp", port("--ws-port")),
        format!("{}/tcp", port("--http-port")),
        format!("{metrics_port}/tcp"),
    ] {
        assert!(image.expose.contains(&exposed), "EXPOSE lacks {exposed}");
    }

    let gs = yaml("gameserver.yaml");
    assert_eq!(gs["kind"].as_str(), Some("GameServer"));
    let spec = &gs["spec"];
    let ports: BTreeMap<&str, (i64, &str)> = spec["ports"]
        .as_vec()
        .expect("ports")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                (
                    p["containerPort"].as_i64().unwrap(),
                    p["protocol"].as_str().unwrap(),
                ),
            )
        })
        .collect();
    // The names are the ones the server reads from the GameServer's status for join tickets.
    assert_eq!(ports["udp"], (port("--udp-port"), "UDP"));
    assert_eq!(ports["ws"], (port("--ws-port"), "TCP"));
    assert_eq!(ports["http"], (port("--http-port"), "TCP"));
    // Health: pings come well inside a period, and one late ping is not fatal.
    let period = spec["health"]["periodSeconds"].as_i64().unwrap();
    assert!(
        period as u64 > agones.health_every.as_secs() * 2,
        "{period}"
    );
    assert!(spec["health"]["failureThreshold"].as_i64().unwrap() >= 2);
    assert!(spec["health"]["disabled"].as_bool() != Some(true));
    let container = &spec["template"]["spec"]["containers"][0];
    let security = &container["securityContext"];
    let (uid, gid) = image.user.expect("a USER");
    assert_eq!(security["runAsUser"].as_i64(), Some(uid as i64));
    assert_eq!(security["runAsGroup"].as_i64(), Some(gid as i64));
    assert_eq!(security["runAsNonRoot"].as_bool(), Some(true));
    assert_eq!(
        container["ports"][0]["containerPort"].as_i64(),
        Some(metrics_port)
    );
    assert_eq!(
        spec["template"]["metadata"]["annotations"]["prometheus.io/port"].as_str(),
        Some(metrics_port.to_string().as_str())
    );
    let data = flag(&image.command, "--data-dir").unwrap();
    assert!(
        container["volumeMounts"]
            .as_vec()
            .unwrap()
            .iter()
            .any(|m| m["mountPath"].as_str() == Some(data)),
        "the data folder is a volume (the root filesystem is read-only)"
    );

    // The fleet runs that same spec; the autoscaler and the allocation name the fleet.
    let fleet = yaml("fleet.yaml");
    assert_eq!(fleet["kind"].as_str(), Some("Fleet"));
    assert_eq!(&fleet["spec"]["template"]["spec"], spec);
    let name = fleet["metadata"]["name"].as_str().unwrap();
    let scaler = yaml("fleetautoscaler.yaml");
    assert_eq!(scaler["spec"]["fleetName"].as_str(), Some(name));
    let buffer = &scaler["spec"]["policy"]["buffer"];
    assert!(buffer["minReplicas"].as_i64() <= buffer["maxReplicas"].as_i64());
    let allocation = yaml("allocation.yaml");
    assert_eq!(
        allocation["spec"]["selectors"][0]["matchLabels"]["agones.dev/fleet"].as_str(),
        Some(name)
    );
    let asks = &allocation["spec"]["metadata"]["annotations"];
    assert!(asks[emberkeep_server::agones::ADVENTURE].as_str().is_some());
    assert!(asks[emberkeep_server::agones::CAMPAIGNS].as_str().is_some());
}

/// A stand-in for the SDK server: records each call; its watch reports the GameServer as
/// allocated for one campaign of `goblin-ambush`.
fn fake_sdk() -> (u16, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let calls = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let mut length = 0;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut out = stream;
                if path == "/watch/gameserver" {
                    let gs = r#"{"result":{"object_meta":{"annotations":{"emberkeep.dev/adventure":"goblin-ambush"}},"status":{"state":"Allocated","ports":[]}}}"#;
                    let _ = write!(out, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{gs}\n");
                    // Keep the stream open, as the SDK server does.
                    std::thread::sleep(Duration::from_secs(60));
                    return;
                }
                calls
                    .lock()
                    .unwrap()
                    .push((path, String::from_utf8_lossy(&body).into_owned()));
                let _ = write!(
                    out,
                    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
                );
            });
        }
    });
    (port, calls)
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> String {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string()
}

#[test]
fn the_image_tree_runs_the_server_as_the_container_would() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    let image = image();
    let tree = std::env::temp_dir().join(format!("emberkeep-image-{}", std::process::id()));
    let (uid, gid) = image.user.expect("a USER");
    let made = Command::new(repo().join("scripts/container-tree.sh"))
        .arg(&tree)
        .arg(uid.to_string())
        .env("BIN", env!("CARGO_BIN_EXE_emberkeep-server"))
        .status()
        .expect("the script runs");
    assert!(made.success());
    // Inside the tree, the image's absolute paths.
    let inside = |p: &str| -> PathBuf { tree.join(p.trim_start_matches('/')) };
    let mut command: Vec<String> = image
        .command
        .iter()
        .map(|a| {
            if a.starts_with('/') {
                inside(a).display().to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    // Free ports instead of the fixed ones (tests share the machine).
    for f in ["--udp-port", "--ws-port", "--http-port"] {
        let at = command.iter().position(|a| a == f).unwrap();
        command[at + 1] = free_port();
    }
    let at = command.iter().position(|a| a == "--metrics").unwrap();
    command[at + 1] = "127.0.0.1:0".into();
    command.extend(["--bind".into(), "127.0.0.1".into()]);
    let (sdk_port, calls) = fake_sdk();
    let mut run = Command::new(&command[0]);
    run.args(&command[1..])
        .current_dir(inside(&image.workdir))
        .env_clear()
        .envs(image.env.iter().cloned())
        // What Agones sets in the pod.
        .env("AGONES_SDK_HTTP_PORT", sdk_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let root = nix_is_root();
    if root {
        // As the image's unprivileged user (a test run as root can switch; others already are).
        run.uid(uid).gid(gid);
    }
    let mut child = run.spawn().expect("the server starts from the tree");
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut metrics = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(a) = line.strip_prefix("listening: metrics ") {
            metrics = a.to_string();
        }
        if line.starts_with("Type `help`") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    assert!(!metrics.is_empty(), "no metrics address printed");
    // Ready, then the allocation's campaign, journaled in the image's data folder, its codes
    // published.
    let deadline = Instant::now() + Duration::from_secs(60);
    let data = inside(flag(&image.command, "--data-dir").unwrap());
    let published = || {
        calls
            .lock()
            .unwrap()
            .iter()
            .any(|(p, b)| p == "/metadata/annotation" && b.contains("emberkeep.dev/codes"))
    };
    while !(published() && data.join("table-1/journal.jsonl").exists()) {
        assert!(
            Instant::now() < deadline,
            "calls: {:?}",
            calls.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let paths: Vec<String> = calls.lock().unwrap().iter().map(|c| c.0.clone()).collect();
    assert!(paths.contains(&"/ready".to_string()), "{paths:?}");
    if root {
        let owner = std::fs::metadata(data.join("table-1")).unwrap().uid();
        assert_eq!(owner, uid, "the campaign is written by the image's user");
    }
    // Prometheus reaches it.
    let mut stream = std::net::TcpStream::connect(&metrics).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("emberkeep_campaigns 1"), "{answer}");
    let _ = std::fs::remove_dir_all(&tree);
}

/// Whether this test runs as root (then it runs the server as the image's user).
fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}
