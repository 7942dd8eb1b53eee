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
use crate::core::csv::{self, CsvEncoding};
use crate::core::error::AppError;
use crate::devices::model::{Device, DeviceFilter, SortKey};
use crate::devices::service;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 2000;

/// Column headers in the reader's language.
pub fn headers(m: &'static crate::console::i18n::Msgs) -> [&'static str; 13] {
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
        m.location,
    ]
}

/// One device's cells (times as `YYYY-MM-DD HH:MM` in `tz`, states in the reader's words,
/// the department and location by name), borrowing what the row and `names` hold already.
pub fn cells<'a>(
    device: &'a Device,
    m: &'static crate::console::i18n::Msgs,
    tz: &jiff::tz::TimeZone,
    names: &'a Names,
) -> [Cow<'a, str>; 13] {
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
            .and_then(|id| names.departments.get(&id))
            .map_or(Cow::Borrowed(""), |name| Cow::Borrowed(name.as_str())),
        device
            .location_id
            .and_then(|id| names.locations.get(&id))
            .map_or(Cow::Borrowed(""), |name| Cow::Borrowed(name.as_str())),
    ]
}

/// Department and location names by id, loaded once per export.
pub struct Names {
    departments: HashMap<i64, String>,
    locations: HashMap<i64, String>,
}

impl Names {
    async fn load(db: &crate::core::db::Db) -> Result<Names, AppError> {
        use crate::departments::store::{list, Tree};
        let by_id = |list: Vec<crate::departments::store::Department>| {
            list.into_iter().map(|d| (d.id, d.name)).collect()
        };
        Ok(Names {
            departments: by_id(list(db, Tree::Departments).await?),
            locations: by_id(list(db, Tree::Locations).await?),
        })
    }
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

/// The file as a stream of chunks (see [`csv::stream_pages`]): the preamble and header, then
/// one chunk per page of devices, with department names looked up once.
pub fn stream(
    state: AppState,
    request: ExportRequest,
) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static {
    let m = request.lang.msgs();
    let encoding = request.encoding;
    let request = std::sync::Arc::new(request);
    let names: std::sync::Arc<tokio::sync::OnceCell<Names>> = std::sync::Arc::default();
    csv::stream_pages(encoding, headers(m), move |cursor| {
        let state = state.clone();
        let request = request.clone();
        let names = names.clone();
        async move {
            let names = names.get_or_try_init(|| Names::load(&state.db)).await?;
            let page = service::export_page(
                &state,
                &request.actor,
                &request.filter,
                request.sort,
                request.descending,
                cursor.as_deref(),
                PAGE_ROWS,
            )
            .await?;
            let text = csv::rows(page.items.iter().map(|device| {
                cells(device, m, &request.tz, names)
                    .into_iter()
                    .map(|cell| match cell {
                        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                    })
            }));
            Ok((text, page.next_cursor))
        }
    })
}
