//! The stored form of a device's install list and of a queued install change: varints in a
//! byte string, read and written only by this server.
//!
//! A first inventory's 1,500 installs took 37 KB as JSON (`[[id, time, size], …]`), about a
//! third of everything an upload wrote, and its id lists another 9 KB; a hundred thousand
//! devices kept 3.7 GB of digits. Ids ascend, so each is stored as its distance from the one
//! before (one byte, usually), install times likewise (packages installed together share
//! theirs), sizes as they are: ≈ 10 bytes an install.
//!
//! Every value starts with a format byte. JSON, which rows written before this form still
//! hold, starts with `[`, and is read as before.

use crate::core::db::DbError;
use crate::inventory::store::Install;

/// First byte of the varint form.
const VARINTS: u8 = 1;

/// Presence bits of an install's optional values.
const HAS_TIME: u8 = 1;
const HAS_SIZE: u8 = 2;

/// An install list, ascending by catalogue id, in the stored form.
pub fn encode_installs(installs: &[Install]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + installs.len() * 10);
    out.push(VARINTS);
    put_varint(&mut out, installs.len() as u64);
    let (mut last_id, mut last_time) = (0i64, 0i64);
    for (id, time, size) in installs {
        put_varint(&mut out, zigzag(id.wrapping_sub(last_id)));
        last_id = *id;
        let flags = time.map_or(0, |_| HAS_TIME) | size.map_or(0, |_| HAS_SIZE);
        out.push(flags);
        if let Some(time) = time {
            put_varint(&mut out, zigzag(time.wrapping_sub(last_time)));
            last_time = *time;
        }
        if let Some(size) = size {
            put_varint(&mut out, zigzag(*size));
        }
    }
    out
}

/// Reads what [`encode_installs`] wrote, or the JSON of older rows.
///
/// # Errors
/// [`DbError::Corrupt`] for anything else.
pub fn decode_installs(bytes: &[u8]) -> Result<Vec<Install>, DbError> {
    decode(bytes, 2, |reader, count| {
        let mut installs = Vec::with_capacity(count);
        let (mut id, mut last_time) = (0i64, 0i64);
        for _ in 0..count {
            id = id.wrapping_add(unzigzag(reader.varint()?));
            let flags = reader.byte()?;
            let time = if flags & HAS_TIME != 0 {
                last_time = last_time.wrapping_add(unzigzag(reader.varint()?));
                Some(last_time)
            } else {
                None
            };
            let size = if flags & HAS_SIZE != 0 {
                Some(unzigzag(reader.varint()?))
            } else {
                None
            };
            installs.push((id, time, size));
        }
        Ok(installs)
    })
}

/// A list of catalogue ids (ascending, as install changes list them) in the stored form.
pub fn encode_ids(ids: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + ids.len() * 2);
    out.push(VARINTS);
    put_varint(&mut out, ids.len() as u64);
    let mut last = 0i64;
    for id in ids {
        put_varint(&mut out, zigzag(id.wrapping_sub(last)));
        last = *id;
    }
    out
}

/// Reads what [`encode_ids`] wrote, or the JSON of older rows.
///
/// # Errors
/// [`DbError::Corrupt`] for anything else.
pub fn decode_ids(bytes: &[u8]) -> Result<Vec<i64>, DbError> {
    decode(bytes, 1, |reader, count| {
        let mut ids = Vec::with_capacity(count);
        let mut id = 0i64;
        for _ in 0..count {
            id = id.wrapping_add(unzigzag(reader.varint()?));
            ids.push(id);
        }
        Ok(ids)
    })
}

/// JSON for a value that starts with `[`; else the varint form: the entry count (entries of
/// at least `min_entry_bytes` each) handed to `entries`, which must read every byte.
fn decode<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    min_entry_bytes: usize,
    entries: impl FnOnce(&mut Reader<'_>, usize) -> Result<T, DbError>,
) -> Result<T, DbError> {
    match bytes.split_first() {
        Some((b'[', _)) => serde_json::from_slice(bytes).map_err(corrupt),
        Some((&VARINTS, rest)) => {
            let mut reader = Reader::new(rest);
            let count = reader.count(min_entry_bytes)?;
            let value = entries(&mut reader, count)?;
            reader.finish()?;
            Ok(value)
        }
        _ => Err(DbError::Corrupt("a packed list in an unknown form".into())),
    }
}

