//! IP addresses as sortable keys, so "address in 10.1.0.0/16" is one index range scan on
//! either backend (neither SQLite nor the `Any` driver offers an address type).
//!
//! A key is the address in fixed-width lowercase hex behind its family digit: `4` + 8 digits
//! for IPv4, `6` + 32 digits for IPv6. Keys of one family compare like the addresses, and a
//! CIDR block is the closed range from its first to its last key.

use std::net::IpAddr;

use sqlx::Row;

use crate::core::db::{Db, DbError};

/// The key of an address, `None` for text that is no IP address.
pub fn ip_key(text: &str) -> Option<String> {
    match text.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(format!("4{:08x}", u32::from(v4))),
        IpAddr::V6(v6) => Some(format!("6{:032x}", u128::from(v6))),
    }
}

/// The first and last key of a CIDR block (`192.0.2.0/24`, `2001:db8::/32`) or of one
/// address; `None` for anything else. Host bits set in the address are ignored, as routers
/// do (`10.1.2.3/16` is `10.1.0.0/16`).
pub fn key_range(text: &str) -> Option<(String, String)> {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix.parse::<u32>().ok()?)),
        None => (text, None),
    };
    match address.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let bits = prefix.unwrap_or(32);
            if bits > 32 {
                return None;
            }
            let host = u32::MAX.checked_shr(bits).unwrap_or(0);
            let first = u32::from(v4) & !host;
            Some((format!("4{first:08x}"), format!("4{:08x}", first | host)))
        }
        IpAddr::V6(v6) => {
            let bits = prefix.unwrap_or(128);
            if bits > 128 {
                return None;
            }
            let host = u128::MAX.checked_shr(bits).unwrap_or(0);
            let first = u128::from(v6) & !host;
            Some((format!("6{first:032x}"), format!("6{:032x}", first | host)))
        }
    }
}

/// Rows filled per statement by [`backfill_ip_keys`].
const BACKFILL_BATCH: i64 = 2_000;

/// Gives every IP row written before keys existed (migration 0017) its key; returns how many
/// rows it filled. Cheap when there is nothing to do (one index probe), so it runs at every
/// start. Text that is no address gets an empty key and is not visited again.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn backfill_ip_keys(db: &Db) -> Result<u64, DbError> {
    let mut filled = 0;
    loop {
        let rows = sqlx::query(
            "SELECT device_id, value FROM device_addresses WHERE kind = 'ip' AND ip_key IS NULL \
             LIMIT $1",
        )
        .bind(BACKFILL_BATCH)
        .fetch_all(db.read())
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut tx = db.write().begin().await?;
        for row in &rows {
            let device_id: i64 = row.try_get(0)?;
            let value: String = row.try_get(1)?;
            sqlx::query(
                "UPDATE device_addresses SET ip_key = $1 \
                 WHERE device_id = $2 AND kind = 'ip' AND value = $3",
            )
            .bind(ip_key(&value).unwrap_or_default())
            .bind(device_id)
            .bind(value.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::{ip_key, key_range};

    #[test]
    fn keys_sort_like_addresses() {
        let low = ip_key("10.1.2.3").expect("v4");
        let high = ip_key("10.1.10.1").expect("v4");
        assert_eq!(low, "40a010203");
        // As text "10.1.10.1" < "10.1.2.3"; as keys the order is the addresses' order.
        assert!(low < high);
        assert_eq!(ip_key("::1").expect("v6").len(), 33);
        assert_eq!(ip_key("not an address"), None);
    }

    #[test]
    fn blocks_cover_exactly_their_addresses() {
        let (first, last) = key_range("10.1.2.3/16").expect("block");
        assert_eq!(first, ip_key("10.1.0.0").expect("v4"));
        assert_eq!(last, ip_key("10.1.255.255").expect("v4"));
        let inside = ip_key("10.1.200.7").expect("v4");
        let outside = ip_key("10.2.0.0").expect("v4");
        assert!(first <= inside && inside <= last);
        assert!(outside > last);
        let (first, last) = key_range("0.0.0.0/0").expect("everything");
        assert_eq!((first.as_str(), last.as_str()), ("400000000", "4ffffffff"));
        let (first, last) = key_range("192.0.2.9").expect("one address");
        assert_eq!(first, last);
        let (first, last) = key_range("2001:db8::/32").expect("v6");
        assert!(first.starts_with("620010db8") && last.starts_with("620010db8ffff"));
        assert_eq!(key_range("10.0.0.0/33"), None);
        assert_eq!(key_range("10.0.0.0/x"), None);
        assert_eq!(key_range("host.example"), None);
    }
}
