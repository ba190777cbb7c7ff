//! The hidden directory an export builds its bag in, and what makes sure a
//! killed export (`kill -9`, a power loss) does not leave records in clear
//! for good.
//!
//! A bag is built in `.<name>.probant-partial-<uuid>` beside its output
//! and renamed into place when complete. Its lock file is locked for the
//! export's life; the kernel releases it however the process ends, so a
//! partial directory whose lock can be taken is a killed export's. Two
//! cleaners remove such leftovers and journal that the killed export
//! delivered nothing: every export, beside its own output
//! ([`remove_stale_partials`]); and, when the vault keeps an
//! [`ExportRegister`] (the CLI does, in the home), every opening of the
//! home, wherever the killed export wrote ([`Vault::recover_killed_exports`]).
use std::path::{Path, PathBuf};

use probant_journal::{Event, Outcome, Resource};
use serde_json::json;

use crate::recover::{create_private_dir, write_synced};
use crate::{Ctx, Error, Vault};

/// The hidden sibling directory the bag is built in, after checking that
/// `dir` does not exist and that its parent is a directory.
pub(crate) fn partial_path(dir: &Path) -> Result<PathBuf, Error> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return Err(Error::invalid(
            "output",
            format!("{} exists: an export writes a new directory", dir.display()),
        ));
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::invalid("output", "the output directory has no name"))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::invalid(
            "output",
            format!("{} is not a directory", parent.display()),
        ));
    }
    Ok(parent.join(format!(".{name}{PARTIAL_MARK}{}", uuid::Uuid::new_v4())))
}

/// Marks the hidden directory a bag is built in: `<partial>.lock`, beside
/// it, is created and locked *before* the directory exists and stays
/// locked while this export runs. The kernel releases the lock when the
/// process ends however it ends, so a partial directory whose lock can be
/// taken belongs to an export that was killed (SIGKILL, power loss) and
/// left records in clear: the next export into the same directory removes
/// it ([`remove_stale_partials`]), and so does the next opening of the
/// home when the vault keeps an [`ExportRegister`].
const LOCK_SUFFIX: &str = ".lock";
/// How a lock file is named before it is renamed into place.
const FRESH_LOCK_PREFIX: &str = ".probant-lock-";
/// What every partial directory's name contains.
const PARTIAL_MARK: &str = ".probant-partial-";

/// A bag being built; dropped without [`PartialBag::delivered`], it removes
/// what was written (an error or an interruption: nothing half-written
/// stays behind).
pub(crate) struct PartialBag {
    dir: PathBuf,
    lock_path: PathBuf,
    /// This export's entry in the export register, if the vault keeps one:
    /// removed last, once the directory is gone or delivered.
    registered: Option<PathBuf>,
    /// Held (locked) until drop.
    _lock: std::fs::File,
    /// The directory is this export's and not yet delivered: removed on drop.
    owns_dir: bool,
}

impl PartialBag {
    /// Takes the lock, then creates the directory, the owner's alone (mode
    /// 0700 on Unix: it holds records in clear). The lock file holds the
    /// export's id, for the entry that a later cleaner journals if this
    /// export is killed.
    pub(crate) fn create(dir: &Path, export_id: &str) -> Result<Self, Error> {
        let lock_path = lock_path_of(dir);
        // Locked under a name no cleaner looks at, then renamed into place:
        // a lock file is never seen unlocked while its export lives.
        let parent = dir.parent().unwrap_or(Path::new("."));
        let fresh = parent.join(format!("{FRESH_LOCK_PREFIX}{}.tmp", uuid::Uuid::new_v4()));
        let mut lock = std::fs::File::create_new(&fresh).map_err(Error::io(&fresh))?;
        let locked = lock
            .lock()
            .and_then(|()| std::io::Write::write_all(&mut lock, export_id.as_bytes()))
            .and_then(|()| std::fs::rename(&fresh, &lock_path));
        if let Err(e) = locked {
            let _ = std::fs::remove_file(&fresh);
            return Err(Error::io(&lock_path)(e));
        }
        let mut bag = PartialBag {
            dir: dir.to_owned(),
            lock_path,
            registered: None,
            _lock: lock,
            owns_dir: false,
        };
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(Error::io(dir))?;
        bag.owns_dir = true;
        Ok(bag)
    }

    /// The directory was renamed into place: only the lock file remains.
    pub(crate) fn delivered(mut self) {
        self.owns_dir = false;
    }
}

