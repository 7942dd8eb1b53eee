//! CSV files as the console and the API export them: in the encoding the reader's
//! spreadsheet wants (UTF-8, UTF-8 with a BOM for Excel, Shift_JIS/CP932 which Japanese Excel
//! opens by default, UTF-16LE with a BOM), cells that a spreadsheet would run as formulas
//! neutralized, streamed page by page in flat memory. Files read back (imports) are decoded
//! strictly by [`CsvEncoding::decode`], which names the line that is not in the encoding and
//! the encoding the bytes look like instead.

use std::future::Future;

use bytes::Bytes;
use futures_util::Stream;

use crate::core::error::AppError;

/// A CSV file's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 without a BOM.
    Utf8,
    /// UTF-8 with a BOM, which Excel needs to read UTF-8.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (CP932); characters it lacks become `?`.
    ShiftJis,
    /// UTF-16, little-endian, with a BOM.
    Utf16Le,
}

impl CsvEncoding {
    /// From its name in a URL: `utf-8`, `utf-8-bom`, `shift_jis` (or `cp932`), `utf-16le`.
    pub fn parse(name: &str) -> Option<CsvEncoding> {
        match name.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(CsvEncoding::Utf8),
            "utf-8-bom" | "utf8bom" => Some(CsvEncoding::Utf8Bom),
            "shift_jis" | "sjis" | "cp932" | "windows-31j" => Some(CsvEncoding::ShiftJis),
            "utf-16le" | "utf16le" => Some(CsvEncoding::Utf16Le),
            _ => None,
        }
    }

    /// Its name in a URL.
    pub fn name(self) -> &'static str {
        match self {
            CsvEncoding::Utf8 => "utf-8",
            CsvEncoding::Utf8Bom => "utf-8-bom",
            CsvEncoding::ShiftJis => "shift_jis",
            CsvEncoding::Utf16Le => "utf-16le",
        }
    }

    /// The `Content-Type` of a file in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            CsvEncoding::Utf8 | CsvEncoding::Utf8Bom => "text/csv; charset=utf-8",
            CsvEncoding::ShiftJis => "text/csv; charset=shift_jis",
            CsvEncoding::Utf16Le => "text/csv; charset=utf-16le",
        }
    }

    /// Bytes that open the file.
    pub fn preamble(self) -> &'static [u8] {
        match self {
            CsvEncoding::Utf8Bom => b"\xEF\xBB\xBF",
            CsvEncoding::Utf16Le => b"\xFF\xFE",
            CsvEncoding::Utf8 | CsvEncoding::ShiftJis => b"",
        }
    }

    /// UTF-8 text in this encoding.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            CsvEncoding::Utf8 | CsvEncoding::Utf8Bom => text.as_bytes().to_vec(),
            CsvEncoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            CsvEncoding::ShiftJis => {
                let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
                let mut out = Vec::with_capacity(text.len());
                let mut rest = text;
                loop {
                    let capacity = encoder
                        .max_buffer_length_from_utf8_without_replacement(rest.len())
                        .unwrap_or(rest.len() * 2 + 16);
                    out.reserve(capacity);
                    let (result, read) =
                        encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
                    rest = &rest[read..];
                    match result {
                        encoding_rs::EncoderResult::InputEmpty => return out,
                        encoding_rs::EncoderResult::OutputFull => {}
                        encoding_rs::EncoderResult::Unmappable(_) => out.push(b'?'),
                    }
                }
            }
        }
    }
}

/// Why a file's bytes are not text in the encoding it was said to be in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Bytes that the encoding cannot hold, first on `line` (1-based); `looks_like` names an
    /// encoding the whole file reads cleanly in, when one does.
    #[error("the file is not valid {encoding} (line {line}){}", looks_like_hint(.looks_like))]
    Malformed {
        /// The encoding asked for.
        encoding: &'static str,
        /// The first line that does not decode.
        line: usize,
        /// An encoding the file reads cleanly in.
        looks_like: Option<&'static str>,
    },
    /// The bytes decode, but they are text in another encoding: Shift_JIS asked for, and the
    /// file is UTF-8 with non-ASCII characters (which Shift_JIS would read as garbled text
    /// without any error).
    #[error("the file is {found}, not {encoding}")]
    OtherEncoding {
        /// The encoding asked for.
        encoding: &'static str,
        /// The encoding the file is in.
        found: &'static str,
    },
}

fn looks_like_hint(looks_like: &Option<&'static str>) -> String {
    looks_like.map_or_else(String::new, |name| format!("; it reads as {name}"))
}

