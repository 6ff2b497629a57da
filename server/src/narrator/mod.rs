//! The narrator bridge: narrates what the rules decided and lets a language model choose what
//! NPCs try — without the tick ever waiting on it.
//!
//! The `builtin` narrator runs in the tick (it is instant and deterministic). Model backends run
//! on the bridge thread's tokio runtime; Bevy systems talk to it only through channels: jobs go
//! out, chunks / finished narrations / NPC choices come back and are polled each tick. A late,
//! failed, over-budget or unfaithful model falls back to the built-in narrator and tactics; the
//! turn goes on.
//!
//! Safety, in order: a player's words reach the model only as quoted data ([`prompt`]); what
//! the model writes is released to clients a whole sentence at a time, each checked against
//! the table first ([`check`]); and a narration that has not finished within
//! [`Narrator::deadline`] (real time, checked by the tick) is abandoned for the built-in one,
//! so exploration, which waits for the last narration, never waits forever.

pub mod backend;
mod bridge;
pub mod builtin;
pub mod check;
pub mod prompt;
mod recap;

use crate::campaign::{Campaign, ReplyTo};
use crate::journal::Input;
use crate::outbox::Outbox;
use backend::{ModelConfig, Usage};
use bevy::prelude::*;
pub use bridge::Bridge;
use bridge::{Job, Kind, Reply};
use check::{Facts, Gate};
use emberkeep_shared::event::Audience;
use emberkeep_shared::prelude::*;
use emberkeep_shared::tactics::{NpcOption, npc_options, spell_options};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

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

    /// How long a model narration may take, all told, before the tick gives up on it: twice
    /// the model's own total timeout (which the backend already keeps to; this catches a
    /// hung or lost call).
    pub fn narration_deadline(&self) -> Duration {
        self.model.as_ref().map_or(Duration::from_secs(60), |m| {
            m.total_timeout
                .saturating_mul(2)
                .max(Duration::from_secs(1))
        })
    }
}

/// Counters of one campaign's narrator.
#[derive(Debug, Clone, Default)]
pub struct NarratorUsage {
    /// Narrations finished.
    pub narrations: u64,
    /// Of which fell back to the built-in narrator (failed, late or rejected).
    pub fallbacks: u64,
    /// Of the fallbacks, model narrations rejected for claiming what the rules did not decide.
    pub rejected: u64,
    /// NPC turns chosen by the model.
    pub npc_choices: u64,
    /// NPC turns that fell back to the built-in tactics.
    pub npc_fallbacks: u64,
    /// Free-form actions judged by the model.
    pub judgments: u64,
    /// Judgments that fell back to the built-in keyword table (late, malformed, out of range).
    pub judge_fallbacks: u64,
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
    /// Holds the model's text back until each whole sentence has been checked.
    gate: Gate,
    events: Vec<SeqEvent>,
    /// Real time it was asked for, and after which the tick abandons it.
    started: Instant,
    deadline: Instant,
    /// A recap: who is told, and the rules' own recap (the fallback). `None`: a narration of
    /// `events` for everyone.
    recap: Option<(Audience, String)>,
}

#[derive(Debug)]
struct PendingNpc {
    id: u64,
    npc: CombatantId,
    deadline_ms: u64,
    options: Vec<NpcOption>,
    answer: Option<Result<usize, String>>,
}

/// A free-form action the model is judging.
#[derive(Debug)]
struct PendingJudge {
    id: u64,
    actor: CombatantId,
    text: String,
    deadline_ms: u64,
    /// The judgment is in the inbox (nothing more to do until the table takes it).
    sent: bool,
}

