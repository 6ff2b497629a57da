//! The narrator bridge: narrates what the rules decided and lets a language model choose what
//! NPCs try — without the tick ever waiting on it.
//!
//! The `builtin` narrator runs in the tick (it is instant and deterministic). Model backends run
//! on the bridge thread's tokio runtime; Bevy systems talk to it only through channels: jobs go
//! out, chunks / finished narrations / NPC choices come back and are polled each tick. A late,
//! failed or over-budget model falls back to the built-in narrator and tactics; the turn goes on.

pub mod backend;
pub mod builtin;

use crate::campaign::Campaign;
use crate::journal::Input;
use crate::outbox::Outbox;
use backend::{ModelConfig, ModelError, Usage};
use bevy::prelude::*;
use emberkeep_shared::event::Audience;
use emberkeep_shared::prelude::*;
use emberkeep_shared::tactics::{NpcOption, npc_options, plan_turn};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// Which narrator, and its failure policy.
#[derive(Debug, Clone, Default)]
pub struct NarratorSettings {
    /// A model, or `None` for the built-in narrator.
    pub model: Option<ModelConfig>,
    /// Tokens (in + out) a campaign may spend before falling back to the built-in narrator.
    pub budget_tokens: Option<u64>,
    /// Let the model choose NPC actions.
    pub npc_brain: bool,
    /// How long an NPC turn waits for the model's choice.
    pub npc_timeout: Duration,
}

impl NarratorSettings {
    /// The name shown in status lines.
    pub fn name(&self) -> String {
        match &self.model {
            None => "builtin".into(),
            Some(m) => format!("{} ({} at {})", m.wire.name(), m.model, m.base_url),
        }
    }
}

/// Counters of one campaign's narrator.
#[derive(Debug, Clone, Default)]
pub struct NarratorUsage {
    /// Narrations finished.
    pub narrations: u64,
    /// Of which fell back to the built-in narrator.
    pub fallbacks: u64,
    /// NPC turns chosen by the model.
    pub npc_choices: u64,
    /// NPC turns that fell back to the built-in tactics.
    pub npc_fallbacks: u64,
    /// Tokens in.
    pub input_tokens: u64,
    /// Tokens out.
    pub output_tokens: u64,
    /// The budget ran out: built-in from now on.
    pub exhausted: bool,
    /// The last error, for the host.
    pub last_error: Option<String>,
}

#[derive(Debug)]
struct Active {
    id: u64,
    text: String,
    events: Vec<SeqEvent>,
}

#[derive(Debug)]
struct PendingNpc {
    id: u64,
    npc: CombatantId,
    deadline_ms: u64,
    options: Vec<NpcOption>,
    answer: Option<Result<usize, String>>,
}

/// A campaign's narrator state (on the campaign entity).
#[derive(Component, Debug, Default)]
pub struct Narrator {
    next_id: u64,
    narrated_to: u64,
    queue: VecDeque<Vec<SeqEvent>>,
    active: Option<Active>,
    npc: Option<PendingNpc>,
    /// Counters.
    pub usage: NarratorUsage,
}

impl Narrator {
    /// A narrator that narrates events after `seq` (earlier ones were narrated before a restart).
    pub fn resumed_at(seq: u64) -> Self {
        Narrator {
            narrated_to: seq,
            ..Default::default()
        }
    }

    /// Whether a narration is being written or waits (exploration holds the queue meanwhile).
    pub fn busy(&self) -> bool {
        self.active.is_some() || !self.queue.is_empty()
    }
}

enum Job {
    Narrate {
        campaign: String,
        id: u64,
        system: String,
        user: String,
    },
    Npc {
        campaign: String,
        id: u64,
        system: String,
        user: String,
    },
}

enum Reply {
    Chunk {
        campaign: String,
        id: u64,
        text: String,
    },
    Done {
        campaign: String,
        id: u64,
        result: Result<(), ModelError>,
        usage: Usage,
    },
    Npc {
        campaign: String,
        id: u64,
        text: Result<String, ModelError>,
        usage: Usage,
    },
}

