//! Files uploaded to the console's import wizard, kept on disk between its steps (upload →
//! mapping and preview → check → import) so the browser sends a large file once. A staged
//! file belongs to the account that uploaded it, is named by an unguessable token, and is
//! removed when imported or after [`MAX_AGE_MS`] (swept at each upload).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::assets::import::format::{Sheet, Source};
use crate::assets::import::kinds::Kind;
use crate::core::csv::CsvEncoding;
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// How long an upload waits for its import.
pub const MAX_AGE_MS: i64 = 6 * 60 * 60 * 1000;
/// Bytes looked at to guess the encoding.
const GUESS_BYTES: usize = 64 * 1024;

/// What is known of a staged file besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedMeta {
    /// The account that uploaded it.
    pub user_id: i64,
    /// The kind of records it holds.
    pub kind: Kind,
    /// The name it had on the user's computer.
    pub file_name: String,
    /// Its size.
    pub size: u64,
    /// Uploaded (Unix ms).
    pub uploaded_at: i64,
}

/// [`StagedMeta`] as stored beside the file.
#[derive(Serialize, Deserialize)]
struct Stored {
    user_id: i64,
    kind: String,
    file_name: String,
    size: u64,
    uploaded_at: i64,
}

/// A staged file found by its token.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Its token.
    pub token: String,
    /// Where its bytes are.
    pub path: PathBuf,
    /// Its description.
    pub meta: StagedMeta,
}

/// The directory staged files live in.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("imports").join("staged")
}

fn io_error(error: std::io::Error) -> AppError {
    AppError::Internal(format!("cannot keep the uploaded file: {error}"))
}

/// Whether `token` has the shape [`crate::core::secrets::random_id`] gives (so it never
/// names a path outside the directory).
fn well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A new token and the path its bytes go to; the caller writes them and then calls
/// [`commit`]. Old staged files are swept first.
///
/// # Errors
/// The directory cannot be made.
pub async fn reserve(data_dir: &Path) -> Result<(String, PathBuf), AppError> {
    let dir = dir(data_dir);
    tokio::fs::create_dir_all(&dir).await.map_err(io_error)?;
    sweep(&dir, now_ms()).await;
    let token = crate::core::secrets::random_id();
    let path = dir.join(format!("{token}.csv"));
    Ok((token, path))
}

/// Records what the file at `token` is, making it visible to [`find`].
///
/// # Errors
/// The description cannot be written.
pub async fn commit(data_dir: &Path, token: &str, meta: &StagedMeta) -> Result<(), AppError> {
    let stored = Stored {
        user_id: meta.user_id,
        kind: meta.kind.as_str().to_string(),
        file_name: meta.file_name.clone(),
        size: meta.size,
        uploaded_at: meta.uploaded_at,
    };
    let json = serde_json::to_vec(&stored)
        .map_err(|error| AppError::Internal(format!("staged file description: {error}")))?;
    let path = dir(data_dir).join(format!("{token}.json"));
    tokio::fs::write(path, json).await.map_err(io_error)
}

/// The staged file `token` of account `user_id`; 404 for an unknown, expired or another
/// account's file.
///
/// # Errors
/// 404 as said.
pub async fn find(data_dir: &Path, token: &str, user_id: i64) -> Result<Staged, AppError> {
    let gone = || AppError::NotFound("uploaded file");
    if !well_formed(token) {
        return Err(gone());
    }
    let dir = dir(data_dir);
    let json = tokio::fs::read(dir.join(format!("{token}.json")))
        .await
        .map_err(|_| gone())?;
    let stored: Stored = serde_json::from_slice(&json).map_err(|_| gone())?;
    let meta = StagedMeta {
        user_id: stored.user_id,
        kind: Kind::parse(&stored.kind).ok_or_else(gone)?,
        file_name: stored.file_name,
        size: stored.size,
        uploaded_at: stored.uploaded_at,
    };
    if meta.user_id != user_id || now_ms() - meta.uploaded_at > MAX_AGE_MS {
        return Err(gone());
    }
    Ok(Staged {
        token: token.to_string(),
        path: dir.join(format!("{token}.csv")),
        meta,
    })
}

