//! The offline queue: uploads that failed with a retryable error wait in `DIR/queue/` until
//! the server is back.
//!
//! Each entry is one file, `<sequence>.<kind>.json`, holding the request body exactly as it
//! would have been sent, written atomically (temp file + rename + fsync). The sequence is a
//! zero-padded counter that only grows while the process runs and resumes above the highest
//! entry on disk, so names sort in the order the uploads were made.
//!
//! **Invariant:** the queue never holds more than [`QueueConfig::max_entries`] entries nor
//! more than [`QueueConfig::max_bytes`] bytes of bodies. [`Queue::push`] makes room by
//! dropping the oldest entries first, refuses a body that alone exceeds the byte cap, and
//! [`Queue::open`] and [`Queue::set_config`] trim a queue left bigger by an older
//! configuration. So the agent never grows on disk while the server is away. The caps are
//! agent settings the server pushes.
//!
//! **Supersede rule:** a full inventory contains everything older inventory uploads carried,
//! so pushing one removes every queued inventory entry before it.

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use kanri_proto::{paths, AgentSettings};

use crate::fsutil::{create_private_dir, write_atomic, Durability};

/// Caps of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// Most entries kept.
    pub max_entries: usize,
    /// Most body bytes kept, all entries together.
    pub max_bytes: u64,
}

impl Default for QueueConfig {
    /// The caps of the default agent settings: 16 entries, 32 MiB (two full inventories at the
    /// server's body limit, or many partials).
    fn default() -> QueueConfig {
        QueueConfig::from_settings(&AgentSettings::default())
    }
}

impl QueueConfig {
    /// The caps the agent settings give.
    pub fn from_settings(settings: &AgentSettings) -> QueueConfig {
        QueueConfig {
            max_entries: usize::try_from(settings.queue_max_entries).unwrap_or(usize::MAX),
            max_bytes: settings.queue_max_bytes,
        }
    }
}

/// What a queued body is, which decides where it goes and what supersedes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An `InventoryUpload` with every section.
    InventoryFull,
    /// An `InventoryUpload` with the sections the server asked for.
    InventoryPartial,
}

impl EntryKind {
    /// The name used in the file name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::InventoryFull => "inventory-full",
            EntryKind::InventoryPartial => "inventory-partial",
        }
    }

    /// Words for log lines.
    pub fn describe(self) -> &'static str {
        match self {
            EntryKind::InventoryFull => "full inventory",
            EntryKind::InventoryPartial => "partial inventory",
        }
    }

    /// The agent API path the body is posted to.
    pub fn path(self) -> &'static str {
        match self {
            EntryKind::InventoryFull | EntryKind::InventoryPartial => paths::INVENTORY,
        }
    }

    fn parse(name: &str) -> Option<EntryKind> {
        [EntryKind::InventoryFull, EntryKind::InventoryPartial]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// Whether a newer entry of kind `newer` makes an older one of this kind pointless.
    fn superseded_by(self, newer: EntryKind) -> bool {
        newer == EntryKind::InventoryFull
            && matches!(self, EntryKind::InventoryFull | EntryKind::InventoryPartial)
    }
}

/// One queued upload, with its body read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number; identifies the entry for [`Queue::remove`].
    pub sequence: u64,
    /// What it is.
    pub kind: EntryKind,
    /// The request body.
    pub body: Vec<u8>,
}

/// What [`Queue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOutcome {
    /// Entries removed because the new one supersedes them.
    pub superseded: usize,
    /// Oldest entries dropped to stay within the caps.
    pub dropped: usize,
    /// The body alone is larger than the byte cap, so it was not queued.
    pub refused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    sequence: u64,
    kind: EntryKind,
    len: u64,
}

/// The on-disk queue. Only one process may use a directory at a time (the service).
#[derive(Debug)]
pub struct Queue {
    dir: PathBuf,
    config: QueueConfig,
    entries: VecDeque<Meta>,
    next_sequence: u64,
}

