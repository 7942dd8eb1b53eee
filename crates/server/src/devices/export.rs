//! CSV export of the device list as filtered, in the encoding the reader's spreadsheet wants:
//! UTF-8, UTF-8 with a BOM (Excel), Shift_JIS (CP932, what Japanese Excel opens by default)
//! or UTF-16LE with a BOM.
//!
//! The file is streamed page by page (keyset paging, [`PAGE_ROWS`] rows a page), so memory
//! stays flat whatever the number of devices; the export is audited before the first byte.

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;
use futures_util::Stream;

use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::devices::model::{Device, DeviceFilter, SortKey};
use crate::devices::service;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 2000;

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

/// Column headers in the reader's language.
pub fn headers(m: &'static crate::console::i18n::Msgs) -> [&'static str; 12] {
    [
        "ID",
        m.hostname,
        m.state,
        m.os,
        m.ip_address,
        m.mac_address,
        m.serial,
        m.manufacturer,
        m.model,
        m.agent_version,
        m.last_seen,
        m.department,
    ]
}

/// Rows as CSV text (CRLF line ends, quoted where needed), one writer for all of them.
fn csv_rows<R, F>(rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // The fields were UTF-8, so the text is.
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
fn csv_row(fields: &[String]) -> String {
    csv_rows([fields])
}

/// One device's cells (times as `YYYY-MM-DD HH:MM` in `tz`, states in the reader's words,
/// the department by name), borrowing what the row and `departments` hold already.
pub fn cells<'a>(
    device: &'a Device,
    m: &'static crate::console::i18n::Msgs,
    tz: &jiff::tz::TimeZone,
    departments: &'a HashMap<i64, String>,
) -> [Cow<'a, str>; 12] {
    let os = if device.os_version.is_empty() {
        Cow::Borrowed(device.os_name.as_str())
    } else {
        Cow::Owned(format!("{} {}", device.os_name, device.os_version))
    };
    [
        Cow::Owned(device.id.to_string()),
        Cow::Borrowed(&device.hostname),
        Cow::Borrowed(m.state_label(device.state.as_str())),
        os,
        Cow::Borrowed(&device.primary_ip),
        Cow::Borrowed(&device.primary_mac),
        Cow::Borrowed(&device.serial),
        Cow::Borrowed(&device.manufacturer),
        Cow::Borrowed(&device.model),
        Cow::Borrowed(&device.agent_version),
        Cow::Owned(crate::console::web::format_time(device.last_seen, tz)),
        device
            .department_id
            .and_then(|id| departments.get(&id))
            .map_or(Cow::Borrowed(""), |name| Cow::Borrowed(name.as_str())),
    ]
}

/// What an export needs besides the state.
pub struct ExportRequest {
    /// The reader.
    pub actor: Actor,
    /// The list's filters.
    pub filter: DeviceFilter,
    /// The list's sort.
    pub sort: SortKey,
    /// Descending.
    pub descending: bool,
    /// Output encoding.
    pub encoding: CsvEncoding,
    /// Header and state words.
    pub lang: crate::console::i18n::Lang,
    /// Time zone of the times.
    pub tz: jiff::tz::TimeZone,
}

/// The file as a stream of chunks: the preamble and header, then one chunk per page of
/// devices. A task reads and encodes the next pages while the client receives this one (at
/// most two pages ahead, so memory stays flat); a failure mid-way ends the stream with an
/// error (the client sees a cut download, never a silently short file), and a client that
/// goes away stops the task.
pub fn stream(
    state: AppState,
    request: ExportRequest,
) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, AppError>>(2);
    tokio::spawn(produce(state, request, sender));
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
}

async fn produce(
    state: AppState,
    request: ExportRequest,
    sender: tokio::sync::mpsc::Sender<Result<Bytes, AppError>>,
) {
    let m = request.lang.msgs();
    let mut first = request.encoding.preamble().to_vec();
    first.extend(request.encoding.encode(&csv_rows([headers(m)])));
    if sender.send(Ok(Bytes::from(first))).await.is_err() {
        return;
    }
    let departments: HashMap<i64, String> = match crate::departments::store::list(&state.db).await {
        Ok(list) => list.into_iter().map(|d| (d.id, d.name)).collect(),
        Err(error) => {
            let _ = sender.send(Err(error.into())).await;
            return;
        }
    };
    let mut cursor: Option<String> = None;
    loop {
        let page = service::list(
            &state,
            &request.actor,
            &request.filter,
            request.sort,
            request.descending,
            cursor.as_deref(),
            PAGE_ROWS,
        )
        .await;
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        };
        let text = csv_rows(page.items.iter().map(|device| {
            cells(device, m, &request.tz, &departments)
                .into_iter()
                .map(|cell| match cell {
                    Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                    Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                })
        }));
        let chunk = Bytes::from(request.encoding.encode(&text));
        if sender.send(Ok(chunk)).await.is_err() {
            return;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            csv_row(&["a,b".into(), "say \"hi\"".into(), "plain".into()]),
            "\"a,b\",\"say \"\"hi\"\"\",plain\r\n"
        );
    }
}