impl CsvEncoding {
    /// Its name in messages.
    pub fn label(self) -> &'static str {
        match self {
            CsvEncoding::Utf8 | CsvEncoding::Utf8Bom => "UTF-8",
            CsvEncoding::ShiftJis => "Shift_JIS",
            CsvEncoding::Utf16Le => "UTF-16LE",
        }
    }

    /// A file's bytes as text, strictly: a byte order mark of the encoding is dropped (UTF-8
    /// files are read with or without one), and bytes the encoding cannot hold are refused
    /// instead of becoming replacement characters, since an import must never store
    /// garbled names.
    ///
    /// # Errors
    /// [`DecodeError`] naming the first bad line and, where the bytes tell, the encoding the
    /// file is really in.
    pub fn decode(self, bytes: &[u8]) -> Result<String, DecodeError> {
        match self {
            CsvEncoding::Utf8 | CsvEncoding::Utf8Bom => {
                if bytes.starts_with(b"\xFF\xFE") {
                    return Err(DecodeError::OtherEncoding {
                        encoding: self.label(),
                        found: CsvEncoding::Utf16Le.label(),
                    });
                }
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                std::str::from_utf8(bytes)
                    .map(str::to_string)
                    .map_err(|error| DecodeError::Malformed {
                        encoding: self.label(),
                        line: line_of(&bytes[..error.valid_up_to()]),
                        looks_like: decode_shift_jis(bytes)
                            .ok()
                            .map(|_| CsvEncoding::ShiftJis.label()),
                    })
            }
            CsvEncoding::ShiftJis => {
                if bytes.starts_with(b"\xEF\xBB\xBF")
                    || (!bytes.is_ascii() && std::str::from_utf8(bytes).is_ok())
                {
                    return Err(DecodeError::OtherEncoding {
                        encoding: self.label(),
                        found: CsvEncoding::Utf8.label(),
                    });
                }
                if bytes.starts_with(b"\xFF\xFE") {
                    return Err(DecodeError::OtherEncoding {
                        encoding: self.label(),
                        found: CsvEncoding::Utf16Le.label(),
                    });
                }
                decode_shift_jis(bytes).map_err(|line| DecodeError::Malformed {
                    encoding: self.label(),
                    line,
                    looks_like: None,
                })
            }
            CsvEncoding::Utf16Le => {
                let bytes = bytes.strip_prefix(b"\xFF\xFE").unwrap_or(bytes);
                let units = bytes
                    .chunks(2)
                    .map(|pair| match pair {
                        [low, high] => Some(u16::from_le_bytes([*low, *high])),
                        _ => None,
                    })
                    .collect::<Option<Vec<u16>>>();
                let malformed = |line| DecodeError::Malformed {
                    encoding: self.label(),
                    line,
                    looks_like: (!bytes.contains(&0) && std::str::from_utf8(bytes).is_ok())
                        .then(|| CsvEncoding::Utf8.label()),
                };
                let Some(units) = units else {
                    return Err(malformed(line_of(bytes)));
                };
                let mut text = String::with_capacity(units.len());
                for decoded in char::decode_utf16(units) {
                    match decoded {
                        Ok(character) => text.push(character),
                        Err(_) => return Err(malformed(text.matches('\n').count() + 1)),
                    }
                }
                Ok(text)
            }
        }
    }

    /// A file's bytes as text with anything the encoding cannot hold replaced by U+FFFD: for
    /// echoing a refused file's lines in its error log.
    pub fn decode_lossy(self, bytes: &[u8]) -> String {
        match self {
            CsvEncoding::Utf8 | CsvEncoding::Utf8Bom => {
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                String::from_utf8_lossy(bytes).into_owned()
            }
            CsvEncoding::ShiftJis => encoding_rs::SHIFT_JIS
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            CsvEncoding::Utf16Le => {
                let bytes = bytes.strip_prefix(b"\xFF\xFE").unwrap_or(bytes);
                encoding_rs::UTF_16LE
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned()
            }
        }
    }
}

/// The 1-based line a position is on, given the bytes before it.
fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|byte| **byte == b'\n').count() + 1
}

/// Shift_JIS (CP932) bytes as text, or the first line that does not decode. Lines are
/// decoded one by one: `\n` (0x0A) is never part of a two-byte Shift_JIS character (lead
/// bytes are 0x81–0x9F and 0xE0–0xFC, trail bytes 0x40–0xFC), so splitting on it is exact.
fn decode_shift_jis(bytes: &[u8]) -> Result<String, usize> {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
        if index > 0 {
            text.push('\n');
        }
        let decoded = encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(line)
            .ok_or(index + 1)?;
        text.push_str(&decoded);
    }
    Ok(text)
}

