//! CSV export of the device list as filtered, in the encoding the reader's spreadsheet wants:
//! UTF-8, UTF-8 with a BOM (Excel), Shift_JIS (CP932, what Japanese Excel opens by default)
//! or UTF-16LE with a BOM.
//!
//! The file is streamed page by page (keyset paging, [`PAGE_ROWS`] rows a page), so memory
//! stays flat whatever the number of devices; the export is audited before the first byte.

use bytes::Bytes;
use futures_util::Stream;

use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::devices::model::{Device, DeviceFilter, SortKey};
use crate::devices::service;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 1000;

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

fn csv_row(fields: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(fields);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// One device's cells (times as `YYYY-MM-DD HH:MM` in `tz`, states in the reader's words).
pub fn cells(
    device: &Device,
    m: &'static crate::console::i18n::Msgs,
    tz: &jiff::tz::TimeZone,
) -> Vec<String> {
    vec![
        device.id.to_string(),
        device.hostname.clone(),
        m.state_label(device.state.as_str()).to_string(),
        format!("{} {}", device.os_name, device.os_version)
            .trim()
            .to_string(),
        device.primary_ip.clone(),
        device.primary_mac.clone(),
        device.serial.clone(),
        device.manufacturer.clone(),
        device.model.clone(),
        device.agent_version.clone(),
        crate::console::web::format_time(device.last_seen, tz),
        device
            .department_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
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
/// devices. A failure mid-way ends the stream with an error (the client sees a cut
/// download, never a silently short file).
pub fn stream(
    state: AppState,
    request: ExportRequest,
) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static {
    let m = request.lang.msgs();
    let mut first = request.encoding.preamble().to_vec();
    let header: Vec<String> = headers(m).iter().map(|h| h.to_string()).collect();
    first.extend(request.encoding.encode(&csv_row(&header)));
    futures_util::stream::unfold(
        (Some(first), Some(None::<String>), state, request),
        move |(pending, cursor, state, request)| async move {
            if let Some(first) = pending {
                return Some((Ok(Bytes::from(first)), (None, cursor, state, request)));
            }
            let cursor = cursor?;
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
            match page {
                Err(error) => Some((Err(error), (None, None, state, request))),
                Ok(page) => {
                    let mut text = String::with_capacity(page.items.len() * 160);
                    for device in &page.items {
                        text.push_str(&csv_row(&cells(device, m, &request.tz)));
                    }
                    let chunk = Bytes::from(request.encoding.encode(&text));
                    let next = page.next_cursor.map(Some);
                    Some((Ok(chunk), (None, next, state, request)))
                }
            }
        },
    )
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
