//! Reading an import file: its bytes streamed from memory or disk, decoded strictly a chunk
//! at a time by [`CsvEncoding::decode`] (so a file in the wrong encoding is refused with the
//! line and the encoding it looks like, and never imported as garbled names), parsed as CSV,
//! with the header taken from the template's header row and data from its data start row.
//!
//! Memory stays flat whatever the file's size: a chunk of about [`CHUNK_BYTES`] of raw bytes,
//! cut at a line end, and its text are held at a time (a quoted cell may span chunks: the
//! CSV parser reads the decoded text as one stream). Lines are numbered as in the file,
//! from 1; a record is numbered by the line it starts on.

use std::io::{self, Read};
use std::path::PathBuf;

use bytes::Bytes;

use crate::assets::import::error::Refusal;
use crate::core::csv::{CsvEncoding, DecodeError};

/// The largest file an import takes: a million asset rows of ordinary length are about
/// 200 MiB; anything larger is split first.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Raw bytes decoded at a time.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    /// In memory.
    Memory(Bytes),
    /// A file (the command line reads the file given, the API spools the body to disk).
    File(PathBuf),
}

impl Source {
    /// Its size in bytes.
    ///
    /// # Errors
    /// The file's metadata cannot be read.
    pub fn size(&self) -> io::Result<u64> {
        match self {
            Source::Memory(bytes) => Ok(bytes.len() as u64),
            Source::File(path) => Ok(std::fs::metadata(path)?.len()),
        }
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Source::Memory(bytes) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
            Source::File(path) => Ok(Box::new(std::fs::File::open(path)?)),
        }
    }
}

/// Raw bytes in, UTF-8 text out, one chunk of whole lines at a time.
struct Decoder {
    inner: Box<dyn Read + Send>,
    encoding: CsvEncoding,
    raw: Vec<u8>,
    eof: bool,
    text: Vec<u8>,
    pos: usize,
    lines_before: usize,
}

impl Decoder {
    fn new(inner: Box<dyn Read + Send>, encoding: CsvEncoding) -> Decoder {
        Decoder {
            inner,
            encoding,
            raw: Vec::with_capacity(CHUNK_BYTES),
            eof: false,
            text: Vec::new(),
            pos: 0,
            lines_before: 0,
        }
    }

    /// Reads raw bytes up to a line end at least a chunk in (or the end), decodes them.
    fn fill(&mut self) -> io::Result<()> {
        let mut scanned = 0;
        let cut = loop {
            if self.raw.len() >= CHUNK_BYTES {
                if let Some(cut) = line_cut(&self.raw, scanned, self.encoding) {
                    break cut;
                }
                // A line longer than a chunk: read on, searching only what is new.
                scanned = self.raw.len() & !1;
            }
            if self.eof {
                break self.raw.len();
            }
            let start = self.raw.len();
            self.raw.resize(start + CHUNK_BYTES, 0);
            let read = match self.inner.read(&mut self.raw[start..]) {
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => 0,
                Err(error) => {
                    self.raw.truncate(start);
                    return Err(error);
                }
            };
            self.raw.truncate(start + read);
            if read == 0 {
                self.eof = true;
            }
        };
        let mut text = self
            .encoding
            .decode(&self.raw[..cut])
            .map_err(|error| undecodable(shift_lines(error, self.lines_before)))?;
        // Line ends become `\n` (a chunk never ends between `\r` and `\n`), and the text ends
        // with one: every record then ends with the one terminator, which is how its first
        // line is counted (`Sheet::line`).
        if text.contains('\r') {
            text = text.replace("\r\n", "\n");
        }
        if self.eof && cut == self.raw.len() && !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        self.lines_before += text.matches('\n').count();
        self.raw.drain(..cut);
        self.text = text.into_bytes();
        self.pos = 0;
        Ok(())
    }
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.text.len() {
            if self.eof && self.raw.is_empty() {
                return Ok(0);
            }
            self.fill()?;
        }
        let count = buf.len().min(self.text.len() - self.pos);
        buf[..count].copy_from_slice(&self.text[self.pos..self.pos + count]);
        self.pos += count;
        Ok(count)
    }
}

