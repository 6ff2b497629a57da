//! `protocol`: bytes as a client's message arrives at the server — the message's net id, then
//! its body decoded by the function lightyear's registry uses for a `register_message` type
//! (`SerializeFns::default()`, postcard). What decodes goes through what the server does with
//! it off the App: `printable` on names and texts, and the intent through `Table::submit` on
//! tables in exploration, at the start of a fight and in the middle of one (as the sender's
//! character and as the active one), then a timeout and an NPC turn. An accepted intent must
//! also survive the journal's JSON unchanged.

use super::Target;
use emberkeep_server::journal::{Entry, Input, apply};
use emberkeep_server::{ServerSettings, server_app};
use emberkeep_shared::prelude::*;
use emberkeep_shared::table::{Action, CombatantId};
use emberkeep_shared::tactics::plan_turn;
use lightyear::prelude::MessageRegistry;
use lightyear_serde::ToBytes;
use lightyear_serde::reader::Reader;
use lightyear_serde::registry::SerializeFns;
use lightyear_serde::writer::Writer;
use std::any::TypeId;
use std::path::Path;

/// The table clock at which intents arrive.
const NOW: u64 = 60_000;

pub struct Protocol {
    /// `ToServer`'s net id in the server's message registry.
    net_id: u16,
    /// Tables to act on: exploration, a fight's first turn, the middle of a fight.
    tables: Vec<Table>,
}

impl Protocol {
    pub fn new(assets: &Path) -> anyhow::Result<Protocol> {
        let lib = ContentLibrary::load_dir(assets)?;
        // The registry exactly as the server builds it (nothing starts until the App runs).
        let app = server_app(ServerSettings::default(), lib.clone());
        let net_id = *app
            .world()
            .resource::<MessageRegistry>()
            .kind_map
            .net_id(&TypeId::of::<ToServer>().into())
            .ok_or_else(|| anyhow::anyhow!("ToServer is not registered"))?;
        let explore = Table::new(&lib, "goblin-ambush", 1, 120_000)?;
        let first_turn = (0..200)
            .map(|seed| {
                let mut t = Table::new(&lib, "crypt-of-bones", seed, 120_000)?;
                t.start_combat(0, "fuzz".into());
                Ok(t)
            })
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .find(|t| {
                t.active()
                    .and_then(|a| t.combatant(a))
                    .is_some_and(|c| c.is_pc)
            })
            .ok_or_else(|| anyhow::anyhow!("no seed gives a PC the first turn"))?;
        let mut middle = Table::new(&lib, "wolf-den", 3, 120_000)?;
        middle.start_combat(0, "fuzz".into());
        for i in 0..25 {
            let Some(active) = middle.active() else { break };
            for action in plan_turn(&middle.board(), active) {
                let _ = middle.submit(active, action, 1_000 * i);
            }
        }
        Ok(Protocol {
            net_id,
            tables: vec![explore, first_turn, middle],
        })
    }

    fn encode(&self, message: &ToServer) -> Vec<u8> {
        let mut writer = Writer::default();
        self.net_id.to_bytes(&mut writer).expect("net id");
        (SerializeFns::<ToServer>::default().serialize)(message, &mut writer).expect("encodes");
        writer.into_bytes().to_vec()
    }