impl Drop for PartialBag {
    fn drop(&mut self) {
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let _ = std::fs::remove_file(&self.lock_path);
        if let Some(entry) = &self.registered {
            let _ = std::fs::remove_file(entry);
        }
    }
}

fn lock_path_of(partial: &Path) -> PathBuf {
    let mut name = partial.as_os_str().to_owned();
    name.push(LOCK_SUFFIX);
    PathBuf::from(name)
}

/// What a killed export had left: its id when its lock file named one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StaleExport {
    export_id: Option<String>,
    /// What was removed: the partial directory, or a lone lock file.
    removed: PathBuf,
}

/// Removes, beside `partial`, what exports that were killed left: each
/// partial bag whose lock file can be locked (nobody holds it) or is
/// missing (it is created before the directory and removed after it), and
/// lock files left without a directory. Best effort: what cannot be removed
/// is left for the next export.
pub(crate) fn remove_stale_partials(partial: &Path) -> Vec<StaleExport> {
    let Some(parent) = partial.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut stale = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(FRESH_LOCK_PREFIX) && name.ends_with(".tmp") {
            stale.extend(remove_stale_fresh_lock(&entry.path()));
            continue;
        }
        if !name.starts_with('.') || !name.contains(PARTIAL_MARK) {
            continue;
        }
        let is_lock = name.ends_with(LOCK_SUFFIX);
        let dir = parent.join(if is_lock {
            &name[..name.len() - LOCK_SUFFIX.len()]
        } else {
            &name
        });
        let lock_path = lock_path_of(&dir);
        if !is_lock && lock_path.exists() {
            continue; // handled through its lock file
        }
        // Taking the lock proves the export that made it is gone; it is
        // kept until the directory is removed, so no other cleaner races.
        let taken = match std::fs::File::open(&lock_path) {
            Ok(lock) => match lock.try_lock() {
                Ok(()) => Some(lock),
                Err(_) => continue, // a live export
            },
            Err(_) => None,
        };
        let export_id = taken.as_ref().and_then(|lock| {
            let mut id = String::new();
            std::io::Read::read_to_string(&mut &*lock, &mut id).ok()?;
            uuid::Uuid::parse_str(id.trim()).ok().map(|u| u.to_string())
        });
        let is_dir = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if (is_lock && taken.is_none()) || (!is_lock && !is_dir) {
            continue; // gone meanwhile (this cleaner or another took it)
        }
        if is_dir && std::fs::remove_dir_all(&dir).is_err() {
            continue; // left for the next export
        }
        let _ = std::fs::remove_file(&lock_path);
        let removed = if is_dir { dir } else { lock_path };
        stale.push(StaleExport { export_id, removed });
    }
    stale
}

/// A lock file not yet renamed into place (see [`PartialBag::create`]) is
/// left only by an export killed in the microseconds between its creation
/// and its rename, before any partial directory existed; the export's
/// entries were journaled by then. Removed when nobody holds it and it is
/// older than a minute (it is unlocked for an instant after its creation).
fn remove_stale_fresh_lock(path: &Path) -> Option<StaleExport> {
    let lock = std::fs::File::open(path).ok()?;
    let age = lock.metadata().ok()?.modified().ok()?.elapsed().ok()?;
    if age < std::time::Duration::from_secs(60) || lock.try_lock().is_err() {
        return None;
    }
    let mut id = String::new();
    std::io::Read::read_to_string(&mut &lock, &mut id).ok()?;
    std::fs::remove_file(path).ok()?;
    let export_id = uuid::Uuid::parse_str(id.trim()).ok().map(|u| u.to_string());
    Some(StaleExport {
        export_id,
        removed: path.to_owned(),
    })
}

/// Renames the finished bag into place. `rename` would replace an empty
/// directory created meanwhile at `dir`, so its absence is checked again
/// (a remaining race with another process is not closed: std has no
/// no-replace rename).
pub(crate) fn move_into_place(partial: &Path, dir: &Path) -> Result<(), Error> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return Err(Error::invalid(
            "output",
            format!("{} was created during the export", dir.display()),
        ));
    }
    std::fs::rename(partial, dir).map_err(Error::io(dir))
}

/// The export register: while an export runs, a file named by its id
/// holds the path of its partial directory, sealed under the catalog key
/// (the operator chose the path, and it may name a person). Written
/// durably before the partial directory exists and removed once it is gone
/// or delivered, so an entry that outlives its process names an export
/// that was killed, and where it left its records.
pub(crate) struct ExportRegister {
    dir: PathBuf,
}

