//! Sound with bevy_kira_audio: dice, hits, misses, criticals, the your-turn chime and the end of
//! a fight on an effects channel; a calm ambience while exploring and a battle loop in combat
//! on a music channel. Which sounds an event calls for is decided headlessly
//! ([`crate::cues`]); volumes and mute are saved with the other settings.

use super::input::{Fired, TableAction};
use crate::cues::{Cue, CueTracker, Mood};
use crate::net::TableSession;
use bevy::prelude::*;
use bevy_kira_audio::prelude::*;
use emberkeep_shared::prelude::{Mode, TableView};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// Volumes, 0 to 1, and mute.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Volumes {
    /// Everything.
    pub master: f32,
    /// Dice, hits and chimes.
    pub effects: f32,
    /// Ambience and battle music.
    pub music: f32,
    /// Silence without losing the levels.
    pub muted: bool,
}

impl Default for Volumes {
    fn default() -> Self {
        Volumes {
            master: 0.8,
            effects: 0.9,
            music: 0.5,
            muted: false,
        }
    }
}

impl Volumes {
    fn decibels(self, level: f32) -> Decibels {
        let amplitude = if self.muted { 0.0 } else { self.master * level };
        if amplitude <= 0.001 {
            Decibels::SILENCE
        } else {
            Decibels(20.0 * amplitude.log10())
        }
    }
}

/// The effects channel.
#[derive(Resource, Debug)]
pub struct Effects;

/// The music channel.
#[derive(Resource, Debug)]
pub struct Music;

#[derive(Resource, Debug)]
struct Sounds {
    cues: HashMap<Cue, Handle<AudioSource>>,
    calm: Handle<AudioSource>,
    battle: Handle<AudioSource>,
}

pub(super) fn plugin(app: &mut App) {
    app.add_plugins(AudioPlugin)
        .add_audio_channel::<Effects>()
        .add_audio_channel::<Music>();
    app.add_systems(Startup, load_sounds);
    app.add_systems(
        Update,
        (
            toggle_mute,
            apply_volumes.run_if(resource_changed::<Volumes>),
            play_cues,
            play_music,
        )
            .chain(),
    );
}

fn load_sounds(mut commands: Commands, assets: Res<AssetServer>) {
    let cues = Cue::ALL
        .into_iter()
        .map(|c| (c, assets.load(format!("sounds/{}.wav", c.file_stem()))))
        .collect();
    commands.insert_resource(Sounds {
        cues,
        calm: assets.load("sounds/ambience.wav"),
        battle: assets.load("sounds/battle.wav"),
    });
}

fn toggle_mute(fired: Fired, mut volumes: ResMut<Volumes>) {
    if fired.just(TableAction::ToggleMute) {
        volumes.muted = !volumes.muted;
    }
}

fn apply_volumes(
    volumes: Res<Volumes>,
    effects: Res<AudioChannel<Effects>>,
    music: Res<AudioChannel<Music>>,
) {
    effects.set_volume(volumes.decibels(volumes.effects));
    music.set_volume(volumes.decibels(volumes.music));
}

fn play_cues(
    session: Res<TableSession>,
    sounds: Option<Res<Sounds>>,
    effects: Res<AudioChannel<Effects>>,
    mut tracker: Local<CueTracker>,
) {
    let Some(sounds) = sounds else { return };
    for cue in tracker.take(&session) {
        if let Some(h) = sounds.cues.get(&cue) {
            effects.play(h.clone());
        }
    }
}

fn play_music(
    tables: Query<&TableView>,
    sounds: Option<Res<Sounds>>,
    music: Res<AudioChannel<Music>>,
    mut playing: Local<Option<Mood>>,
) {
    let Some(sounds) = sounds else { return };
    let Some(table) = tables.iter().next() else {
        return;
    };
    let mood = if table.mode == Mode::Combat {
        Mood::Battle
    } else {
        Mood::Calm
    };
    if *playing == Some(mood) {
        return;
    }
    *playing = Some(mood);
    music
        .stop()
        .fade_out(AudioTween::linear(Duration::from_millis(800)));
    let track = match mood {
        Mood::Calm => sounds.calm.clone(),
        Mood::Battle => sounds.battle.clone(),
    };
    music
        .play(track)
        .looped()
        .linear_fade_in(Duration::from_millis(1200));
}