/// The bridge to the model thread.
#[derive(Resource)]
pub struct Bridge {
    jobs: UnboundedSender<Job>,
    replies: Mutex<Receiver<Reply>>,
}

/// The narrator settings as a resource.
#[derive(Resource, Debug, Clone, Default)]
pub struct Narration(pub NarratorSettings);

const NARRATOR_SYSTEM: &str = "You are the narrator of a fantasy tabletop role-playing game. Narrate the \
mechanical results you are given in two or three vivid sentences, present tense, plain text without \
markup. Never change a result: who hit, who missed, damage and deaths are decided. Do not invent new \
creatures or events, and do not speak for the players.";

const NPC_SYSTEM: &str = "You decide what a non-player creature in a tabletop role-playing game tries on its \
turn. Stay in character with its temperament. Answer with JSON only: {\"choice\": N} where N is the number \
of one of the listed options.";

/// Starts the bridge thread when a model is configured.
pub fn plugin(app: &mut App) {
    app.init_resource::<Narration>();
    let settings = app.world().resource::<Narration>().0.clone();
    if let Some(model) = settings.model.clone() {
        app.insert_resource(spawn_bridge(model));
    }
}

fn spawn_bridge(model: ModelConfig) -> Bridge {
    let (jobs_tx, mut jobs_rx) = unbounded_channel::<Job>();
    let (reply_tx, reply_rx) = std::sync::mpsc::channel::<Reply>();
    std::thread::Builder::new()
        .name("emberkeep-narrator".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let client = reqwest::Client::builder().build().expect("an HTTP client");
                while let Some(job) = jobs_rx.recv().await {
                    let (client, model, reply_tx) =
                        (client.clone(), model.clone(), reply_tx.clone());
                    // Every job is its own task: a stalled model in one campaign delays no other.
                    tokio::spawn(async move { run_job(&client, &model, job, reply_tx).await });
                }
            });
        })
        .expect("the narrator thread starts");
    Bridge {
        jobs: jobs_tx,
        replies: Mutex::new(reply_rx),
    }
}

async fn run_job(client: &reqwest::Client, model: &ModelConfig, job: Job, replies: Sender<Reply>) {
    match job {
        Job::Narrate {
            campaign,
            id,
            system,
            user,
        } => {
            let (tx, mut rx) = unbounded_channel::<String>();
            let forward = {
                let (replies, campaign) = (replies.clone(), campaign.clone());
                tokio::spawn(async move {
                    while let Some(text) = rx.recv().await {
                        let _ = replies.send(Reply::Chunk {
                            campaign: campaign.clone(),
                            id,
                            text,
                        });
                    }
                })
            };
            let result = backend::stream(client, model, &system, &user, &tx).await;
            drop(tx);
            let _ = forward.await;
            let (result, usage) = with_usage(result, ());
            let _ = replies.send(Reply::Done {
                campaign,
                id,
                result,
                usage,
            });
        }
        Job::Npc {
            campaign,
            id,
            system,
            user,
        } => {
            let (tx, mut rx) = unbounded_channel::<String>();
            let result = backend::stream(client, model, &system, &user, &tx).await;
            drop(tx);
            let mut text = String::new();
            while let Ok(piece) = rx.try_recv() {
                text.push_str(&piece);
            }
            let (text, usage) = with_usage(result, text);
            let _ = replies.send(Reply::Npc {
                campaign,
                id,
                text,
                usage,
            });
        }
    }
}

/// Splits a model call's outcome into the value (on success) and the tokens it used.
fn with_usage<T>(result: Result<Usage, ModelError>, value: T) -> (Result<T, ModelError>, Usage) {
    match result {
        Ok(usage) => (Ok(value), usage),
        Err(e) => (Err(e), Usage::default()),
    }
}

