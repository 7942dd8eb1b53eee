//! CSV files as the console and the API export them: in the encoding the reader's
//! spreadsheet wants (UTF-8, UTF-8 with a BOM for Excel, Shift_JIS/CP932 which Japanese Excel
//! opens by default, UTF-16LE with a BOM), cells that a spreadsheet would run as formulas
//! neutralized, streamed page by page in flat memory.

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

/// Rows as CSV text (CRLF line ends, quoted where needed), one writer for all of them. A cell
/// starting with `=`, `+`, `-` or `@` gets a leading `'`, so a spreadsheet shows it as text
/// instead of running it as a formula (CSV injection).
pub fn rows<R, F>(rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
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

    #[test]
    fn fields_are_quoted_when_they_must_be() {
        assert_eq!(
            row(&["a,b".into(), "say \"hi\"".into(), "plain".into()]),
            "\"a,b\",\"say \"\"hi\"\"\",plain\r\n"
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