/// A campaign's narrator state (on the campaign entity).
#[derive(Component, Debug, Default)]
pub struct Narrator {
    next_id: u64,
    narrated_to: u64,
    queue: VecDeque<Vec<SeqEvent>>,
    active: Option<Active>,
    /// Recaps told since this event are written by the model too (beside the narration: a
    /// player catching up never holds the others' actions).
    recapped_to: u64,
    recaps: VecDeque<(Audience, String)>,
    recap: Option<Active>,
    npc: Option<PendingNpc>,
    judge: Option<PendingJudge>,
    /// How long a model narration may take before the tick abandons it for the built-in one
    /// (real time: the model runs in real time). `None`: the settings'
    /// [`NarratorSettings::narration_deadline`].
    pub deadline: Option<Duration>,
    /// Counters.
    pub usage: NarratorUsage,
    /// How long each model narration took, asked → concluded (drained into the metrics).
    pub(crate) latencies: Vec<Duration>,
}

impl Narrator {
    /// A narrator that narrates events after `seq` (earlier ones were narrated before a restart).
    pub fn resumed_at(seq: u64) -> Self {
        Narrator {
            narrated_to: seq,
            recapped_to: seq,
            ..Default::default()
        }
    }

    /// Whether a narration is being written or waits (exploration holds the queue meanwhile).
    pub fn busy(&self) -> bool {
        self.active.is_some() || !self.queue.is_empty()
    }
}

/// The narrator settings as a resource.
#[derive(Resource, Debug, Clone, Default)]
pub struct Narration(pub NarratorSettings);

/// Starts the bridge thread when a model is configured.
pub fn plugin(app: &mut App) {
    app.init_resource::<Narration>();
    let settings = app.world().resource::<Narration>().0.clone();
    if let Some(model) = settings.model.clone() {
        app.insert_resource(bridge::spawn_bridge(model));
    }
}

/// How a model narration ended.
enum Ending {
    /// The model finished and every sentence passed the checks.
    Finished,
    /// The model failed (error, cut off, nothing said, too late).
    Failed(String),
    /// A sentence claimed what the rules did not decide.
    Rejected(String),
}

/// Publishes the narration `active` ends with: the model's checked text, or the built-in
/// narration (after a failure, the whole sentences already shown if there are enough).
fn conclude(
    campaign: &mut Campaign,
    narrator: &mut Narrator,
    active: Active,
    ending: Ending,
    model_name: &str,
    now: u64,
) {
    let id = active.id;
    if narrator.latencies.len() < 1024 {
        narrator.latencies.push(active.started.elapsed());
    }
    let released = active.gate.released().trim().to_string();
    let ending = match ending {
        Ending::Finished if released.is_empty() => {
            Ending::Failed("the model answered nothing".into())
        }
        other => other,
    };
    let builtin = || match &active.recap {
        Some((_, recap)) => recap.clone(),
        None => builtin::narrate(&active.events, &|c| campaign.name_of(c)),
    };
    let (text, source) = match ending {
        Ending::Finished => (released, model_name.to_string()),
        Ending::Failed(error) => {
            warn!(
                "[{}] narration {id}: {error}; using the built-in narrator",
                campaign.id
            );
            narrator.usage.fallbacks += 1;
            narrator.usage.last_error = Some(error);
            (coherent(&released, &builtin()), "fallback".to_string())
        }
        Ending::Rejected(why) => {
            warn!(
                "[{}] narration {id} rejected: {why}; using the built-in narrator",
                campaign.id
            );
            narrator.usage.fallbacks += 1;
            narrator.usage.rejected += 1;
            narrator.usage.last_error = Some(format!("narration rejected: {why}"));
            (builtin(), "fallback".to_string())
        }
    };
    narrator.usage.narrations += 1;
    let to = active.recap.map(|(audience, _)| audience);
    campaign.inbox.push(
        Input::Narration {
            id,
            text,
            source,
            to,
        },
        now,
        ReplyTo::Nobody,
    );
}

/// The slot (narration or recap) writing `id`.
fn slot(narrator: &mut Narrator, id: u64) -> Option<&mut Option<Active>> {
    if narrator.active.as_ref().is_some_and(|a| a.id == id) {
        Some(&mut narrator.active)
    } else if narrator.recap.as_ref().is_some_and(|a| a.id == id) {
        Some(&mut narrator.recap)
    } else {
        None
    }
}