/// Removes a staged file (after its import, or when abandoned).
pub async fn discard(data_dir: &Path, token: &str) {
    if !well_formed(token) {
        return;
    }
    let dir = dir(data_dir);
    for ext in ["csv", "json"] {
        let _ = tokio::fs::remove_file(dir.join(format!("{token}.{ext}"))).await;
    }
}

/// Removes files older than [`MAX_AGE_MS`] (and halves of an upload that never completed).
async fn sweep(dir: &Path, now: i64) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let Ok(metadata) = entry.metadata().await else {
            continue;
        };
        let modified = metadata
            .modified()
            .ok()
            .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |age| i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
        if now - modified > MAX_AGE_MS {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

/// The encoding a file most likely has, from its first bytes: a byte-order mark decides;
/// else UTF-8 when the bytes are valid UTF-8, else Shift_JIS (what Japanese Excel writes).
pub fn guess_encoding(path: &Path) -> CsvEncoding {
    use std::io::Read;
    let mut head = Vec::with_capacity(GUESS_BYTES);
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(GUESS_BYTES as u64).read_to_end(&mut head);
    }
    guess_encoding_of(&head)
}

/// [`guess_encoding`] of bytes in memory (their first 64 KiB).
pub fn guess_encoding_of(bytes: &[u8]) -> CsvEncoding {
    let head = &bytes[..bytes.len().min(GUESS_BYTES)];
    if head.starts_with(b"\xFF\xFE") {
        return CsvEncoding::Utf16Le;
    }
    if head.starts_with(b"\xEF\xBB\xBF") {
        return CsvEncoding::Utf8Bom;
    }
    match std::str::from_utf8(head) {
        Ok(_) => CsvEncoding::Utf8,
        // Cut inside a character at the end of the sample: still UTF-8.
        Err(error) if error.error_len().is_none() => CsvEncoding::Utf8,
        Err(_) => CsvEncoding::ShiftJis,
    }
}

/// The first rows of a staged file as the wizard previews them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// The header's cells.
    pub header: Vec<String>,
    /// Up to `rows` data rows (line, cells).
    pub rows: Vec<(u64, Vec<String>)>,
}

/// The header at `header_row` and the first `rows` data rows from `data_row` (0: the line
/// after the header) of `path` read in `encoding`.
///
/// # Errors
/// The file-level refusal reading it would give (wrong encoding, no header…).
pub fn preview(
    path: &Path,
    encoding: CsvEncoding,
    (header_row, data_row): (u64, u64),
    rows: usize,
) -> Result<Preview, crate::assets::import::error::Refusal> {
    let data_row = if data_row == 0 {
        header_row + 1
    } else {
        data_row
    };
    let mut sheet = Sheet::open(
        &Source::File(path.to_path_buf()),
        encoding,
        header_row,
        data_row,
    )?;
    let mut preview = Preview {
        header: sheet.header.clone(),
        rows: Vec::new(),
    };
    while preview.rows.len() < rows {
        let Some((line, record)) = sheet.next_record()? else {
            break;
        };
        preview
            .rows
            .push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_files_only_in_the_directory() {
        assert!(well_formed(&crate::core::secrets::random_id()));
        assert!(!well_formed("../../etc/passwd"));
        assert!(!well_formed("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn encodings_are_guessed_from_the_first_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            guess_encoding(&path)
        };
        assert_eq!(file("u8", "資産番号,名前\n".as_bytes()), CsvEncoding::Utf8);
        assert_eq!(file("bom", b"\xEF\xBB\xBFa,b\n"), CsvEncoding::Utf8Bom);
        assert_eq!(file("u16", b"\xFF\xFEa\0"), CsvEncoding::Utf16Le);
        let sjis = CsvEncoding::ShiftJis.encode("資産番号,名前\n");
        assert_eq!(file("sjis", &sjis), CsvEncoding::ShiftJis);
        // A sample cut in the middle of a character is still UTF-8.
        let mut long = "あ".repeat(GUESS_BYTES / 3 + 1).into_bytes();
        long.truncate(GUESS_BYTES + 1);
        assert_eq!(file("cut", &long), CsvEncoding::Utf8);
    }
}