impl ExportRegister {
    fn entry(&self, export_id: &str) -> PathBuf {
        self.dir.join(export_id)
    }

    /// Notes, durably, that `export_id` builds its bag in `partial`.
    fn add(&self, sealed: &[u8], export_id: &str) -> Result<PathBuf, Error> {
        let entry = self.entry(export_id);
        write_synced(&entry, sealed)?;
        Ok(entry)
    }

    /// The export ids with an entry (other names are not the register's).
    fn export_ids(&self) -> Result<Vec<String>, Error> {
        let mut ids: Vec<String> = std::fs::read_dir(&self.dir)
            .map_err(Error::io(&self.dir))?
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|name| crate::export::check_record_id(name).is_ok())
            .collect();
        ids.sort();
        Ok(ids)
    }
}

/// What the journal says of an export whose leftovers were removed.
const KILLED: &str =
    "nothing delivered: the export was killed before its bag was complete; its leftovers were removed";

/// Associated data of a register entry: the path is bound to its export.
fn register_aad(export_id: &str) -> Vec<u8> {
    format!("probant/export-register/v1/{export_id}").into_bytes()
}

impl Vault {
    /// Keeps the export register in `dir` (created if missing, owner only),
    /// so that [`Vault::recover_killed_exports`] finds what a killed export
    /// left wherever it wrote. The CLI keeps it in the home.
    pub fn with_export_register(mut self, dir: &Path) -> Result<Self, Error> {
        create_private_dir(dir)?;
        self.export_register = Some(ExportRegister {
            dir: dir.to_owned(),
        });
        Ok(self)
    }

