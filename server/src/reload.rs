//! Hot reload: the server watches its content folders (the assets folder and any `--pack`)
//! and, once the files have been quiet for a moment, reads and checks all of the content again.
//!
//! - **Invalid**: nothing changes; the host console and every host seat get the errors, each
//!   as `file:line:column: what was expected`. A file caught half-written is simply invalid,
//!   and the write that completes it brings another reload.
//! - **Valid**: new campaigns use it at once. A running adventure takes each scene the party
//!   has not entered yet, as a journaled input (`Input::Scene`), so the scene it stands in is
//!   never changed under it, mid-combat or not, and a replay does not depend on the folder.
//!   The host is told what changed.
//!
//! The files are read and checked on a thread of their own, so a large content folder never
//! holds up the tables; only the swap and the queueing happen on the game thread. The console's
//! `reload` does the same at once (the host asked and waits for the answer).

use crate::campaign::ReplyTo;
use crate::campaign::{Campaign, Content};
use crate::journal::{Entry, Input, MAX_LINE_BYTES};
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::table::Table;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// How long the files must be quiet before they are read (an editor's save is several writes).
pub const QUIET: Duration = Duration::from_millis(400);

/// The file watcher and what it has seen since the last reload.
#[derive(Resource)]
pub struct ContentWatch {
    _watcher: notify::RecommendedWatcher,
    events: Mutex<Receiver<notify::Result<notify::Event>>>,
    /// The content files changed since the last reload, and when the last change came.
    pending: Option<(Vec<PathBuf>, Instant)>,
    /// A reading under way on its own thread: its answer, and the files that brought it.
    loading: Option<(std::thread::JoinHandle<Loaded>, String)>,
}

/// What a reading of the content folders gave.
type Loaded = Result<ContentLibrary, emberkeep_shared::content::ContentErrors>;

/// Starts watching the content folders (when `watch` is set); a folder that cannot be watched
/// is reported and the server runs on without hot reload.
pub(crate) fn start_watch(mut commands: Commands, settings: Res<ServerSettings>) {
    if !settings.watch {
        return;
    }
    let (tx, rx) = channel();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => {
            warn!("hot reload is off: cannot watch files: {e}");
            return;
        }
    };
    for dir in std::iter::once(&settings.assets).chain(settings.packs.iter()) {
        if let Err(e) = watcher.watch(dir, RecursiveMode::Recursive) {
            warn!("hot reload: cannot watch {}: {e}", dir.display());
        }
    }
    info!(
        "watching the content in {} for changes (hot reload; --no-watch turns it off)",
        settings.assets.display()
    );
    commands.insert_resource(ContentWatch {
        _watcher: watcher,
        events: Mutex::new(rx),
        pending: None,
        loading: None,
    });
}

/// Whether a changed path is content (not art, sounds or an editor's swap file).
fn is_content(path: &std::path::Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let named = [
        "ron", "tmx", "tmj", "tsx", "tsj", "tx", "dd2vtt", "uvtt", "df2vtt",
    ]
    .contains(&ext.as_str());
    named
        && path.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            emberkeep_shared::content::ContentKind::from_folder(&c).is_some()
        })
}

/// Collects the watcher's news and reloads once the files have been quiet for [`QUIET`].
pub(crate) fn watch_content(world: &mut World) {
    let Some(mut watch) = world.get_resource_mut::<ContentWatch>() else {
        return;
    };
    let now = Instant::now();
    let events: Vec<_> = match watch.events.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => Vec::new(),
    };
    for event in events {
        let Ok(event) = event else { continue };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            continue;
        }
        let paths: Vec<PathBuf> = event.paths.into_iter().filter(|p| is_content(p)).collect();
        if paths.is_empty() {
            continue;
        }
        let (list, at) = watch.pending.get_or_insert_with(|| (Vec::new(), now));
        for p in paths {
            if !list.contains(&p) {
                list.push(p);
            }
        }
        *at = now;
    }
    // A reading under way: apply it when it is done (changes meanwhile wait for the next).
    if let Some((reading, _)) = &watch.loading {
        if !reading.is_finished() {
            return;
        }
        let Some((reading, names)) = watch.loading.take() else {
            return;
        };
        match reading.join() {
            Ok(loaded) => {
                let answer = apply(world, loaded, &names);
                info!("{answer}");
            }
            Err(_) => error!("hot reload: reading the content failed (the old content stays)"),
        }
        return;
    }
    let due = watch
        .pending
        .as_ref()
        .is_some_and(|(_, at)| now.duration_since(*at) >= QUIET);
    if !due {
        return;
    }
    let changed = watch.pending.take().map(|(l, _)| l).unwrap_or_default();
    let names: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
    let settings = world.resource::<ServerSettings>().clone();
    let spawned = std::thread::Builder::new()
        .name("content-reload".into())
        .spawn(move || ContentLibrary::load_dirs(&settings.assets, &settings.packs));
    match spawned {
        Ok(reading) => {
            if let Some(mut watch) = world.get_resource_mut::<ContentWatch>() {
                watch.loading = Some((reading, names.join(", ")));
            }
        }
        Err(e) => {
            warn!("hot reload: no thread to read on ({e}); reading on the game thread");
            let answer = reload(world, &names.join(", "));
            info!("{answer}");
        }
    }
}

