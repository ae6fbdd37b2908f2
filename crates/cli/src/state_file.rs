//! The state file: one JSON file in the state dir, read and written under an exclusive
//! host-wide lock, written atomically (temp file, fsync, rename, fsync of the dir).

use anyhow::{bail, Context, Result};
use jailnet_plan::state::{State, SCHEMA};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// An open, locked state dir. The lock is held until this is dropped.
pub struct StateStore {
    dir: PathBuf,
    _lock: File,
}

impl StateStore {
    /// Create the dir if needed and take the exclusive lock (waits for other jailnet runs).
    pub fn open(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create state dir {}", dir.display()))?;
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        // SAFETY: flock on a valid fd we own; blocks until the lock is ours.
        let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            bail!(
                "cannot lock {}: {}",
                lock_path.display(),
                std::io::Error::last_os_error()
            );
        }
        Ok(StateStore {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// The stored state, or a fresh one when there is none yet.
    pub fn load(&self) -> Result<State> {
        let p = self.path();
        let text = match fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
        };
        // The usual case in one pass; anything else goes the slow way for its message.
        if let Ok(s) = serde_json::from_str::<State>(&text) {
            if s.schema == SCHEMA {
                return Ok(s);
            }
        }
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", p.display()))?;
        let schema = v.get("schema").and_then(|s| s.as_u64()).unwrap_or(0);
        if schema != u64::from(SCHEMA) {
            bail!(
                "{} has schema {schema}; this jailnet reads schema {SCHEMA}",
                p.display()
            );
        }
        serde_json::from_value(v)
            .with_context(|| format!("{} does not match the state format", p.display()))
    }

    pub fn save(&self, state: &State) -> Result<()> {
        let text = serde_json::to_string_pretty(state)?;
        write_atomic(&self.path(), text.as_bytes())
    }

    pub fn remove_file(&self, name: &str) -> Result<()> {
        match fs::remove_file(self.dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// temp + fsync + rename + fsync(dir): the file is either the old or the new content.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let mut f = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_schema_check() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        assert_eq!(store.load().unwrap(), State::default());
        let s = State {
            host: "h".into(),
            ..State::default()
        };
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap(), s);
        fs::write(dir.path().join("state.json"), "{\"schema\": 99}").unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("schema 99"), "{err}");
        // no temp files left behind
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp.")), "{names:?}");
    }
}