impl Queue {
    /// Opens (creating, mode 0700) the queue in `dir`, removes temp files left by a crash and
    /// trims the queue to `config`.
    ///
    /// # Errors
    /// The I/O error of creating or listing the directory.
    pub fn open(dir: &Path, config: QueueConfig) -> io::Result<Queue> {
        create_private_dir(dir)?;
        let entries = scan(dir)?;
        let next_sequence = entries.back().map_or(1, |meta| meta.sequence + 1);
        let mut queue = Queue {
            dir: dir.to_path_buf(),
            config,
            entries,
            next_sequence,
        };
        queue.make_room(0, 0)?;
        Ok(queue)
    }

    /// The caps in force.
    pub fn config(&self) -> QueueConfig {
        self.config
    }

    /// Applies new caps, dropping the oldest entries until the queue fits them; returns how
    /// many were dropped.
    ///
    /// # Errors
    /// The I/O error of deleting a file; the new caps are in force regardless.
    pub fn set_config(&mut self, config: QueueConfig) -> io::Result<usize> {
        self.config = config;
        self.make_room(0, 0)
    }

    /// Entries waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Body bytes waiting.
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|meta| meta.len).sum()
    }

    /// Adds an upload at the back, after removing what it supersedes and dropping the oldest
    /// entries until it fits (see the module invariant).
    ///
    /// # Errors
    /// The I/O error of removing or writing files; the queue still respects its caps.
    pub fn push(&mut self, kind: EntryKind, body: &[u8]) -> io::Result<PushOutcome> {
        let len = body.len() as u64;
        let mut outcome = PushOutcome {
            superseded: 0,
            dropped: 0,
            refused: false,
        };
        if len > self.config.max_bytes || self.config.max_entries == 0 {
            outcome.refused = true;
            return Ok(outcome);
        }
        let superseded: Vec<Meta> = self
            .entries
            .iter()
            .filter(|meta| meta.kind.superseded_by(kind))
            .copied()
            .collect();
        for meta in superseded {
            self.remove(meta.sequence)?;
            outcome.superseded += 1;
        }
        outcome.dropped = self.make_room(1, len)?;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        write_atomic(&self.file(sequence, kind), body, 0o600, Durability::Synced)?;
        self.entries.push_back(Meta {
            sequence,
            kind,
            len,
        });
        Ok(outcome)
    }

    /// The oldest entry with its body. An entry whose file vanished or cannot be read is
    /// removed and the next one returned, so one bad file cannot block the queue.
    ///
    /// # Errors
    /// The I/O error of removing an unreadable entry.
    pub fn front(&mut self) -> io::Result<Option<Entry>> {
        while let Some(meta) = self.entries.front().copied() {
            match fs::read(self.file(meta.sequence, meta.kind)) {
                Ok(body) => {
                    return Ok(Some(Entry {
                        sequence: meta.sequence,
                        kind: meta.kind,
                        body,
                    }))
                }
                Err(_) => self.remove(meta.sequence)?,
            }
        }
        Ok(None)
    }

    /// Removes an entry (sent, or refused for good).
    ///
    /// # Errors
    /// The I/O error of deleting its file (an already missing file is fine).
    pub fn remove(&mut self, sequence: u64) -> io::Result<()> {
        let Some(index) = self
            .entries
            .iter()
            .position(|meta| meta.sequence == sequence)
        else {
            return Ok(());
        };
        if let Some(meta) = self.entries.get(index).copied() {
            remove_if_present(&self.file(meta.sequence, meta.kind))?;
            self.entries.remove(index);
        }
        Ok(())
    }

    /// Removes every entry, e.g. when the agent takes a new identity.
    ///
    /// # Errors
    /// The I/O error of deleting a file.
    pub fn clear(&mut self) -> io::Result<()> {
        while let Some(meta) = self.entries.front().copied() {
            self.remove(meta.sequence)?;
        }
        Ok(())
    }

    /// Drops the oldest entries until `slots` more entries of `incoming` bytes in all fit;
    /// returns how many were dropped.
    fn make_room(&mut self, slots: usize, incoming: u64) -> io::Result<usize> {
        let mut dropped = 0;
        while let Some(oldest) = self.entries.front().copied() {
            let too_many = self.entries.len() + slots > self.config.max_entries;
            let too_big = self.total_bytes() + incoming > self.config.max_bytes;
            if !too_many && !too_big {
                break;
            }
            self.remove(oldest.sequence)?;
            dropped += 1;
        }
        Ok(dropped)
    }

    fn file(&self, sequence: u64, kind: EntryKind) -> PathBuf {
        self.dir
            .join(format!("{sequence:020}.{}.json", kind.as_str()))
    }
}

