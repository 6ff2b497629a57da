//! `emberkeep-tools validate [PATH]`.

use emberkeep_shared::content::{ContentKind, ContentLibrary};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A content file, a kind folder (items, spells, creatures, pregens, maps, encounters,
    /// adventures, one adventure's folder) or an assets folder.
    #[arg(default_value = "assets")]
    path: PathBuf,
}

/// The assets root that `path` belongs to: cross-file references are checked against it.
fn assets_root(path: &Path) -> Option<PathBuf> {
    let is_kind = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(ContentKind::from_folder)
            .is_some()
    };
    if path.is_file() {
        let folder = path.parent()?;
        // adventures/<id>/<file>.ron
        if let Some(up) = folder.parent()
            && up.file_name().is_some_and(|n| n == "adventures")
        {
            return Some(up.parent().map(Path::to_path_buf).unwrap_or_default());
        }
        return is_kind(folder).then(|| folder.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    if let Some(up) = path.parent()
        && up.file_name().is_some_and(|n| n == "adventures")
    {
        return Some(up.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    if is_kind(path) {
        return Some(path.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    ContentKind::ALL
        .iter()
        .any(|(_, f)| path.join(f).is_dir())
        .then(|| path.to_path_buf())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.path.exists() {
        anyhow::bail!("{} does not exist", args.path.display());
    }
    let Some(root) = assets_root(&args.path) else {
        anyhow::bail!(
            "{} is not content: expected a .ron file inside items/, spells/, creatures/, pregens/, maps/ (or a Tiled .tmx/.tmj/.tsx or Universal VTT .dd2vtt/.uvtt/.df2vtt map), encounters/ or adventures/<id>/, one of those folders, or a folder holding them",
            args.path.display()
        );
    };
    let target = std::fs::canonicalize(&args.path)?;
    match ContentLibrary::load_dir(&root) {
        Ok(lib) => {
            println!(
                "ok: {} items, {} spells, {} creatures, {} pregens, {} maps, {} encounters, {} adventures ({} scenes) in {}",
                lib.items.len(),
                lib.spells.len(),
                lib.creatures.len(),
                lib.pregens.len(),
                lib.maps.len(),
                lib.encounters.len(),
                lib.adventures.len(),
                lib.adventures
                    .values()
                    .map(|a| a.scenes.len())
                    .sum::<usize>(),
                root.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            let mine: Vec<_> = errors
                .0
                .iter()
                .filter(|e| std::fs::canonicalize(&e.file).is_ok_and(|f| f.starts_with(&target)))
                .collect();
            let mut shown: Vec<_> = if mine.is_empty() {
                errors.0.iter().collect()
            } else {
                mine
            };
            // The same message at the same place once (a broken creature used by three foes
            // is one error to fix).
            let mut seen = std::collections::HashSet::new();
            shown.retain(|e| seen.insert(e.to_string()));
            for e in &shown {
                eprintln!("{e}");
            }
            eprintln!("{} error(s)", shown.len());
            Ok(ExitCode::from(1))
        }
    }
}