/// Where a chunk may end: just after the last line end at or after `from` (in UTF-16LE, a
/// `\n` code unit on an even offset; every cut is even, so offsets stay aligned).
fn line_cut(raw: &[u8], from: usize, encoding: CsvEncoding) -> Option<usize> {
    match encoding {
        CsvEncoding::Utf16Le => {
            let mut index = (raw.len() & !1).checked_sub(2)?;
            while index >= from {
                if raw[index] == b'\n' && raw[index + 1] == 0 {
                    return Some(index + 2);
                }
                index = index.checked_sub(2)?;
            }
            None
        }
        // `\n` is never part of a multi-byte character in UTF-8 or Shift_JIS.
        _ => raw
            .get(from..)?
            .iter()
            .rposition(|byte| *byte == b'\n')
            .map(|position| from + position + 1),
    }
}

/// A chunk's decoding error with its line counted from the start of the file.
fn shift_lines(error: DecodeError, lines_before: usize) -> DecodeError {
    match error {
        DecodeError::Malformed {
            encoding,
            line,
            looks_like,
        } => DecodeError::Malformed {
            encoding,
            line: line + lines_before,
            looks_like,
        },
        other => other,
    }
}

fn undecodable(error: DecodeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// A read failure as a refusal of the file.
fn refusal(error: csv::Error) -> Refusal {
    if let csv::ErrorKind::Io(io_error) = error.kind() {
        if let Some(decode) = io_error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<DecodeError>())
        {
            return Refusal::Encoding(decode.clone());
        }
    }
    Refusal::Unreadable(error.to_string())
}

/// A file opened at its header: the header's cells, then the data records one by one.
pub struct Sheet {
    reader: csv::Reader<Decoder>,
    record: csv::StringRecord,
    /// The header's cells, trimmed and unguarded.
    pub header: Vec<String>,
    data_row: u64,
}