/// Polls the bridge: streams checked sentences to the campaign's links, queues finished
/// narrations in the campaign's inbox, stores NPC answers, and abandons narrations past their
/// deadline. Runs in `TurnSystems::Receive`.
pub(crate) fn poll(
    bridge: Option<Res<Bridge>>,
    mut campaigns: Query<(&mut Campaign, &mut Narrator)>,
    mut outbox: ResMut<Outbox>,
    settings: Res<Narration>,
    time: Res<Time>,
) {
    let Some(bridge) = bridge else { return };
    let model_name = settings
        .0
        .model
        .as_ref()
        .map_or("builtin", |m| m.wire.name());
    for reply in bridge.replies() {
        let Some((mut campaign, mut narrator)) =
            campaigns.iter_mut().find(|(c, _)| c.id == reply.campaign())
        else {
            continue;
        };
        let (campaign, narrator) = (&mut *campaign, &mut *narrator);
        let now = campaign.now(&time);
        match reply {
            Reply::Chunk { id, text, .. } => {
                let Some(held) = slot(narrator, id) else {
                    continue;
                };
                let active = held.as_mut().expect("matched");
                let facts = Facts::new(&campaign.table, &active.events);
                match active.gate.push(&text, &facts) {
                    Ok(released) => {
                        let to = active.recap.as_ref().map(|r| &r.0);
                        stream_chunk(&mut outbox, campaign, to, id, &released);
                    }
                    Err(why) => {
                        let active = held.take().expect("matched above");
                        conclude(
                            campaign,
                            narrator,
                            active,
                            Ending::Rejected(why),
                            model_name,
                            now,
                        );
                    }
                }
            }
            Reply::Done {
                id, result, usage, ..
            } => {
                // Tokens count even when the narration was already concluded (late, rejected).
                account(&mut narrator.usage, usage, settings.0.budget_tokens);
                let Some(held) = slot(narrator, id) else {
                    continue;
                };
                let mut active = held.take().expect("matched");
                let ending = match result {
                    Ok(()) => {
                        let facts = Facts::new(&campaign.table, &active.events);
                        match active.gate.finish(&facts) {
                            Ok(rest) => {
                                let to = active.recap.as_ref().map(|r| &r.0);
                                stream_chunk(&mut outbox, campaign, to, id, &rest);
                                Ending::Finished
                            }
                            Err(why) => Ending::Rejected(why),
                        }
                    }
                    Err(e) => Ending::Failed(e.to_string()),
                };
                conclude(campaign, narrator, active, ending, model_name, now);
            }
            Reply::Judge {
                id, text, usage, ..
            } => {
                account(&mut narrator.usage, usage, settings.0.budget_tokens);
                let Some(pending) = narrator.judge.as_mut().filter(|p| p.id == id && !p.sent)
                else {
                    continue;
                };
                pending.sent = true;
                let (actor, words) = (pending.actor, pending.text.clone());
                let (check, source) = match text
                    .map_err(|e| e.to_string())
                    .and_then(|t| prompt::parse_judgment(&t))
                {
                    Ok(check) => {
                        narrator.usage.judgments += 1;
                        (check, model_name.to_string())
                    }
                    Err(why) => {
                        warn!("[{}] judge: {why}; using the keyword table", campaign.id);
                        narrator.usage.judge_fallbacks += 1;
                        narrator.usage.last_error = Some(format!("judgment: {why}"));
                        (
                            emberkeep_shared::judge::builtin_judgment(&words),
                            "builtin".to_string(),
                        )
                    }
                };
                campaign.inbox.push(
                    Input::Judged {
                        actor,
                        check,
                        source,
                    },
                    now,
                    ReplyTo::Nobody,
                );
            }
            Reply::Npc {
                id, text, usage, ..
            } => {
                account(&mut narrator.usage, usage, settings.0.budget_tokens);
                if let Some(pending) = narrator.npc.as_mut().filter(|p| p.id == id) {
                    pending.answer = Some(
                        text.map_err(|e| e.to_string())
                            .and_then(|t| prompt::parse_choice(&t, pending.options.len())),
                    );
                }
            }
        }
    }
    // The tick's own deadline: whatever happened to the call (a hung or lost task, a stream
    // that trickles on), the table gets the built-in narration and goes on.
    let wall = Instant::now();
    for (mut campaign, mut narrator) in &mut campaigns {
        let (campaign, narrator) = (&mut *campaign, &mut *narrator);
        for recap in [false, true] {
            let held = if recap {
                &mut narrator.recap
            } else {
                &mut narrator.active
            };
            if held.as_ref().is_some_and(|a| wall >= a.deadline) {
                let active = held.take().expect("checked");
                let now = campaign.now(&time);
                let ending =
                    Ending::Failed("the model did not finish the narration in time".into());
                conclude(campaign, narrator, active, ending, model_name, now);
            }
        }
    }
}