/// Reads and checks the content folders again; applies the content if it is valid. Returns
/// what happened, in words (the host console prints it; host seats are told as well).
pub fn reload(world: &mut World, changed: &str) -> String {
    let settings = world.resource::<ServerSettings>().clone();
    let loaded = ContentLibrary::load_dirs(&settings.assets, &settings.packs);
    apply(world, loaded, changed)
}

/// Applies a reading of the content folders: swaps it in and queues the scenes it changes if
/// it is valid; tells the hosts what is wrong if not.
fn apply(world: &mut World, loaded: Loaded, changed: &str) -> String {
    let settings = world.resource::<ServerSettings>().clone();
    let lib = match loaded {
        Ok(lib) => lib,
        Err(errors) => {
            let text = format!(
                "content not reloaded: {} error(s); the old version stays in use until the files are fixed:\n{errors}",
                errors.0.len()
            );
            error!("{text}");
            tell_hosts(world, &text);
            return text;
        }
    };
    let mut scenes = 0;
    let mut notes = Vec::new();
    let elapsed = world.resource::<Time>().elapsed().as_millis() as u64;
    let mut campaigns = world.query::<&mut Campaign>();
    for mut campaign in campaigns.iter_mut(world) {
        let now = elapsed + campaign.clock_offset;
        let (n, note) = queue_scenes(&mut campaign, &lib, &settings, now);
        scenes += n;
        notes.extend(note);
    }
    world.insert_resource(Content(lib));
    let what = if changed.is_empty() {
        String::new()
    } else {
        format!(" ({changed})")
    };
    let mut text = format!(
        "content reloaded{what}: new campaigns use it; {scenes} scene(s) not yet entered are updated in running adventures"
    );
    for n in notes {
        text.push_str(&format!("\n{n}"));
    }
    tell_hosts(world, &text);
    text
}

/// Queues the new version of every scene of the campaign's adventure (the table keeps those
/// the party has been to). Returns how many were queued, and a note for the host if the
/// adventure cannot be built from the new content.
fn queue_scenes(
    campaign: &mut Campaign,
    lib: &ContentLibrary,
    settings: &ServerSettings,
    now: u64,
) -> (usize, Option<String>) {
    let Some(adv) = campaign.table.adventure.as_ref() else {
        return (0, None);
    };
    let fresh = match Table::new_adventure(
        lib,
        &adv.id,
        campaign.seed,
        settings.turn_timeout.as_millis() as u64,
        settings.level,
    ) {
        Ok(t) => t,
        Err(e) => {
            return (
                0,
                Some(format!(
                    "campaign {}: its adventure `{}` no longer builds from the content ({e}); it plays on as it was",
                    campaign.id, adv.id
                )),
            );
        }
    };
    let Some(new) = fresh.adventure else {
        return (0, None);
    };
    // Scene updates still waiting from an earlier reload are stale: this reading of the whole
    // folder decides every scene afresh against the table (an edit undone before its update
    // applied must leave the scene as it was).
    campaign
        .inbox
        .retain(|input| !matches!(input, Input::Scene { .. }));
    // Only what the table lacks travels with a scene (it keeps the versions it has).
    let items: BTreeMap<_, _> = fresh
        .items
        .into_iter()
        .filter(|(k, _)| !campaign.table.items.contains_key(k))
        .collect();
    let spells: BTreeMap<_, _> = fresh
        .spells
        .into_iter()
        .filter(|(k, _)| !campaign.table.spells.contains_key(k))
        .collect();
    let mut queued = 0;
    let mut inputs = Vec::new();
    for (id, scene) in new.scenes {
        let old = adv.scenes.get(&id);
        if old.is_some_and(|o| o.visited || adv.scene == id) {
            continue;
        }
        if old.is_some_and(|o| o.same_content(&scene)) {
            continue;
        }
        let input = Input::Scene {
            id: id.clone(),
            scene: Box::new(scene),
            items: items.clone(),
            spells: spells.clone(),
        };
        let size = serde_json::to_vec(&Entry {
            t: 0,
            input: input.clone(),
        })
        .map_or(usize::MAX, |v| v.len());
        if size > MAX_LINE_BYTES - 4096 {
            campaign.host_alerts.push(format!(
                "scene `{id}` is too large to journal ({size} bytes): it keeps its old version"
            ));
            continue;
        }
        inputs.push(input);
        queued += 1;
    }
    for input in inputs {
        campaign.inbox.push(input, now, ReplyTo::Nobody);
    }
    (queued, None)
}

/// Tells every host seat of every campaign.
fn tell_hosts(world: &mut World, text: &str) {
    let mut campaigns = world.query::<&mut Campaign>();
    for mut campaign in campaigns.iter_mut(world) {
        campaign.host_alerts.push(text.to_string());
    }
}