    /// What the server does with a decoded message, minus the App.
    fn serve(&self, message: ToServer) -> Result<(), String> {
        match message {
            ToServer::Hello { name, .. } => shown(&name),
            ToServer::Whisper { to, text } => {
                let text = printable(&text).trim().to_string();
                shown(&text)?;
                let mut t = self.tables[0].clone();
                let entry = Entry {
                    t: NOW,
                    input: Input::Whisper {
                        from: "player-1".into(),
                        to,
                        text,
                    },
                };
                apply(&mut t, &entry).map_err(|r| format!("a whisper was rejected: {r}"))?;
                journal_round_trip(&entry)
            }
            ToServer::Host { command } => shown(&printable(&command)),
            ToServer::Act {
                character,
                mut action,
                ..
            } => {
                if let Action::Declare { text } = &mut action {
                    *text = printable(text);
                    shown(text)?;
                }
                for template in &self.tables {
                    let mut t = template.clone();
                    let mine = t
                        .active()
                        .or_else(|| t.combatants.iter().find(|c| c.is_pc).map(|c| c.id));
                    for actor in [Some(character), mine].into_iter().flatten() {
                        act(&mut t, actor, action.clone(), NOW)?;
                    }
                    // A turn timeout, then whoever is active plays a turn.
                    t.tick(NOW + 10 * 60_000);
                    if let Some(active) = t.active() {
                        for a in plan_turn(&t.board(), active).into_iter().take(8) {
                            act(&mut t, active, a, NOW + 10 * 60_000)?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// Submits an intent; an accepted one must come back from the journal's JSON unchanged.
fn act(t: &mut Table, actor: CombatantId, action: Action, now: u64) -> Result<(), String> {
    let entry = Entry {
        t: now,
        input: Input::Act {
            actor,
            action: action.clone(),
        },
    };
    if t.submit(actor, action, now).is_ok() {
        journal_round_trip(&entry)?;
    }
    Ok(())
}

fn journal_round_trip(entry: &Entry) -> Result<(), String> {
    let line =
        serde_json::to_string(entry).map_err(|e| format!("cannot journal {entry:?}: {e}"))?;
    match serde_json::from_str::<Entry>(&line) {
        Ok(back) if back == *entry => Ok(()),
        Ok(back) => Err(format!(
            "journal round trip changed {entry:?} into {back:?}"
        )),
        Err(e) => Err(format!("journal line {line} does not read back: {e}")),
    }
}

/// Text that went through `printable` must hold no control or format characters.
fn shown(text: &str) -> Result<(), String> {
    let clean = printable(text);
    match clean
        .chars()
        .find(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(c))
    {
        Some(c) => Err(format!("printable kept {c:?} in {clean:?}")),
        None => Ok(()),
    }
}

impl Target for Protocol {
    fn name(&self) -> &'static str {
        "protocol"
    }

    fn is_text(&self) -> bool {
        false
    }

    fn max_len(&self) -> usize {
        4096
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        let pc = |t: &Table| t.combatants.iter().find(|c| c.is_pc).cloned();
        let mut messages = vec![
            ToServer::Hello {
                name: "Ada".into(),
                version: PROTOCOL_VERSION,
                last_seen: None,
            },
            ToServer::Hello {
                name: "Brakka the Bold ✓".into(),
                version: PROTOCOL_VERSION,
                last_seen: Some(42),
            },
            ToServer::Whisper {
                to: "player-2".into(),
                text: "flank the goblin".into(),
            },
            ToServer::Host {
                command: "narrate The wind howls".into(),
            },
            ToServer::Host {
                command: "pause".into(),
            },
        ];
        for t in &self.tables {
            let me = t
                .active()
                .and_then(|a| t.combatant(a).cloned())
                .or_else(|| pc(t));
            let Some(me) = me else { continue };
            let foe = t
                .combatants
                .iter()
                .find(|c| c.side != me.side)
                .map_or(0, |c| c.id);
            let step = |dx: i32, dy: i32| GridPos::new(me.pos.x + dx, me.pos.y + dy);
            for action in [
                Action::Move {
                    path: vec![step(1, 0)],
                },
                Action::Move {
                    path: vec![step(0, 1), step(1, 1), step(2, 2)],
                },
                Action::Move {
                    path: vec![step(-1, 0), step(0, 0), step(-1, 0)],
                },
                Action::Attack {
                    target: foe,
                    attack: 0,
                },
                Action::Attack {
                    target: foe,
                    attack: me.attacks.len().saturating_sub(1),
                },
                Action::Dodge,
                Action::Dash,
                Action::Disengage,
                Action::Hide,
                Action::EndTurn,
                Action::Declare {
                    text: "I search the cart for tracks".into(),
                },
            ] {
                messages.push(ToServer::Act {
                    character: me.id,
                    action,
                    client_seq: 7,
                });
            }
        }
        // Valid encodings of hostile values, which byte mutations rarely reach.
        for action in [
            Action::Move {
                path: vec![
                    GridPos::new(i32::MAX, i32::MIN),
                    GridPos::new(i32::MIN, i32::MAX),
                ],
            },
            Action::Move {
                path: (0..300).map(|i| GridPos::new(i % 3, i / 3)).collect(),
            },
            Action::Attack {
                target: u32::MAX,
                attack: usize::MAX,
            },
            Action::Declare {
                text: "\u{1b}[2J\u{202e}x\u{0}".repeat(200),
            },
        ] {
            messages.push(ToServer::Act {
                character: 1,
                action,
                client_seq: u32::MAX,
            });
        }
        messages.iter().map(|m| self.encode(m)).collect()
    }

    fn run(&mut self, input: &[u8]) -> Result<bool, String> {
        let mut reader = Reader::from(input.to_vec());
        // The registry reads the net id first; another message's id is not a ToServer.
        let Ok(id) = u16::from_bytes(&mut reader) else {
            return Ok(false);
        };
        if id != self.net_id {
            return Ok(false);
        }
        let Ok(message) = (SerializeFns::<ToServer>::default().deserialize)(&mut reader) else {
            return Ok(false);
        };
        self.serve(message)?;
        Ok(true)
    }
}