fn corrupt(error: serde_json::Error) -> DbError {
    DbError::Corrupt(error.to_string())
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// LEB128: seven bits a byte, low bits first.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    fn byte(&mut self) -> Result<u8, DbError> {
        let (first, rest) = self.bytes.split_first().ok_or_else(truncated)?;
        self.bytes = rest;
        Ok(*first)
    }

    fn varint(&mut self) -> Result<u64, DbError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DbError::Corrupt("a varint longer than ten bytes".into()))
    }

    /// An entry count, refused when the bytes left cannot hold that many entries of at least
    /// `min_bytes` each (so a damaged count never reserves gigabytes).
    fn count(&mut self, min_bytes: usize) -> Result<usize, DbError> {
        let count = usize::try_from(self.varint()?).map_err(|_| truncated())?;
        if count.saturating_mul(min_bytes.max(1)) > self.bytes.len() {
            return Err(truncated());
        }
        Ok(count)
    }

    fn finish(&self) -> Result<(), DbError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(DbError::Corrupt("bytes after the last entry".into()))
        }
    }
}

fn truncated() -> DbError {
    DbError::Corrupt("a packed list cut short".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_first_inventory_takes_about_ten_bytes_an_install() {
        let installs: Vec<Install> = (0..1500i64)
            .map(|n| {
                let time = 1_690_000_000 + (n * 7919 % 5000) * 3600;
                (n * 45 + 3, Some(time), Some(10_000 + n * 997))
            })
            .collect();
        let packed = encode_installs(&installs);
        assert!(packed.len() < 1500 * 12, "{} bytes", packed.len());
        let json = serde_json::to_vec(&installs).expect("json");
        assert!(packed.len() * 2 < json.len());
        assert_eq!(decode_installs(&packed).expect("decodes"), installs);
    }

    #[test]
    fn rows_written_as_json_still_read() {
        assert_eq!(
            decode_installs(b"[[3,1700000000,null],[9,null,42]]").expect("json"),
            vec![(3, Some(1_700_000_000), None), (9, None, Some(42))]
        );
        assert_eq!(decode_ids(b"[4,17]").expect("json"), vec![4, 17]);
        assert_eq!(decode_ids(b"[]").expect("json"), Vec::<i64>::new());
    }

    #[test]
    fn damage_is_reported_not_guessed() {
        let packed = encode_installs(&[(5, Some(1), Some(2)), (8, None, None)]);
        for cut in 1..packed.len() {
            assert!(decode_installs(&packed[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = packed.clone();
        longer.push(0);
        assert!(decode_installs(&longer).is_err());
        assert!(decode_installs(b"").is_err());
        assert!(decode_installs(b"\x07abc").is_err());
        // A count far beyond the bytes present.
        assert!(decode_ids(&[VARINTS, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(decode_ids(&[
            VARINTS, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
        ])
        .is_err());
    }

    proptest! {
        #[test]
        fn installs_round_trip(
            mut entries in proptest::collection::vec(
                (any::<i64>(), proptest::option::of(any::<i64>()), proptest::option::of(any::<i64>())),
                0..200,
            )
        ) {
            entries.sort_by_key(|(id, _, _)| *id);
            entries.dedup_by_key(|(id, _, _)| *id);
            prop_assert_eq!(decode_installs(&encode_installs(&entries)).unwrap(), entries);
        }

        #[test]
        fn ids_round_trip(mut ids in proptest::collection::vec(any::<i64>(), 0..300)) {
            ids.sort_unstable();
            prop_assert_eq!(decode_ids(&encode_ids(&ids)).unwrap(), ids);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_installs(&bytes);
            let _ = decode_ids(&bytes);
        }
    }
}