impl CsvEncoding {
    /// The encoding asked for, UTF-8 with a BOM when none is.
    ///
    /// # Errors
    /// 400 naming `encoding` for an unknown name.
    pub fn requested(name: Option<&str>) -> Result<CsvEncoding, AppError> {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            None => Ok(CsvEncoding::Utf8Bom),
            Some(name) => CsvEncoding::parse(name).ok_or_else(|| {
                AppError::invalid(
                    "encoding",
                    "encoding must be utf-8, utf-8-bom, shift_jis or utf-16le",
                )
            }),
        }
    }
}

/// A cell as written before [`rows`] guarded it against formulas (`'=…` → `=…`), for files
/// read back.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// Rows as CSV text (CRLF line ends, quoted where needed), one writer for all of them. A cell
/// starting with `=`, `+`, `-` or `@` gets a leading `'`, so a spreadsheet shows it as text
/// instead of running it as a formula (CSV injection).
pub fn rows<R, F>(rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    // Flexible: rows of another length than the first (an import's invalid rows) are
    // written as they are instead of failing the write.
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        for field in row {
            let bytes = field.as_ref();
            // Writing to a Vec cannot fail.
            let _ = if matches!(bytes.first(), Some(b'=' | b'+' | b'-' | b'@')) {
                let mut guarded = Vec::with_capacity(bytes.len() + 1);
                guarded.push(b'\'');
                guarded.extend_from_slice(bytes);
                writer.write_field(guarded)
            } else {
                writer.write_field(bytes)
            };
        }
        // An empty record ends the fields written so far as one row.
        let _ = writer.write_record(None::<&[u8]>);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // The fields were UTF-8, so the text is.
    String::from_utf8(bytes).unwrap_or_default()
}