impl std::fmt::Debug for Sheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sheet")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Sheet {
    /// Opens `source` in `encoding` and reads up to the header on line `header_row`; data
    /// starts on line `data_row` (rows between are skipped, as are blank lines).
    ///
    /// # Errors
    /// [`Refusal::Encoding`], [`Refusal::Unreadable`], [`Refusal::NoHeader`].
    pub fn open(
        source: &Source,
        encoding: CsvEncoding,
        header_row: u64,
        data_row: u64,
    ) -> Result<Sheet, Refusal> {
        let input = source
            .open()
            .map_err(|error| Refusal::Unreadable(error.to_string()))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(Decoder::new(input, encoding));
        let mut sheet = Sheet {
            reader,
            record: csv::StringRecord::new(),
            header: Vec::new(),
            data_row,
        };
        loop {
            let found = sheet
                .reader
                .read_record(&mut sheet.record)
                .map_err(refusal)?;
            let line = sheet.line();
            if !found || line > header_row {
                return Err(Refusal::NoHeader { row: header_row });
            }
            if line == header_row {
                sheet.header = sheet
                    .record
                    .iter()
                    .map(|cell| crate::core::csv::unguard(cell.trim()).to_string())
                    .collect();
                return Ok(sheet);
            }
        }
    }

    /// The line the record just read starts on. The reader's own start position counts the
    /// blank lines it skipped before the record as the record's, so the line is counted back
    /// from where the record ended: its terminator and the line breaks inside its cells.
    fn line(&self) -> u64 {
        let inside: usize = self
            .record
            .iter()
            .map(|cell| cell.matches('\n').count())
            .sum();
        self.reader
            .position()
            .line()
            .saturating_sub(inside as u64 + 1)
    }

    /// The next data record and the line it starts on.
    ///
    /// # Errors
    /// [`Refusal::Encoding`] or [`Refusal::Unreadable`] on the way.
    pub fn next_record(&mut self) -> Result<Option<(u64, &csv::StringRecord)>, Refusal> {
        loop {
            if !self.reader.read_record(&mut self.record).map_err(refusal)? {
                return Ok(None);
            }
            let line = self.line();
            if line >= self.data_row {
                return Ok(Some((line, &self.record)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header and the data records with their lines.
    type Table = (Vec<String>, Vec<(u64, Vec<String>)>);

    fn records(bytes: Vec<u8>, encoding: CsvEncoding, rows: (u64, u64)) -> Result<Table, Refusal> {
        let mut sheet = Sheet::open(
            &Source::Memory(Bytes::from(bytes)),
            encoding,
            rows.0,
            rows.1,
        )?;
        let mut out = Vec::new();
        while let Some((line, record)) = sheet.next_record()? {
            out.push((line, record.iter().map(String::from).collect()));
        }
        Ok((sheet.header.clone(), out))
    }

    fn encoded(encoding: CsvEncoding, text: &str) -> Vec<u8> {
        let mut bytes = encoding.preamble().to_vec();
        bytes.extend(encoding.encode(text));
        bytes
    }

    #[test]
    fn header_and_data_rows_as_the_template_says() {
        let text = "資産一覧\r\n\r\n資産管理番号,機器名称\r\n(説明)\r\nPC-1,\"多行\n名称\"\r\nPC-2,'=1+1\r\n";
        for encoding in [
            CsvEncoding::Utf8,
            CsvEncoding::Utf8Bom,
            CsvEncoding::ShiftJis,
            CsvEncoding::Utf16Le,
        ] {
            let (header, rows) = records(encoded(encoding, text), encoding, (3, 5)).expect("read");
            assert_eq!(header, vec!["資産管理番号", "機器名称"], "{encoding:?}");
            assert_eq!(
                rows,
                vec![
                    (5, vec!["PC-1".to_string(), "多行\n名称".to_string()]),
                    (7, vec!["PC-2".to_string(), "'=1+1".to_string()]),
                ],
                "{encoding:?}"
            );
        }
        let error = records(
            encoded(CsvEncoding::Utf8, "a\r\n"),
            CsvEncoding::Utf8,
            (2, 3),
        );
        assert_eq!(error.err(), Some(Refusal::NoHeader { row: 2 }));
    }

    #[test]
    fn chunks_keep_lines_and_quoted_cells_whole() {
        // Rows long enough that the file spans several chunks, a quoted cell with line breaks
        // among them, and a bad byte far in: its line is counted across chunks.
        let mut text = String::from("key,value\n");
        let long = "x".repeat(900);
        for n in 0..3000 {
            if n == 1500 {
                text.push_str("quoted,\"a\nb\nc\"\n");
            }
            text.push_str(&format!("K-{n},{long}\n"));
        }
        for encoding in [
            CsvEncoding::Utf8,
            CsvEncoding::Utf16Le,
            CsvEncoding::ShiftJis,
        ] {
            let bytes = encoded(encoding, &text);
            assert!(bytes.len() > 2 * CHUNK_BYTES);
            let (_, rows) = records(bytes, encoding, (1, 2)).expect("read");
            assert_eq!(rows.len(), 3001, "{encoding:?}");
            assert_eq!(rows[1500].1[1], "a\nb\nc");
            assert_eq!(rows[1501].0, 1505, "lines after the quoted cell");
            assert_eq!(rows[3000].0, 3004);
        }
        let mut bytes = text.into_bytes();
        let at = bytes.len() - 10;
        bytes[at] = 0xff;
        let error = records(bytes, CsvEncoding::Utf8, (1, 2)).err();
        assert!(
            matches!(
                error,
                Some(Refusal::Encoding(DecodeError::Malformed { line: 3004, .. }))
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_file_in_another_encoding_is_refused_naming_it() {
        let sjis = encoded(CsvEncoding::ShiftJis, "番号,名称\r\nPC-1,受付\r\n");
        let error = records(sjis, CsvEncoding::Utf8, (1, 2)).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "the file is not valid UTF-8 (line 1); it reads as Shift_JIS; choose the file's encoding"
        );
        let utf8 = encoded(CsvEncoding::Utf8, "番号,名称\r\n");
        let error = records(utf8, CsvEncoding::ShiftJis, (1, 2)).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("the file is UTF-8, not Shift_JIS"),
            "{error}"
        );
    }

    #[test]
    fn line_cuts_respect_utf16_alignment() {
        // "a\n" then "\u{0a00}" (bytes 00 0A): the odd-offset 0A is not a line end.
        let raw = [b'a', 0, b'\n', 0, 0, b'\n', b'b', 0];
        assert_eq!(line_cut(&raw, 0, CsvEncoding::Utf16Le), Some(4));
        assert_eq!(line_cut(b"ab\ncd", 0, CsvEncoding::Utf8), Some(3));
        assert_eq!(line_cut(b"ab\ncd", 3, CsvEncoding::Utf8), None);
    }
}