/// Entries and bytes queued in `dir`, without creating or changing anything; for `status`.
///
/// # Errors
/// The I/O error of listing an existing directory.
pub fn inspect(dir: &Path) -> io::Result<(usize, u64)> {
    if !dir.exists() {
        return Ok((0, 0));
    }
    let entries = scan(dir)?;
    Ok((entries.len(), entries.iter().map(|meta| meta.len).sum()))
}

/// Lists the entries of `dir` in sequence order, deleting leftover temp files.
fn scan(dir: &Path) -> io::Result<VecDeque<Meta>> {
    let mut entries = Vec::new();
    for item in fs::read_dir(dir)? {
        let item = item?;
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') && name.ends_with(".tmp") {
            remove_if_present(&item.path())?;
            continue;
        }
        let mut parts = name.splitn(3, '.');
        let (Some(sequence), Some(kind), Some("json")) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(sequence), Some(kind)) = (sequence.parse::<u64>(), EntryKind::parse(kind)) else {
            continue;
        };
        let len = item.metadata()?.len();
        entries.push(Meta {
            sequence,
            kind,
            len,
        });
    }
    entries.sort_by_key(|meta| meta.sequence);
    Ok(entries.into())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::*;
    use EntryKind::{InventoryFull as Full, InventoryPartial as Part};

    /// Pushes `(kind, body)` in order into a fresh queue with `config` and compares what is
    /// left, oldest first, as `kind:body` strings.
    fn check(
        config: QueueConfig,
        pushes: &[(EntryKind, &str)],
        expected: &[&str],
    ) -> (TempDir, Queue) {
        let dir = tempfile::tempdir().unwrap();
        let mut queue = Queue::open(dir.path(), config).unwrap();
        for (kind, body) in pushes {
            queue.push(*kind, body.as_bytes()).unwrap();
            assert!(queue.len() <= config.max_entries, "entry cap broken");
            assert!(queue.total_bytes() <= config.max_bytes, "byte cap broken");
        }
        assert_eq!(contents(&queue), expected);
        (dir, queue)
    }

    fn contents(queue: &Queue) -> Vec<String> {
        let short = |kind: EntryKind| kind.as_str().trim_start_matches("inventory-");
        queue
            .entries
            .iter()
            .map(|meta| {
                let body = fs::read(queue.file(meta.sequence, meta.kind)).unwrap();
                format!("{}:{}", short(meta.kind), String::from_utf8(body).unwrap())
            })
            .collect()
    }

    const ROOMY: QueueConfig = QueueConfig {
        max_entries: 16,
        max_bytes: 1024,
    };

    #[test]
    fn keeps_order_and_drops_the_oldest_past_the_entry_cap() {
        let three = QueueConfig {
            max_entries: 3,
            max_bytes: 1024,
        };
        check(
            three,
            &[(Part, "a"), (Part, "b"), (Part, "c"), (Part, "d")],
            &["partial:b", "partial:c", "partial:d"],
        );
    }

    #[test]
    fn drops_the_oldest_past_the_byte_cap_and_refuses_oversized_bodies() {
        let ten_bytes = QueueConfig {
            max_entries: 16,
            max_bytes: 10,
        };
        check(
            ten_bytes,
            &[(Part, "aaaa"), (Part, "bbbb"), (Part, "cccc")],
            &["partial:bbbb", "partial:cccc"],
        );
        let (_dir, mut queue) = check(ten_bytes, &[(Part, "aaaa")], &["partial:aaaa"]);
        let outcome = queue.push(Full, b"12345678901").unwrap();
        assert!(outcome.refused);
        assert_eq!(
            contents(&queue),
            ["partial:aaaa"],
            "a refused full upload supersedes nothing"
        );
    }

    #[test]
    fn a_full_inventory_supersedes_older_inventory_uploads() {
        check(
            ROOMY,
            &[(Part, "p1"), (Full, "f1"), (Part, "p2"), (Full, "f2")],
            &["full:f2"],
        );
        check(
            ROOMY,
            &[(Full, "f1"), (Part, "p1"), (Part, "p2")],
            &["full:f1", "partial:p1", "partial:p2"],
        );
    }

    #[test]
    fn front_and_remove_walk_the_queue_in_order() {
        let (_dir, mut queue) = check(
            ROOMY,
            &[(Part, "p1"), (Part, "p2")],
            &["partial:p1", "partial:p2"],
        );
        let first = queue.front().unwrap().unwrap();
        assert_eq!((first.kind, first.body.as_slice()), (Part, &b"p1"[..]));
        queue.remove(first.sequence).unwrap();
        // A vanished file is skipped and forgotten.
        let second = queue.entries[0];
        fs::remove_file(queue.file(second.sequence, second.kind)).unwrap();
        assert_eq!(queue.front().unwrap(), None);
        assert!(queue.is_empty());
    }

    #[test]
    fn new_caps_trim_the_oldest_at_once() {
        let (_dir, mut queue) = check(
            ROOMY,
            &[
                (Part, "aaaa"),
                (Part, "bbbb"),
                (Part, "cccc"),
                (Part, "dddd"),
            ],
            &[
                "partial:aaaa",
                "partial:bbbb",
                "partial:cccc",
                "partial:dddd",
            ],
        );
        let three = QueueConfig {
            max_entries: 3,
            max_bytes: 1024,
        };
        assert_eq!(queue.set_config(three).unwrap(), 1);
        assert_eq!(
            contents(&queue),
            ["partial:bbbb", "partial:cccc", "partial:dddd"]
        );
        let eight_bytes = QueueConfig {
            max_entries: 3,
            max_bytes: 8,
        };
        assert_eq!(queue.set_config(eight_bytes).unwrap(), 1);
        assert_eq!(contents(&queue), ["partial:cccc", "partial:dddd"]);
        assert_eq!(queue.config(), eight_bytes);
        // Pushes respect the new caps too.
        queue.push(Part, b"eeee").unwrap();
        assert_eq!(contents(&queue), ["partial:dddd", "partial:eeee"]);
    }

    #[test]
    fn reopening_keeps_entries_resumes_the_sequence_and_trims_to_a_smaller_cap() {
        let (temp, mut queue) = check(
            ROOMY,
            &[(Part, "a"), (Part, "b"), (Part, "c")],
            &["partial:a", "partial:b", "partial:c"],
        );
        let dir = temp.path();
        fs::write(
            dir.join(".00000000000000000009.inventory-full.json.tmp"),
            b"half",
        )
        .unwrap();
        fs::write(dir.join("notes.txt"), b"not ours").unwrap();
        let last = queue.entries.back().unwrap().sequence;
        drop(queue);
        queue = Queue::open(
            dir,
            QueueConfig {
                max_entries: 2,
                max_bytes: 1024,
            },
        )
        .unwrap();
        assert_eq!(contents(&queue), ["partial:b", "partial:c"]);
        queue.push(Part, b"d").unwrap();
        assert_eq!(queue.entries.back().unwrap().sequence, last + 1);
        assert!(!dir
            .join(".00000000000000000009.inventory-full.json.tmp")
            .exists());
        assert!(
            dir.join("notes.txt").exists(),
            "foreign files are left alone"
        );
        assert_eq!(inspect(dir).unwrap(), (2, 2));
        queue.clear().unwrap();
        assert_eq!(inspect(dir).unwrap(), (0, 0));
    }
}
