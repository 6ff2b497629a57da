//! What the client remembers between runs — the connect screen, key bindings, volumes — kept
//! where the platform keeps such things: RON files in the user's config folder natively
//! (`$XDG_CONFIG_HOME/emberkeep`, else `~/.config/emberkeep`), `localStorage` in a browser.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// Where settings live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// One `<key>.ron` file per key in this folder.
    Folder(PathBuf),
    /// The browser's `localStorage`, one `emberkeep.<key>` entry per key.
    Browser,
    /// Nowhere (nothing is remembered).
    Nowhere,
}

impl Store {
    /// The player's own store on this platform.
    pub fn for_user() -> Store {
        if cfg!(target_family = "wasm") {
            return Store::Browser;
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        match base {
            Some(base) => Store::Folder(base.join("emberkeep")),
            None => Store::Nowhere,
        }
    }

    /// Where `key` is kept, for messages.
    pub fn describe(&self, key: &str) -> String {
        match self {
            Store::Folder(dir) => dir.join(format!("{key}.ron")).display().to_string(),
            Store::Browser => format!("localStorage[\"emberkeep.{key}\"]"),
            Store::Nowhere => "nowhere".into(),
        }
    }

    /// The value saved under `key`: `Ok(None)` when nothing was saved, an error naming the place
    /// and the problem when what is there cannot be read.
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, String> {
        let Some(text) = self.read(key)? else {
            return Ok(None);
        };
        ron::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", self.describe(key)))
    }

    /// Saves `value` under `key`.
    pub fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), String> {
        let text = ron::ser::to_string_pretty(value, ron::ser::PrettyConfig::default())
            .map_err(|e| format!("cannot write {}: {e}", self.describe(key)))?;
        self.write(key, &text)
            .map_err(|e| format!("cannot write {}: {e}", self.describe(key)))
    }

    fn read(&self, key: &str) -> Result<Option<String>, String> {
        match self {
            Store::Folder(dir) => match std::fs::read_to_string(dir.join(format!("{key}.ron"))) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", self.describe(key))),
            },
            Store::Browser => Ok(browser::get(&format!("emberkeep.{key}"))),
            Store::Nowhere => Ok(None),
        }
    }

    fn write(&self, key: &str, text: &str) -> Result<(), String> {
        match self {
            Store::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                // Write beside and rename, so a crash never leaves half a file.
                let path = dir.join(format!("{key}.ron"));
                let partial = dir.join(format!(".{key}.ron.partial"));
                std::fs::write(&partial, text).map_err(|e| e.to_string())?;
                std::fs::rename(&partial, &path).map_err(|e| e.to_string())
            }
            Store::Browser => browser::set(&format!("emberkeep.{key}"), text),
            Store::Nowhere => Ok(()),
        }
    }
}

#[cfg(target_family = "wasm")]
mod browser {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub fn get(key: &str) -> Option<String> {
        storage()?.get_item(key).ok()?
    }

    pub fn set(key: &str, value: &str) -> Result<(), String> {
        storage()
            .ok_or("the browser offers no localStorage")?
            .set_item(key, value)
            .map_err(|e| format!("{e:?}"))
    }
}

#[cfg(not(target_family = "wasm"))]
mod browser {
    pub fn get(_key: &str) -> Option<String> {
        None
    }

    pub fn set(_key: &str, _value: &str) -> Result<(), String> {
        Err("there is no browser storage outside a browser".into())
    }
}

/// The connect screen's fields, remembered once a seat was taken with them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConnectSettings {
    /// `host:port` of the server's join endpoint.
    pub server: String,
    /// The seat's join code.
    pub code: String,
    /// The player's name.
    pub name: String,
}

/// The key [`ConnectSettings`] are kept under.
pub const CONNECT_KEY: &str = "connect";

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store(tag: &str) -> (Store, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("emberkeep-settings-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (Store::Folder(dir.clone()), dir)
    }

    #[test]
    fn settings_round_trip_and_missing_is_none() {
        let (store, dir) = temp_store("round");
        assert_eq!(store.load::<ConnectSettings>(CONNECT_KEY), Ok(None));
        let saved = ConnectSettings {
            server: "table.example:5890".into(),
            code: "ABCD2345".into(),
            name: "Mira".into(),
        };
        store.save(CONNECT_KEY, &saved).unwrap();
        assert_eq!(store.load(CONNECT_KEY), Ok(Some(saved)));
        assert!(!dir.join(".connect.ron.partial").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_an_error_that_names_it_and_missing_fields_default() {
        let (store, dir) = temp_store("damaged");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("connect.ron"), "(server: \"x\", code: ").unwrap();
        let err = store.load::<ConnectSettings>(CONNECT_KEY).unwrap_err();
        assert!(err.contains("connect.ron"), "{err}");
        std::fs::write(dir.join("connect.ron"), "(name: \"Mira\")").unwrap();
        let partial: ConnectSettings = store.load(CONNECT_KEY).unwrap().unwrap();
        assert_eq!(partial.name, "Mira");
        assert_eq!(partial.server, "");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
