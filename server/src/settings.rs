//! Server settings and the command line that fills them.

use bevy::prelude::*;
use clap::Parser;
use emberkeep_shared::protocol::{
    DEFAULT_HTTP_PORT, DEFAULT_TICK_HZ, DEFAULT_UDP_PORT, DEFAULT_WS_PORT,
};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// Real sockets: UDP for native clients, WebSocket (`ws://`) for web clients.
    Sockets {
        /// UDP address (port 0 picks a free port).
        udp: Option<SocketAddr>,
        /// WebSocket address.
        ws: Option<SocketAddr>,
        /// HTTP address of the join endpoint.
        http: Option<SocketAddr>,
    },
    /// No sockets: links are attached in-process (tests and benchmarks, crossbeam IO).
    InProcess,
}

/// Everything the server needs to start.
#[derive(Resource, Debug, Clone)]
pub struct ServerSettings {
    /// Where to listen.
    pub listen: Listen,
    /// Ticks per second.
    pub tick_hz: f64,
    /// Assets folder.
    pub assets: PathBuf,
    /// Content packs laid over the assets folder's content, in order (a pack's file replaces
    /// the one with the same path before it; see [`ContentLibrary::load_dirs`]).
    ///
    /// [`ContentLibrary::load_dirs`]: emberkeep_shared::content::ContentLibrary::load_dirs
    pub packs: Vec<PathBuf>,
    /// Watch the content folders and reload what changes (hot reload).
    pub watch: bool,
    /// Encounter every campaign starts with.
    pub encounter: String,
    /// How many campaigns (tables) to open.
    pub campaigns: u32,
    /// Turn timeout.
    pub turn_timeout: Duration,
    /// How long a player has to answer a reaction (Shield).
    pub reaction_window: Duration,
    /// The party's level for new campaigns (None: the encounter's).
    pub level: Option<u32>,
    /// Base RNG seed; campaign `n` uses `seed + n`.
    pub seed: u64,
    /// Print every event to the log.
    pub log_events: bool,
    /// Netcode private key (random per run unless a test sets it).
    pub private_key: [u8; 32],
    /// Where campaigns are journaled; `None` keeps them in memory only.
    pub data_dir: Option<PathBuf>,
    /// Host name or address printed in join links.
    pub public_host: Option<String>,
    /// Print a QR code per seat at start.
    pub print_qr: bool,
    /// Serve the web client's files from this folder on this address (and `/api/join`).
    pub web: Option<(SocketAddr, PathBuf)>,
    /// Serve Prometheus metrics (`GET /metrics`) on this address.
    pub metrics: Option<SocketAddr>,
    /// Speak the Agones SDK lifecycle (a fleet on Kubernetes).
    pub agones: Option<crate::agones::AgonesSettings>,
    /// Campaigns this process holds at most (an allocation beyond is refused).
    pub max_campaigns: u32,
    /// Read host commands from stdin.
    pub console: bool,
    /// Also write the join codes to this file (`campaign seat code` per line) for scripts.
    pub codes_file: Option<PathBuf>,
    /// What the HTTP listeners accept.
    pub http: crate::http::HttpLimits,
    /// Connections the spectator seat takes at once (a TV or two, a few watchers).
    pub max_spectators: usize,
    /// Seats nobody plays are companions (played by the table) instead of waiting.
    pub companions: bool,
    /// Players may bring their own characters (character files) to a new campaign.
    pub own_characters: bool,
    /// Links one address may have waiting for the netcode handshake at once.
    pub max_pending_links_per_address: usize,
    /// Intents per second a connection may send (sustained).
    pub rate_per_second: f64,
    /// Burst size of the rate limit.
    pub rate_burst: f64,
    /// The narrator and its failure policy.
    pub narrator: crate::narrator::NarratorSettings,
    /// Worlds this process runs, each on a thread of its own with its own listeners
    /// (`--shards`; see [`crate::shards`]).
    pub shards: u32,
    /// Which of them this world is (set by the shard supervisor for its worlds).
    pub shard: Option<ShardPlace>,
}