/// Sends a piece of narration `id` to everyone seated at the campaign (`to`: the seats that
/// may see that audience).
fn stream_chunk(
    outbox: &mut Outbox,
    campaign: &Campaign,
    to: Option<&Audience>,
    id: u64,
    text: &str,
) {
    if text.is_empty() {
        return;
    }
    let links: Vec<Entity> = match to {
        None => campaign.links().collect(),
        Some(audience) => campaign.links_seeing(audience).collect(),
    };
    for link in links {
        outbox.send_narration(
            link,
            ToClient::NarrationChunk {
                id,
                text: text.to_string(),
            },
        );
    }
}

/// Keeps the whole sentences of a failed answer that were already shown (they passed the
/// checks), or the built-in narration when too little survived.
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

/// Queues narration for new public events and starts the next narration (a built-in one is
/// written at once and queued in the campaign's inbox). Runs after Publish.
pub(crate) fn request(
    bridge: Option<Res<Bridge>>,
    mut campaigns: Query<(&mut Campaign, &mut Narrator)>,
    mut outbox: ResMut<Outbox>,
    settings: Res<Narration>,
    time: Res<Time>,
) {
    let use_model = bridge.is_some() && settings.0.model.is_some();
    for (mut campaign, mut narrator) in &mut campaigns {
        if use_model && !narrator.usage.exhausted {
            recap::recaps(
                &campaign,
                &mut narrator,
                bridge.as_deref().expect("checked"),
                &settings.0,
            );
        }
        // A free-form action waits for its judgment: its narration follows the result.
        if campaign.table.judging.is_some() {
            continue;
        }
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
            let user = prompt::narration_prompt(&campaign, &events);
            let bridge = bridge.as_ref().expect("checked");
            bridge.send(Job {
                kind: Kind::Narrate,
                campaign: campaign.id.clone(),
                id,
                system: prompt::NARRATOR_SYSTEM.into(),
                user,
            });
            let limit = narrator
                .deadline
                .unwrap_or_else(|| settings.0.narration_deadline());
            let started = Instant::now();
            narrator.active = Some(Active {
                id,
                started,
                gate: Gate::default(),
                events,
                deadline: started
                    .checked_add(limit)
                    .unwrap_or(started + Duration::from_secs(86_400)),
                recap: None,
            });
        } else {
            let text = builtin::narrate(&events, &|c| campaign.name_of(c));
            if text.is_empty() {
                continue;
            }
            stream_chunk(&mut outbox, &campaign, None, id, &text);
            narrator.usage.narrations += 1;
            // Resolved first thing next tick, ahead of what arrives then.
            campaign.inbox.push(
                Input::Narration {
                    id,
                    text,
                    source: "builtin".into(),
                    to: None,
                },
                now,
                ReplyTo::Nobody,
            );
        }
    }
}