/// The structured snapshot a model narrates from: the scene, who stands where, and the
/// results to narrate — only what every player may see.
fn narration_prompt(campaign: &Campaign, events: &[SeqEvent]) -> String {
    let t = &campaign.table;
    let name = |id| campaign.name_of(id);
    let people = |side: Side| -> Vec<serde_json::Value> {
        t.combatants
            .iter()
            .filter(|c| c.side == side && !c.hidden)
            .map(|c| json!({ "name": c.name, "hp": c.hp, "max_hp": c.max_hp, "conditions": c.conditions.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>() }))
            .collect()
    };
    json!({
        "scene": t.encounter_name,
        "mode": format!("{:?}", t.mode),
        "round": t.combat.as_ref().map(|c| c.round),
        "party": people(Side::Party),
        "foes": people(Side::Foe),
        "results": events.iter().map(|e| e.event.describe(&name)).collect::<Vec<_>>(),
    })
    .to_string()
}

fn npc_prompt(campaign: &Campaign, npc: CombatantId, options: &[NpcOption]) -> String {
    let t = &campaign.table;
    let me = t.combatant(npc).expect("the NPC exists");
    let enemies: Vec<serde_json::Value> = t
        .combatants
        .iter()
        .filter(|c| c.side.hostile_to(me.side) && c.is_conscious() && !c.hidden)
        .map(|c| json!({ "name": c.name, "hp": c.hp, "max_hp": c.max_hp, "distance_ft": c.pos.feet_to(me.pos) }))
        .collect();
    json!({
        "you": { "name": me.name, "hp": me.hp, "max_hp": me.max_hp, "temperament": me.temperament },
        "enemies": enemies,
        "options": options.iter().enumerate().map(|(i, o)| format!("{}: {}", i + 1, o.label)).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Reads `{"choice": N}` (1-based) from a model's answer.
fn parse_choice(text: &str, options: usize) -> Result<usize, String> {
    let start = text.find('{').ok_or("no JSON object in the answer")?;
    let end = text.rfind('}').ok_or("no JSON object in the answer")?;
    let v: serde_json::Value =
        serde_json::from_str(&text[start..=end]).map_err(|e| format!("malformed JSON: {e}"))?;
    let n = v
        .get("choice")
        .and_then(|c| c.as_u64())
        .ok_or("no numeric `choice`")?;
    if n == 0 || n as usize > options {
        return Err(format!("choice {n} is not one of the {options} options"));
    }
    Ok(n as usize - 1)
}

/// Polls the bridge: streams chunks to the campaign's links, records finished narrations,
/// stores NPC answers. Runs in `TurnSystems::Receive`.
pub(crate) fn poll(
    bridge: Option<Res<Bridge>>,
    mut campaigns: Query<(&mut Campaign, &mut Narrator)>,
    mut outbox: ResMut<Outbox>,
    settings: Res<Narration>,
    time: Res<Time>,
) {
    let Some(bridge) = bridge else { return };
    let replies: Vec<Reply> = bridge
        .replies
        .lock()
        .expect("bridge lock")
        .try_iter()
        .collect();
    for reply in replies {
        let campaign_id = match &reply {
            Reply::Chunk { campaign, .. }
            | Reply::Done { campaign, .. }
            | Reply::Npc { campaign, .. } => campaign.clone(),
        };
        let Some((mut campaign, mut narrator)) =
            campaigns.iter_mut().find(|(c, _)| c.id == campaign_id)
        else {
            continue;
        };
        let now = campaign.now(&time);
        match reply {
            Reply::Chunk { id, text, .. } => {
                let Some(active) = narrator.active.as_mut().filter(|a| a.id == id) else {
                    continue;
                };
                active.text.push_str(&text);
                stream_chunk(&mut outbox, &campaign, id, &text);
            }
            Reply::Done {
                id, result, usage, ..
            } => {
                let Some(active) = narrator.active.take().filter(|a| a.id == id) else {
                    continue;
                };
                account(&mut narrator.usage, usage, settings.0.budget_tokens);
                let (text, source) = match result {
                    Ok(()) if !active.text.trim().is_empty() => (
                        active.text.trim().to_string(),
                        settings
                            .0
                            .model
                            .as_ref()
                            .map_or("builtin", |m| m.wire.name())
                            .to_string(),
                    ),
                    other => {
                        let error = other.err().map_or_else(
                            || "the model answered nothing".to_string(),
                            |e| e.to_string(),
                        );
                        warn!(
                            "[{}] narration {id}: {error}; using the built-in narrator",
                            campaign.id
                        );
                        narrator.usage.fallbacks += 1;
                        narrator.usage.last_error = Some(error);
                        (
                            coherent(
                                &active.text,
                                &builtin::narrate(&active.events, &|c| campaign.name_of(c)),
                            ),
                            "fallback".to_string(),
                        )
                    }
                };
                narrator.usage.narrations += 1;
                let _ = campaign.perform(Input::Narration { id, text, source }, now);
            }
            Reply::Npc {
                id, text, usage, ..
            } => {
                account(&mut narrator.usage, usage, settings.0.budget_tokens);
                if let Some(pending) = narrator.npc.as_mut().filter(|p| p.id == id) {
                    pending.answer = Some(
                        text.map_err(|e| e.to_string())
                            .and_then(|t| parse_choice(&t, pending.options.len())),
                    );
                }
            }
        }
    }
}

/// Sends a piece of narration `id` to everyone seated at the campaign.
fn stream_chunk(outbox: &mut Outbox, campaign: &Campaign, id: u64, text: &str) {
    for link in campaign.links() {
        outbox.send_narration(
            link,
            ToClient::NarrationChunk {
                id,
                text: text.to_string(),
            },
        );
    }
}

/// Keeps whole sentences of a cut-off answer (a streamed half-sentence is replaced by the
/// finished text), and adds the built-in narration when too little survived.
fn coherent(partial: &str, fallback: &str) -> String {
    let cut = partial
        .rfind(['.', '!', '?'])
        .map_or("", |i| &partial[..=i])
        .trim();
    if cut.len() >= 20 {
        cut.to_string()
    } else {
        fallback.to_string()
    }
}

fn account(usage: &mut NarratorUsage, used: Usage, budget: Option<u64>) {
    usage.input_tokens += used.input;
    usage.output_tokens += used.output;
    if let Some(b) = budget
        && usage.input_tokens + usage.output_tokens >= b
        && !usage.exhausted
    {
        usage.exhausted = true;
        warn!("narrator budget of {b} tokens spent: built-in narration and tactics from now on");
    }
}

/// Queues narration for new public events and starts the next narration. Runs after Publish.
pub(crate) fn request(
    bridge: Option<Res<Bridge>>,
    mut campaigns: Query<(&mut Campaign, &mut Narrator)>,
    mut outbox: ResMut<Outbox>,
    settings: Res<Narration>,
    time: Res<Time>,
) {
    for (mut campaign, mut narrator) in &mut campaigns {
        let in_combat = campaign.table.combat.is_some();
        // Batch public events up to the last boundary.
        if campaign.table.next_seq > narrator.narrated_to + 1 {
            let fresh: Vec<SeqEvent> = campaign
                .table
                .events_since(narrator.narrated_to + 1)
                .map(|e| e.cloned().collect())
                .unwrap_or_default();
            if let Some(last) = fresh
                .iter()
                .rposition(|e| builtin::boundary(&e.event, in_combat))
            {
                narrator.narrated_to = fresh[last].seq;
                let batch: Vec<SeqEvent> = fresh[..=last]
                    .iter()
                    .filter(|e| e.audience == Audience::Public && builtin::narratable(&e.event))
                    .cloned()
                    .collect();
                if !batch.is_empty() {
                    narrator.queue.push_back(batch);
                }
            }
        }
        if narrator.active.is_some() {
            continue;
        }
        let Some(events) = narrator.queue.pop_front() else {
            continue;
        };
        let now = campaign.now(&time);
        let use_model = bridge.is_some() && settings.0.model.is_some() && !narrator.usage.exhausted;
        narrator.next_id += 1;
        let id = narrator.next_id;
        if use_model {
            let prompt = narration_prompt(&campaign, &events);
            let bridge = bridge.as_ref().expect("checked");
            let _ = bridge.jobs.send(Job::Narrate {
                campaign: campaign.id.clone(),
                id,
                system: NARRATOR_SYSTEM.into(),
                user: prompt,
            });
            narrator.active = Some(Active {
                id,
                text: String::new(),
                events,
            });
        } else {
            let text = builtin::narrate(&events, &|c| campaign.name_of(c));
            if text.is_empty() {
                continue;
            }
            stream_chunk(&mut outbox, &campaign, id, &text);
            narrator.usage.narrations += 1;
            let _ = campaign.perform(
                Input::Narration {
                    id,
                    text,
                    source: "builtin".into(),
                },
                now,
            );
        }
    }
}

/// NPC turns with the model's brain: ask once, play the answer when it comes, or the built-in
/// tactics when it is late, invalid or the budget is spent. Runs in `TurnSystems::Advance`,
/// before timeouts.
pub(crate) fn npc_turns(
    bridge: Option<Res<Bridge>>,
    mut campaigns: Query<(&mut Campaign, &mut Narrator)>,
    settings: Res<Narration>,
    time: Res<Time>,
) {
    if !settings.0.npc_brain {
        return;
    }
    let Some(bridge) = bridge else { return };
    for (mut campaign, mut narrator) in &mut campaigns {
        let now = campaign.now(&time);
        let Some(npc) = campaign.table.npc_to_play() else {
            narrator.npc = None;
            continue;
        };
        if narrator.npc.as_ref().is_some_and(|p| p.npc != npc) {
            narrator.npc = None;
        }
        if narrator.npc.is_none() {
            if narrator.usage.exhausted {
                let plan = plan_turn(&campaign.table.board(), npc);
                let _ = campaign.perform(Input::NpcTurn { npc, plan }, now);
                continue;
            }
            let options = npc_options(&campaign.table.board(), npc, &|c| campaign.name_of(c));
            narrator.next_id += 1;
            let id = narrator.next_id;
            let user = npc_prompt(&campaign, npc, &options);
            let _ = bridge.jobs.send(Job::Npc {
                campaign: campaign.id.clone(),
                id,
                system: NPC_SYSTEM.into(),
                user,
            });
            let deadline_ms = now + settings.0.npc_timeout.as_millis() as u64;
            narrator.npc = Some(PendingNpc {
                id,
                npc,
                deadline_ms,
                options,
                answer: None,
            });
            continue;
        }
        let narrator = &mut *narrator;
        let pending = narrator.npc.as_ref().expect("checked");
        let plan = match &pending.answer {
            Some(Ok(i)) => {
                narrator.usage.npc_choices += 1;
                pending.options[*i].plan.clone()
            }
            Some(Err(why)) => {
                warn!("[{}] NPC brain: {why}; using built-in tactics", campaign.id);
                narrator.usage.npc_fallbacks += 1;
                narrator.usage.last_error = Some(why.clone());
                plan_turn(&campaign.table.board(), npc)
            }
            None if now >= pending.deadline_ms => {
                warn!(
                    "[{}] NPC brain answered late; using built-in tactics",
                    campaign.id
                );
                narrator.usage.npc_fallbacks += 1;
                plan_turn(&campaign.table.board(), npc)
            }
            None => continue,
        };
        narrator.npc = None;
        let _ = campaign.perform(Input::NpcTurn { npc, plan }, now);
    }
}
