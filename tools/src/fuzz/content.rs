//! `content`: the RON content loader. An input is one content file — a first line naming it
//! (`creatures/goblin.ron`), then its text — loaded with the other shipped files as
//! `ContentLibrary::from_sources` does for `load_dir` and `validate`. It must answer with
//! errors, never panic; and content it accepts must make tables that set up and play a few
//! turns without panicking.

use super::Target;
use emberkeep_shared::content::{ContentKind, ContentLibrary, read_content_files};
use emberkeep_shared::table::Table;
use emberkeep_shared::tactics::plan_turn;
use std::path::{Path, PathBuf};

pub struct Content {
    /// The shipped files, as (path relative to the assets folder, text, kind).
    files: Vec<(PathBuf, String, ContentKind)>,
}

impl Content {
    pub fn new(assets: &Path) -> anyhow::Result<Content> {
        let files = read_content_files(assets)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .map(|(path, text, kind)| {
                let relative = path.strip_prefix(assets).unwrap_or(&path).to_path_buf();
                (relative, text, kind)
            })
            .collect();
        Ok(Content { files })
    }
}

/// Plays a few turns of every encounter of accepted content.
fn play(lib: &ContentLibrary) -> Result<(), String> {
    for id in lib.encounters.keys() {
        let mut t = Table::new(lib, id, 5, 120_000)
            .map_err(|e| format!("content passed validation but makes no table: {e}"))?;
        t.start_combat(0, "fuzz".into());
        for step in 0..40u64 {
            let Some(active) = t.active() else { break };
            for action in plan_turn(&t.board(), active).into_iter().take(6) {
                let _ = t.submit(active, action, step * 1000);
            }
            t.tick(step * 1000 + 500);
        }
    }
    Ok(())
}

impl Target for Content {
    fn name(&self) -> &'static str {
        "content"
    }

    fn is_text(&self) -> bool {
        true
    }

    fn max_len(&self) -> usize {
        64 * 1024
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        self.files
            .iter()
            .map(|(path, text, _)| format!("{}\n{text}", path.display()).into_bytes())
            .collect()
    }

    fn run(&mut self, input: &[u8]) -> Result<bool, String> {
        let text = String::from_utf8_lossy(input);
        let (name, body) = text
            .split_once('\n')
            .unwrap_or(("creatures/fuzz.ron", &text));
        let name = PathBuf::from(name.trim());
        // Replaces the file it names, or joins the others (a new file in that kind's folder).
        let mut files = self.files.clone();
        match files.iter_mut().find(|(path, ..)| *path == name) {
            Some(file) => file.1 = body.to_string(),
            None => {
                let kind = name
                    .components()
                    .next()
                    .and_then(|c| ContentKind::from_folder(&c.as_os_str().to_string_lossy()))
                    .unwrap_or(ContentKind::Creature);
                files.push((name, body.to_string(), kind));
            }
        }
        match ContentLibrary::from_sources(&files) {
            Ok(lib) => {
                play(&lib)?;
                Ok(true)
            }
            Err(errors) => {
                if errors.0.is_empty() {
                    return Err("the loader failed without saying why".into());
                }
                // Every error renders (file:line:column: message).
                let _ = errors.to_string();
                Ok(false)
            }
        }
    }
}