/// NPC turns with the model's brain: ask once, queue the answer in the campaign's inbox when
/// it comes, or the built-in tactics when it is late, invalid or the budget is spent. Runs in
/// `TurnSystems::Advance`, before the timeouts are queued.
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
                let plan = campaign.table.plan_for(npc);
                campaign
                    .inbox
                    .push(Input::NpcTurn { npc, plan }, now, ReplyTo::Nobody);
                continue;
            }
            // The spells worth casting first, then attacks and moves.
            let mut options = spell_options(&campaign.table, npc);
            options.extend(npc_options(&campaign.table.board(), npc, &|c| {
                campaign.name_of(c)
            }));
            narrator.next_id += 1;
            let id = narrator.next_id;
            let user = prompt::npc_prompt(&campaign, npc, &options);
            bridge.send(Job {
                kind: Kind::Npc,
                campaign: campaign.id.clone(),
                id,
                system: prompt::NPC_SYSTEM.into(),
                user,
            });
            let timeout = u64::try_from(settings.0.npc_timeout.as_millis()).unwrap_or(u64::MAX);
            let deadline_ms = now.saturating_add(timeout);
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
                campaign.table.plan_for(npc)
            }
            None if now >= pending.deadline_ms => {
                warn!(
                    "[{}] NPC brain answered late; using built-in tactics",
                    campaign.id
                );
                narrator.usage.npc_fallbacks += 1;
                narrator.usage.last_error =
                    Some("the model did not choose an NPC's move in time".into());
                campaign.table.plan_for(npc)
            }
            None => continue,
        };
        narrator.npc = None;
        campaign
            .inbox
            .push(Input::NpcTurn { npc, plan }, now, ReplyTo::Nobody);
    }
}

/// Free-form actions waiting for a judgment: the model is asked once (when one is configured
/// and its budget lasts), else — or when it is late or answers nonsense — the built-in
/// keyword table judges. The judgment goes into the campaign's inbox. Runs in
/// `TurnSystems::Advance`.
pub(crate) fn judge(
    bridge: Option<Res<Bridge>>,
    mut campaigns: Query<(&mut Campaign, &mut Narrator)>,
    settings: Res<Narration>,
    time: Res<Time>,
) {
    for (mut campaign, mut narrator) in &mut campaigns {
        let now = campaign.now(&time);
        let Some(judging) = campaign.table.judging.clone() else {
            narrator.judge = None;
            continue;
        };
        let narrator = &mut *narrator;
        if narrator
            .judge
            .as_ref()
            .is_some_and(|p| p.actor != judging.actor || p.text != judging.text)
        {
            narrator.judge = None;
        }
        let builtin = |campaign: &mut Campaign| {
            campaign.inbox.push(
                Input::Judged {
                    actor: judging.actor,
                    check: emberkeep_shared::judge::builtin_judgment(&judging.text),
                    source: "builtin".into(),
                },
                now,
                ReplyTo::Nobody,
            );
        };
        match narrator.judge.as_mut() {
            None => {
                narrator.next_id += 1;
                let id = narrator.next_id;
                let model = bridge
                    .as_ref()
                    .filter(|_| settings.0.model.is_some() && !narrator.usage.exhausted);
                let sent = match model {
                    Some(bridge) => {
                        bridge.send(Job {
                            kind: Kind::Judge,
                            campaign: campaign.id.clone(),
                            id,
                            system: prompt::JUDGE_SYSTEM.into(),
                            user: prompt::judge_prompt(&campaign, judging.actor, &judging.text),
                        });
                        false
                    }
                    None => {
                        builtin(&mut campaign);
                        true
                    }
                };
                let timeout = u64::try_from(settings.0.npc_timeout.as_millis()).unwrap_or(u64::MAX);
                narrator.judge = Some(PendingJudge {
                    id,
                    actor: judging.actor,
                    text: judging.text.clone(),
                    deadline_ms: now.saturating_add(timeout),
                    sent,
                });
            }
            Some(p) if !p.sent && now >= p.deadline_ms => {
                warn!(
                    "[{}] judge answered late; using the keyword table",
                    campaign.id
                );
                p.sent = true;
                narrator.usage.judge_fallbacks += 1;
                narrator.usage.last_error =
                    Some("the model did not judge an action in time".into());
                builtin(&mut campaign);
            }
            Some(_) => {}
        }
    }
}