/// One world's place among a process's shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardPlace {
    /// 0-based.
    pub index: u32,
    /// How many shards the process runs.
    pub count: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: Listen::InProcess,
            tick_hz: DEFAULT_TICK_HZ,
            assets: PathBuf::from("assets"),
            packs: Vec::new(),
            watch: false,
            encounter: "goblin-ambush".into(),
            campaigns: 1,
            turn_timeout: Duration::from_secs(120),
            reaction_window: Duration::from_secs(6),
            level: None,
            seed: 1,
            log_events: false,
            private_key: rand::random(),
            data_dir: None,
            public_host: None,
            print_qr: false,
            web: None,
            metrics: None,
            agones: None,
            max_campaigns: 64,
            console: false,
            codes_file: None,
            http: crate::http::HttpLimits::default(),
            max_spectators: 16,
            companions: false,
            own_characters: true,
            max_pending_links_per_address: 16,
            rate_per_second: 10.0,
            rate_burst: 20.0,
            narrator: crate::narrator::NarratorSettings {
                npc_timeout: Duration::from_secs(4),
                ..Default::default()
            },
            shards: 1,
            shard: None,
        }
    }
}

/// Emberkeep's dedicated table server.
///
/// Hosts one or more campaigns (tables) of a bundled encounter; native clients join over UDP,
/// web clients over WebSocket. Every event is printed as it happens.
#[derive(Debug, Parser)]
#[command(name = "emberkeep-server", version, about, long_about = None)]
pub struct Cli {
    /// Address to bind.
    #[arg(long, default_value = "0.0.0.0", env = "EMBERKEEP_BIND")]
    pub bind: IpAddr,
    /// UDP port for native clients (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_UDP_PORT, env = "EMBERKEEP_UDP_PORT")]
    pub udp_port: u16,
    /// WebSocket port for web clients (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_WS_PORT, env = "EMBERKEEP_WS_PORT")]
    pub ws_port: u16,
    /// Do not listen on WebSocket.
    #[arg(long)]
    pub no_websocket: bool,
    /// HTTP port of the join endpoint (join codes → connect tokens; 0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_HTTP_PORT, env = "EMBERKEEP_HTTP_PORT")]
    pub http_port: u16,
    /// Do not serve HTTP (players then cannot join by code).
    #[arg(long)]
    pub no_http: bool,
    /// Host name or address players use to reach this server, for printed join links
    /// (default: this machine's LAN address).
    #[arg(long, env = "EMBERKEEP_PUBLIC_HOST")]
    pub public_host: Option<String>,
    /// Print each seat's join link as a QR code at start (also: console command `qr SEAT`).
    #[arg(long)]
    pub qr: bool,
    /// Serve the web client on this HTTP port (built by `emberkeep-tools web-bundle`): join
    /// links then open the game in a browser, which connects back over WebSocket.
    #[arg(long, env = "EMBERKEEP_WEB_PORT")]
    pub web: Option<u16>,
    /// The web client's files (see --web).
    #[arg(long, default_value = "web/dist", env = "EMBERKEEP_WEB_ROOT")]
    pub web_root: PathBuf,
    /// Speak the Agones SDK lifecycle through the SDK server's HTTP gateway (Ready, Health,
    /// allocations opening campaigns, player tracking, Shutdown); see deploy/agones/.
    #[arg(long, env = "EMBERKEEP_AGONES")]
    pub agones: bool,
    /// The Agones SDK server's HTTP gateway (default: `http://localhost:$AGONES_SDK_HTTP_PORT`,
    /// port 9358 if unset).
    #[arg(long)]
    pub agones_sdk: Option<String>,
    /// Seconds between Agones health pings (below the GameServer's `health.periodSeconds`).
    #[arg(long, default_value_t = 2)]
    pub agones_health: u64,
    /// Campaigns this process holds at most: an Agones allocation beyond is refused.
    #[arg(long, default_value_t = 64)]
    pub max_campaigns: u32,
    /// Serve Prometheus metrics (`GET /metrics`) on this address, e.g. `127.0.0.1:9100`
    /// (keep it off the internet: a private network or loopback; port 0 picks a free one).
    #[arg(long, env = "EMBERKEEP_METRICS")]
    pub metrics: Option<SocketAddr>,
    /// Also write the join codes to this file, one `campaign seat code` per line (for
    /// scripts and bots; keep it private).
    #[arg(long)]
    pub codes_file: Option<PathBuf>,
    /// Who narrates: `builtin` (offline templates), `openai` (any OpenAI-compatible
    /// chat-completions endpoint: OpenAI, Ollama, llama.cpp, vLLM) or `anthropic`.
    #[arg(long, default_value = "builtin", env = "EMBERKEEP_NARRATOR")]
    pub narrator: NarratorKind,
    /// The model endpoint's base URL (default: OpenAI's or Anthropic's).
    #[arg(long, env = "EMBERKEEP_NARRATOR_URL")]
    pub narrator_url: Option<String>,
    /// Model name.
    #[arg(long, env = "EMBERKEEP_MODEL")]
    pub model: Option<String>,
    /// Read the API key from this file (otherwise from OPENAI_API_KEY / ANTHROPIC_API_KEY).
    #[arg(long)]
    pub narrator_key_file: Option<PathBuf>,
    /// Seconds the model may stay silent (before answering, or between two pieces).
    #[arg(long, default_value_t = 10.0)]
    pub narrator_timeout: f64,
    /// Tokens a campaign may spend on the model before falling back to the built-in narrator.
    #[arg(long)]
    pub narrator_budget: Option<u64>,
    /// Keep NPC turns on the built-in tactics even with a model.
    #[arg(long)]
    pub no_npc_brain: bool,
    /// Seconds an NPC turn waits for the model's choice before the built-in tactics play it.
    #[arg(long, default_value_t = 4.0)]
    pub npc_timeout: f64,
    /// Journal campaigns in this folder: a restart resumes every open campaign where it was.
    #[arg(long, env = "EMBERKEEP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Adventure (a folder in ASSETS/adventures/) or single encounter (a file in
    /// ASSETS/encounters/ without `.ron`) that new campaigns run.
    #[arg(long, short, default_value = "ember", env = "EMBERKEEP_ENCOUNTER")]
    pub encounter: String,
    /// How many campaigns (tables) to open, named table-1, table-2, ... (with --data-dir, only
    /// when none is stored there yet).
    #[arg(long, default_value_t = 1)]
    pub campaigns: u32,
    /// Seconds before an idle player's turn ends in the Dodge action.
    #[arg(long, default_value_t = 120)]
    pub turn_timeout: u64,
    /// Seconds a player has to answer a reaction the table offers (Shield when hit); the
    /// default answer is taken when they pass.
    #[arg(long, default_value_t = 6)]
    pub reaction_window: u64,
    /// The party's level, 1 to 3, for new campaigns (default: the encounter's `level`).
    #[arg(long)]
    pub level: Option<u32>,
    /// Server ticks per second.
    #[arg(long, default_value_t = DEFAULT_TICK_HZ)]
    pub tick_rate: f64,
    /// Dice seed (campaign n uses SEED + n); a random one if not given.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Assets folder.
    #[arg(long, default_value = "assets", env = "EMBERKEEP_ASSETS")]
    pub assets: PathBuf,
    /// A content pack: a folder laid out like the assets folder's content (creatures/,
    /// maps/, adventures/…) whose files add to it or replace the file of the same path.
    /// Repeat for several packs; later ones win.
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    /// Do not watch the content folders: edits then need a restart (or the console's
    /// `reload`).
    #[arg(long)]
    pub no_watch: bool,
    /// Do not print events as they happen.
    #[arg(long)]
    pub quiet: bool,
    /// Seconds an HTTP client may take to send a request's line and headers (and may stay
    /// idle between requests) before its connection is closed.
    #[arg(long, default_value_t = 10)]
    pub http_timeout: u64,
    /// Connections the spectator seat takes at once.
    #[arg(long, default_value_t = 16)]
    pub max_spectators: usize,
    /// Characters whose seat nobody has taken are played by companions (the built-in tactics,
    /// or the model's NPC brain) instead of waiting for a player; a player who joins takes
    /// over at once (`companion SEAT on|off` switches a seat).
    #[arg(long)]
    pub companions: bool,
    /// Players may not bring their own characters: every seat plays the adventure's own
    /// (by default a seat may, before the story begins).
    #[arg(long)]
    pub no_own_characters: bool,
    /// HTTP connections one address may hold open at once.
    #[arg(long, default_value_t = 32)]
    pub http_connections_per_address: usize,
    /// Worlds to run, one per core: each has its own UDP/WebSocket ports (shard i listens on
    /// --udp-port + 10·i and --ws-port + 10·i; 0 picks free ports) and campaigns, behind one
    /// join endpoint; a shard that fails is restarted from its journals alone.
    #[arg(long, default_value_t = 1, env = "EMBERKEEP_SHARDS")]
    pub shards: u32,
}

