//! The bridge thread: a tokio runtime that runs model calls, one task per job, and answers
//! through a channel the tick polls. Nothing here may take the tick down or leave a job
//! unanswered: a job whose task panics is answered with an error (and the tick's own
//! deadline covers whatever this still misses).

use super::backend::{self, ModelConfig, ModelError, Usage};
use bevy::prelude::*;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// What the tick asks of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Narrate: the answer streams back in chunks.
    Narrate,
    /// Choose an NPC's move: the answer comes back whole.
    Npc,
    /// Judge a free-form action: the answer comes back whole.
    Judge,
}

pub(super) struct Job {
    pub(super) kind: Kind,
    pub(super) campaign: String,
    pub(super) id: u64,
    pub(super) system: String,
    pub(super) user: String,
}

pub(super) enum Reply {
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
    Judge {
        campaign: String,
        id: u64,
        text: Result<String, ModelError>,
        usage: Usage,
    },
}

impl Reply {
    pub(super) fn campaign(&self) -> &str {
        match self {
            Reply::Chunk { campaign, .. }
            | Reply::Done { campaign, .. }
            | Reply::Npc { campaign, .. }
            | Reply::Judge { campaign, .. } => campaign,
        }
    }
}

/// The bridge to the model thread.
#[derive(Resource)]
pub struct Bridge {
    jobs: UnboundedSender<Job>,
    replies: Mutex<Receiver<Reply>>,
}

impl Bridge {
    /// Sends a job (a bridge that is gone answers nothing; the tick's deadlines cover it).
    pub(super) fn send(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    /// Every reply that has arrived.
    pub(super) fn replies(&self) -> Vec<Reply> {
        match self.replies.lock() {
            Ok(r) => r.try_iter().collect(),
            // Only this function locks it, and it cannot panic while holding it; still, never
            // take the tick down over it.
            Err(poisoned) => poisoned.into_inner().try_iter().collect(),
        }
    }
}

/// Starts the bridge thread for `model`.
pub(super) fn spawn_bridge(model: ModelConfig) -> Bridge {
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
                    // Every job is its own task: a stalled model in one campaign delays no
                    // other. A supervisor answers for a task that panics.
                    let (kind, campaign, id) = (job.kind, job.campaign.clone(), job.id);
                    let task = tokio::spawn({
                        let reply_tx = reply_tx.clone();
                        async move { run_job(&client, &model, job, reply_tx).await }
                    });
                    tokio::spawn(async move {
                        if let Err(e) = task.await {
                            let error = ModelError::Protocol(format!("the model call failed: {e}"));
                            let _ = reply_tx.send(failed(kind, campaign, id, error));
                        }
                    });
                }
            });
        })
        .expect("the narrator thread starts");
    Bridge {
        jobs: jobs_tx,
        replies: Mutex::new(reply_rx),
    }
}

/// The reply for a job that failed with `error`.
fn failed(kind: Kind, campaign: String, id: u64, error: ModelError) -> Reply {
    match kind {
        Kind::Narrate => Reply::Done {
            campaign,
            id,
            result: Err(error),
            usage: Usage::default(),
        },
        Kind::Npc => Reply::Npc {
            campaign,
            id,
            text: Err(error),
            usage: Usage::default(),
        },
        Kind::Judge => Reply::Judge {
            campaign,
            id,
            text: Err(error),
            usage: Usage::default(),
        },
    }
}

async fn run_job(client: &reqwest::Client, model: &ModelConfig, job: Job, replies: Sender<Reply>) {
    let Job {
        kind,
        campaign,
        id,
        system,
        user,
    } = job;
    match kind {
        Kind::Narrate => {
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
        Kind::Npc | Kind::Judge => {
            let (tx, mut rx) = unbounded_channel::<String>();
            let result = backend::stream(client, model, &system, &user, &tx).await;
            drop(tx);
            let mut text = String::new();
            while let Ok(piece) = rx.try_recv() {
                text.push_str(&piece);
            }
            let (text, usage) = with_usage(result, text);
            let _ = replies.send(if kind == Kind::Judge {
                Reply::Judge {
                    campaign,
                    id,
                    text,
                    usage,
                }
            } else {
                Reply::Npc {
                    campaign,
                    id,
                    text,
                    usage,
                }
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