    /// Starts the partial bag of `export_id` at `partial`: registered first
    /// (when the vault keeps a register), then locked and created.
    pub(crate) fn begin_partial(
        &self,
        partial: &Path,
        export_id: &str,
    ) -> Result<PartialBag, Error> {
        let Some(register) = &self.export_register else {
            return PartialBag::create(partial, export_id);
        };
        let absolute = std::path::absolute(partial).map_err(Error::io(partial))?;
        let sealed = self.catalog_sealer.seal(
            &register_aad(export_id),
            absolute.as_os_str().as_encoded_bytes(),
        );
        let entry = register.add(&sealed, export_id)?;
        match PartialBag::create(partial, export_id) {
            Ok(mut bag) => {
                bag.registered = Some(entry);
                Ok(bag)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&entry);
                Err(e)
            }
        }
    }

    /// Removes what exports killed before their bag was complete left
    /// (records in clear), wherever they wrote, and journals for each that
    /// nothing was delivered; returns what was removed (partial
    /// directories, lone lock files). For the opening of a home: with one
    /// process per home (the journal's lock), no registered export is still
    /// running, and a lock that is held anyway is left alone. Without a
    /// register, does nothing.
    ///
    /// An entry that does not unseal (altered, or from another home) cannot
    /// say where its export wrote: it is journaled as a malfunction of that
    /// export and removed.
    pub fn recover_killed_exports(&self, ctx: &Ctx) -> Result<Vec<PathBuf>, Error> {
        let Some(register) = &self.export_register else {
            return Ok(Vec::new());
        };
        let (mut stale, mut unreadable) = (Vec::new(), Vec::new());
        for export_id in register.export_ids()? {
            let entry = register.entry(&export_id);
            match self.registered_partial(&entry, &export_id) {
                // Everything stale beside it goes too (and is journaled).
                Some(partial) => {
                    stale.extend(remove_stale_partials(&partial));
                    if partial.exists() {
                        continue; // running, or not removable now: kept
                    }
                }
                None => unreadable.push(self.killed_export_event(
                    ctx,
                    &export_id,
                    "its export-register entry does not unseal (altered, or from another home): where it wrote is unknown",
                )),
            }
            let _ = std::fs::remove_file(&entry);
        }
        self.journal_killed_exports(ctx, &stale);
        if !unreadable.is_empty() {
            self.journal.append_all(&unreadable)?;
        }
        Ok(stale.into_iter().map(|s| s.removed).collect())
    }

    /// The partial directory a register entry names, if it unseals.
    fn registered_partial(&self, entry: &Path, export_id: &str) -> Option<PathBuf> {
        let sealed = std::fs::read(entry).ok()?;
        let bytes = self
            .catalog_sealer
            .open(&register_aad(export_id), &sealed)
            .ok()?;
        #[cfg(unix)]
        let path = <std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(bytes);
        #[cfg(not(unix))]
        let path = String::from_utf8(bytes).ok()?;
        Some(PathBuf::from(path))
    }

    /// A `record.export` failure naming a killed export.
    fn killed_export_event(&self, ctx: &Ctx, export_id: &str, malfunction: &str) -> Event {
        let mut e = self.event(ctx, "record.export", Outcome::Failure, Resource::default());
        e.malfunction = Some(malfunction.into());
        Self::add_details(&mut e, json!({ "export_id": export_id }));
        e
    }

    /// An export killed before its bag was complete journaled its versions
    /// as exported: one failure entry per such export, naming it, says
    /// that nothing was delivered and that its leftovers were removed (by
    /// the actor of the export that removed them).
    pub(crate) fn journal_killed_exports(&self, ctx: &Ctx, stale: &[StaleExport]) {
        let events: Vec<Event> = stale
            .iter()
            .filter_map(|s| s.export_id.as_deref())
            .map(|export_id| self.killed_export_event(ctx, export_id, KILLED))
            .collect();
        if !events.is_empty() {
            let _ = self.journal.append_all(&events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A killed export's partial bag (records in clear) is removed by the
    /// next export into the same directory; a live export's is not.
    #[test]
    fn stale_partial_bags_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let id = "01a00000-0000-7000-8000-00000000000a";
        let live =
            PartialBag::create(&partial_path(&dir.path().join("live")).unwrap(), id).unwrap();
        std::fs::write(live.dir.join("content"), "in clear").unwrap();
        // What a SIGKILL leaves: the directory and its lock file, unlocked.
        let killed = partial_path(&dir.path().join("killed")).unwrap();
        std::fs::create_dir(&killed).unwrap();
        std::fs::write(killed.join("content"), "in clear").unwrap();
        std::fs::write(lock_path_of(&killed), id).unwrap();
        // Killed while cleaning up: a lock without its directory, and a
        // directory whose lock a cleaner had removed.
        let lone_lock = lock_path_of(&partial_path(&dir.path().join("a")).unwrap());
        std::fs::write(&lone_lock, "").unwrap();
        let lone_dir = partial_path(&dir.path().join("b")).unwrap();
        std::fs::create_dir(&lone_dir).unwrap();
        std::fs::write(dir.path().join("unrelated.probant-partial-x"), "kept").unwrap();
        // Killed between creating its lock file and renaming it: removed
        // once a minute old, not before (a live export unlocks it for an
        // instant after creating it).
        let old_fresh = dir.path().join(format!("{FRESH_LOCK_PREFIX}1.tmp"));
        std::fs::write(&old_fresh, id).unwrap();
        let minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        std::fs::File::options()
            .write(true)
            .open(&old_fresh)
            .unwrap()
            .set_modified(minutes_ago)
            .unwrap();
        let new_fresh = dir.path().join(format!("{FRESH_LOCK_PREFIX}2.tmp"));
        std::fs::write(&new_fresh, "").unwrap();

        let next = partial_path(&dir.path().join("next")).unwrap();
        let mut stale: Vec<(Option<String>, PathBuf)> = remove_stale_partials(&next)
            .into_iter()
            .map(|s| (s.export_id, s.removed))
            .collect();
        stale.sort();
        // The lone lock and the lone directory name no export; the killed
        // one and the old unrenamed lock name theirs.
        let named = Some(id.to_owned());
        let mut expected = vec![
            (None, lone_lock.clone()),
            (None, lone_dir.clone()),
            (named.clone(), killed.clone()),
            (named, old_fresh.clone()),
        ];
        expected.sort();
        assert_eq!(stale, expected);
        assert!(!old_fresh.exists() && new_fresh.exists());
        assert!(!killed.exists() && !lock_path_of(&killed).exists());
        assert!(!lone_lock.exists() && !lone_dir.exists());
        assert!(live.dir.join("content").exists() && live.lock_path.exists());
        assert!(dir.path().join("unrelated.probant-partial-x").exists());

        let (live_dir, live_lock) = (live.dir.clone(), live.lock_path.clone());
        drop(live); // an export that failed: it removes its own
        assert!(!live_dir.exists() && !live_lock.exists());
    }

    #[test]
    fn an_existing_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(partial_path(dir.path()).is_err());
        let fresh = dir.path().join("bag");
        let partial = partial_path(&fresh).unwrap();
        assert_eq!(partial.parent(), Some(dir.path()));
        assert!(partial_path(&dir.path().join("no/such/bag")).is_err());
    }
}