impl Cli {
    /// Turns the command line into settings, or a reason it makes no sense.
    pub fn into_settings(self) -> Result<ServerSettings, String> {
        if !(1.0..=240.0).contains(&self.tick_rate) {
            return Err(format!(
                "--tick-rate {} is out of range: expected 1 to 240",
                self.tick_rate
            ));
        }
        if self.turn_timeout == 0 || self.turn_timeout > 24 * 3600 {
            return Err(format!(
                "--turn-timeout {} is out of range: expected 1 to 86400 seconds",
                self.turn_timeout
            ));
        }
        if self.reaction_window == 0 || self.reaction_window > 60 {
            return Err(format!(
                "--reaction-window {} is out of range: expected 1 to 60 seconds",
                self.reaction_window
            ));
        }
        if self.level.is_some_and(|l| !(1..=3).contains(&l)) {
            return Err(format!(
                "--level {} is not supported: expected 1 to 3",
                self.level.unwrap_or_default()
            ));
        }
        // A fleet server (--agones) may start empty: its allocations open its campaigns.
        if (self.campaigns == 0 && !self.agones) || self.campaigns > 1000 {
            return Err(format!(
                "--campaigns {} is out of range: expected 1 to 1000 (0 only with --agones)",
                self.campaigns
            ));
        }
        if self.web.is_some() && self.no_websocket {
            return Err(
                "--web serves the browser client, which plays over WebSocket: drop --no-websocket (or --web)"
                    .into(),
            );
        }
        if self.agones_health == 0 || self.agones_health > 60 {
            return Err(format!(
                "--agones-health {} is out of range: expected 1 to 60 seconds",
                self.agones_health
            ));
        }
        if self.campaigns > self.max_campaigns {
            return Err(format!(
                "--campaigns {} is more than --max-campaigns {}",
                self.campaigns, self.max_campaigns
            ));
        }
        if self.http_timeout == 0 || self.http_timeout > 600 {
            return Err(format!(
                "--http-timeout {} is out of range: expected 1 to 600 seconds",
                self.http_timeout
            ));
        }
        if !(1..=64).contains(&self.shards) {
            return Err(format!(
                "--shards {} is out of range: expected 1 to 64",
                self.shards
            ));
        }
        if self.shards > 1 && self.agones {
            return Err(
                "--shards and --agones do not go together yet: run one shard per game server pod"
                    .into(),
            );
        }
        if self.http_connections_per_address == 0 {
            return Err("--http-connections-per-address must be at least 1".into());
        }
        let seed = self.seed.unwrap_or_else(rand::random);
        let narrator = self.narrator_settings()?;
        Ok(ServerSettings {
            listen: Listen::Sockets {
                udp: Some(SocketAddr::new(self.bind, self.udp_port)),
                ws: (!self.no_websocket).then(|| SocketAddr::new(self.bind, self.ws_port)),
                http: (!self.no_http).then(|| SocketAddr::new(self.bind, self.http_port)),
            },
            web: self.web.map(|port| {
                (
                    SocketAddr::new(self.bind, port),
                    emberkeep_shared::repo_folder(&self.web_root, env!("CARGO_MANIFEST_DIR")),
                )
            }),
            data_dir: self.data_dir,
            metrics: self.metrics,
            agones: self.agones.then(|| crate::agones::AgonesSettings {
                sdk: self.agones_sdk.clone().unwrap_or_else(|| {
                    let port = std::env::var("AGONES_SDK_HTTP_PORT")
                        .ok()
                        .and_then(|p| p.parse::<u16>().ok())
                        .unwrap_or(9358);
                    format!("http://localhost:{port}")
                }),
                health_every: Duration::from_secs(self.agones_health),
            }),
            max_campaigns: self.max_campaigns,
            public_host: self.public_host,
            print_qr: self.qr,
            codes_file: self.codes_file.clone(),
            narrator,
            console: true,
            tick_hz: self.tick_rate,
            assets: emberkeep_shared::repo_folder(&self.assets, env!("CARGO_MANIFEST_DIR")),
            packs: self.packs,
            watch: !self.no_watch,
            encounter: self.encounter,
            campaigns: self.campaigns,
            turn_timeout: Duration::from_secs(self.turn_timeout),
            reaction_window: Duration::from_secs(self.reaction_window),
            level: self.level,
            seed,
            log_events: !self.quiet,
            max_spectators: self.max_spectators,
            companions: self.companions,
            own_characters: !self.no_own_characters,
            http: crate::http::HttpLimits {
                header_timeout: Duration::from_secs(self.http_timeout),
                request_timeout: Duration::from_secs(self.http_timeout),
                max_connections_per_address: self.http_connections_per_address,
                ..Default::default()
            },
            shards: self.shards,
            ..ServerSettings::default()
        })
    }
}