/// A file as a stream of chunks: the preamble and `header`, then one chunk per page that
/// `page` returns as CSV text with the next page's cursor. A task reads and encodes the next
/// pages while the client receives this one (at most two ahead, so memory stays flat); a
/// failure mid-way ends the stream with an error (the client sees a cut download, never a
/// silently short file), and a client that goes away stops the task.
pub fn stream_pages<H, P, Fut>(
    encoding: CsvEncoding,
    header: H,
    mut page: P,
) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static
where
    H: IntoIterator,
    H::Item: AsRef<[u8]>,
    P: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(String, Option<String>), AppError>> + Send,
{
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, AppError>>(2);
    let mut first = encoding.preamble().to_vec();
    first.extend(encoding.encode(&rows([header])));
    tokio::spawn(async move {
        if sender.send(Ok(Bytes::from(first))).await.is_err() {
            return;
        }
        let mut cursor: Option<String> = None;
        loop {
            let (text, next) = match page(cursor.take()).await {
                Ok(done) => done,
                Err(error) => {
                    let _ = sender.send(Err(error)).await;
                    return;
                }
            };
            if sender
                .send(Ok(Bytes::from(encoding.encode(&text))))
                .await
                .is_err()
            {
                return;
            }
            match next {
                Some(next) => cursor = Some(next),
                None => return,
            }
        }
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
}

/// The download response of a CSV stream named `filename`.
pub fn attachment(
    encoding: CsvEncoding,
    filename: &str,
    body: impl Stream<Item = Result<Bytes, AppError>> + Send + 'static,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                encoding.content_type().to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[String]) -> String {
        rows([fields])
    }

    #[test]
    fn japanese_text_in_every_encoding() {
        let text = "看護部,ＰＣ-01\r\n";
        assert_eq!(CsvEncoding::Utf8.encode(text), text.as_bytes());
        let sjis = CsvEncoding::ShiftJis.encode(text);
        let (decoded, _, errors) = encoding_rs::SHIFT_JIS.decode(&sjis);
        assert!(!errors);
        assert_eq!(decoded, text);
        assert_eq!(&sjis[..2], b"\x8a\xc5", "看 in Shift_JIS");
        let utf16 = CsvEncoding::Utf16Le.encode("看");
        assert_eq!(utf16, vec![0x0b, 0x77], "U+770B, little-endian");
        assert_eq!(CsvEncoding::Utf16Le.preamble(), b"\xFF\xFE");
        assert_eq!(CsvEncoding::Utf8Bom.preamble(), b"\xEF\xBB\xBF");
        for encoding in [
            CsvEncoding::Utf8,
            CsvEncoding::Utf8Bom,
            CsvEncoding::ShiftJis,
            CsvEncoding::Utf16Le,
        ] {
            assert_eq!(CsvEncoding::parse(encoding.name()), Some(encoding));
        }
    }

    #[test]
    fn characters_shift_jis_lacks_become_question_marks() {
        let encoded = CsvEncoding::ShiftJis.encode("a😀b");
        assert_eq!(encoded, b"a?b");
        // CP932's own characters survive (NEC special characters, IBM extensions).
        let encoded = CsvEncoding::ShiftJis.encode("①髙");
        let (decoded, _, _) = encoding_rs::SHIFT_JIS.decode(&encoded);
        assert_eq!(decoded, "①髙");
    }

    fn check_decode(encoding: CsvEncoding, bytes: &[u8], expected: Result<&str, DecodeError>) {
        assert_eq!(
            encoding.decode(bytes).as_deref().map_err(Clone::clone),
            expected
        );
    }

    #[test]
    fn files_decode_in_the_encoding_they_were_written_in() {
        let text = "部署,営業部/営業1課\r\n設置場所,本館①\r\n";
        for encoding in [
            CsvEncoding::Utf8,
            CsvEncoding::Utf8Bom,
            CsvEncoding::ShiftJis,
            CsvEncoding::Utf16Le,
        ] {
            let mut bytes = encoding.preamble().to_vec();
            bytes.extend(encoding.encode(text));
            check_decode(encoding, &bytes, Ok(text));
            assert_eq!(encoding.decode_lossy(&bytes), text);
        }
        // UTF-8 is read with or without a BOM, whichever was named.
        check_decode(CsvEncoding::Utf8, b"\xEF\xBB\xBFa", Ok("a"));
        check_decode(CsvEncoding::Utf8Bom, b"a", Ok("a"));
        check_decode(CsvEncoding::ShiftJis, b"plain,ascii", Ok("plain,ascii"));
    }

    #[test]
    fn a_file_in_another_encoding_is_refused_and_named() {
        let sjis = CsvEncoding::ShiftJis.encode("a,b\r\n部署,営業部\r\n");
        check_decode(
            CsvEncoding::Utf8,
            &sjis,
            Err(DecodeError::Malformed {
                encoding: "UTF-8",
                line: 2,
                looks_like: Some("Shift_JIS"),
            }),
        );
        let message = CsvEncoding::Utf8
            .decode(&sjis)
            .map_err(|e| e.to_string())
            .err();
        assert_eq!(
            message.as_deref(),
            Some("the file is not valid UTF-8 (line 2); it reads as Shift_JIS")
        );
        check_decode(
            CsvEncoding::ShiftJis,
            "部署".as_bytes(),
            Err(DecodeError::OtherEncoding {
                encoding: "Shift_JIS",
                found: "UTF-8",
            }),
        );
        check_decode(
            CsvEncoding::Utf8,
            b"\xFF\xFEa\x00",
            Err(DecodeError::OtherEncoding {
                encoding: "UTF-8",
                found: "UTF-16LE",
            }),
        );
        // 0x81 0x20: a lead byte without a valid trail byte.
        check_decode(
            CsvEncoding::ShiftJis,
            b"ok\n\x81\x20",
            Err(DecodeError::Malformed {
                encoding: "Shift_JIS",
                line: 2,
                looks_like: None,
            }),
        );
        // An odd number of bytes, and a lone surrogate.
        check_decode(
            CsvEncoding::Utf16Le,
            b"a\x00\n\x00b",
            Err(DecodeError::Malformed {
                encoding: "UTF-16LE",
                line: 2,
                looks_like: None,
            }),
        );
        check_decode(
            CsvEncoding::Utf16Le,
            "部署\n".as_bytes(),
            Err(DecodeError::Malformed {
                encoding: "UTF-16LE",
                line: 2,
                looks_like: Some("UTF-8"),
            }),
        );
        check_decode(
            CsvEncoding::Utf16Le,
            b"\x00\xD8",
            Err(DecodeError::Malformed {
                encoding: "UTF-16LE",
                line: 1,
                looks_like: None,
            }),
        );
        assert_eq!(CsvEncoding::Utf8.decode_lossy(&sjis).lines().count(), 2);
    }

    #[test]
    fn fields_are_quoted_when_they_must_be() {
        assert_eq!(
            row(&["a,b".into(), "say \"hi\"".into(), "plain".into()]),
            "\"a,b\",\"say \"\"hi\"\"\",plain\r\n"
        );
    }

    #[test]
    fn rows_of_other_lengths_are_written_as_they_are() {
        assert_eq!(
            rows([vec!["a", "b", "c"], vec!["d"], vec!["e", "f"]]),
            "a,b,c\r\nd\r\ne,f\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(
            row(&[
                "=1+2".into(),
                "+81".into(),
                "-x".into(),
                "@SUM(A1)".into(),
                "a=b".into()
            ]),
            "'=1+2,'+81,'-x,'@SUM(A1),a=b\r\n"
        );
    }
}