/// Narrator backends on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NarratorKind {
    /// Offline templates.
    Builtin,
    /// An OpenAI-compatible chat-completions endpoint.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

impl Cli {
    fn narrator_settings(&self) -> Result<crate::narrator::NarratorSettings, String> {
        use crate::narrator::backend::{ModelConfig, Wire};
        // Checked first: `Duration::from_secs_f64` panics on NaN or a negative number.
        if !(0.1..=600.0).contains(&self.narrator_timeout)
            || !(0.1..=600.0).contains(&self.npc_timeout)
        {
            return Err("--narrator-timeout and --npc-timeout are 0.1 to 600 seconds".into());
        }
        let (wire, default_url, env_key) = match self.narrator {
            NarratorKind::Builtin => {
                return Ok(crate::narrator::NarratorSettings {
                    npc_timeout: Duration::from_secs_f64(self.npc_timeout),
                    ..Default::default()
                });
            }
            NarratorKind::Openai => (Wire::OpenAi, "https://api.openai.com/v1", "OPENAI_API_KEY"),
            NarratorKind::Anthropic => (
                Wire::Anthropic,
                "https://api.anthropic.com/v1",
                "ANTHROPIC_API_KEY",
            ),
        };
        let model = self
            .model
            .clone()
            .ok_or("--model NAME is needed with a model narrator")?;
        let api_key = match &self.narrator_key_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| {
                        format!("cannot read --narrator-key-file {}: {e}", path.display())
                    })?
                    .trim()
                    .to_string(),
            ),
            None => std::env::var(env_key).ok().filter(|k| !k.trim().is_empty()),
        };
        Ok(crate::narrator::NarratorSettings {
            model: Some(ModelConfig {
                wire,
                base_url: self
                    .narrator_url
                    .clone()
                    .unwrap_or_else(|| default_url.to_string()),
                model,
                api_key,
                stall_timeout: Duration::from_secs_f64(self.narrator_timeout),
                total_timeout: Duration::from_secs_f64(self.narrator_timeout * 3.0),
                retries: 2,
                max_tokens: 300,
            }),
            budget_tokens: self.narrator_budget,
            npc_brain: !self.no_npc_brain,
            npc_timeout: Duration::from_secs_f64(self.npc_timeout),
        })
    }
}
