//! PostgreSQL's software → devices index as bitmaps: one row of `software_device_sets` per
//! catalogue entry and block of [`BLOCK_DEVICES`] consecutive device ids, whose `members`
//! holds one bit per device of the block.
//!
//! One row per (software, device) pair, as SQLite keeps it, cost PostgreSQL a heap tuple and
//! a B-tree entry per pair (≈ 3.8 µs): half of its CPU per 1,500-package first inventory.
//! A merge of 750 first inventories touches ≈ 60,000 (software, block) rows instead of
//! 1,125,000 pairs, and the index is a sixth of the size.
//!
//! Bits are numbered as PostgreSQL's `get_bit(bytea, n)` numbers them, so SQL can test and
//! expand them: device `block * 1024 + n` is bit `n % 8` (from the least significant) of byte
//! `n / 8`. The merge computes new bitmaps here and writes them whole; nothing else writes
//! the table.

/// Device ids per row.
pub const BLOCK_DEVICES: i64 = 1024;

/// Bytes of a row's bitmap.
pub const BITMAP_BYTES: usize = (BLOCK_DEVICES / 8) as usize;

/// One row's devices.
pub type Bitmap = [u8; BITMAP_BYTES];

/// The block a device's bit lives in, and the bit.
pub fn locate(device_id: i64) -> (i64, usize) {
    (
        device_id.div_euclid(BLOCK_DEVICES),
        device_id.rem_euclid(BLOCK_DEVICES) as usize,
    )
}

/// The device ids a row's bitmap holds, ascending.
pub fn members(block: i64, bitmap: &Bitmap) -> impl Iterator<Item = i64> + '_ {
    bitmap.iter().enumerate().flat_map(move |(byte, bits)| {
        (0..8)
            .filter(move |bit| bits & (1 << bit) != 0)
            .map(move |bit| block * BLOCK_DEVICES + (byte * 8 + bit) as i64)
    })
}

/// What a merge does to one row: devices to add and to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange {
    /// Catalogue entry.
    pub software_id: i64,
    /// Block of device ids.
    pub block: i64,
    /// Devices that now have the entry.
    pub add: Bitmap,
    /// Devices that no longer have it.
    pub remove: Bitmap,
}

impl RowChange {
    /// The row's bitmap after the change (`old` is `None` for a row not stored yet); `None`
    /// when no device is left, for the row to be deleted.
    pub fn apply(&self, old: Option<&Bitmap>) -> Option<Bitmap> {
        let mut new = old.copied().unwrap_or([0; BITMAP_BYTES]);
        for ((bits, add), remove) in new.iter_mut().zip(&self.add).zip(&self.remove) {
            *bits = (*bits & !remove) | add;
        }
        new.iter().any(|bits| *bits != 0).then_some(new)
    }
}

/// Groups a merge's pairs (`[software_id, device_id]`, each list in key order, no pair in
/// both) by row, in key order.
pub fn row_changes(inserts: &[[i64; 2]], deletes: &[[i64; 2]]) -> Vec<RowChange> {
    let none = [0; BITMAP_BYTES];
    let row = |(software_id, block), add, remove| RowChange {
        software_id,
        block,
        add,
        remove,
    };
    let mut rows: Vec<RowChange> = by_row(inserts)
        .into_iter()
        .map(|(key, add)| row(key, add, none))
        .chain(
            by_row(deletes)
                .into_iter()
                .map(|(key, remove)| row(key, none, remove)),
        )
        .collect();
    rows.sort_by_key(|change| (change.software_id, change.block));
    rows.dedup_by(|later, earlier| {
        let same = (later.software_id, later.block) == (earlier.software_id, earlier.block);
        if same {
            for (bits, more) in earlier.add.iter_mut().zip(&later.add) {
                *bits |= more;
            }
            for (bits, more) in earlier.remove.iter_mut().zip(&later.remove) {
                *bits |= more;
            }
        }
        same
    });
    rows
}

/// Sorted pairs as one bitmap per (software, block), in key order.
fn by_row(pairs: &[[i64; 2]]) -> Vec<((i64, i64), Bitmap)> {
    let mut out: Vec<((i64, i64), Bitmap)> = Vec::new();
    for [software_id, device_id] in pairs {
        let (block, bit) = locate(*device_id);
        let key = (*software_id, block);
        match out.last_mut() {
            Some((last, bitmap)) if *last == key => bitmap[bit / 8] |= 1 << (bit % 8),
            _ => {
                let mut bitmap = [0; BITMAP_BYTES];
                bitmap[bit / 8] |= 1 << (bit % 8);
                out.push((key, bitmap));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitmap_of(block: i64, devices: &[i64]) -> Bitmap {
        let mut bitmap = [0; BITMAP_BYTES];
        for device_id in devices {
            let (at, bit) = locate(*device_id);
            assert_eq!(at, block);
            bitmap[bit / 8] |= 1 << (bit % 8);
        }
        bitmap
    }

    #[test]
    fn bits_are_numbered_like_postgresql_get_bit() {
        // get_bit('\x0100'::bytea, 0) = 1 and get_bit('\x0080'::bytea, 15) = 1.
        assert_eq!(bitmap_of(0, &[0])[0], 0x01);
        assert_eq!(bitmap_of(0, &[15])[1], 0x80);
        assert_eq!(locate(1023), (0, 1023));
        assert_eq!(locate(1024), (1, 0));
        assert_eq!(locate(5 * 1024 + 9), (5, 9));
    }

    #[test]
    fn members_come_back_in_order() {
        let devices = [2048, 2049, 2055, 2056, 3000, 3071];
        let bitmap = bitmap_of(2, &devices);
        assert_eq!(members(2, &bitmap).collect::<Vec<_>>(), devices);
        assert_eq!(members(0, &[0; BITMAP_BYTES]).count(), 0);
    }

    #[test]
    fn pairs_group_by_row_with_adds_and_removes_together() {
        let inserts = [[1, 10], [1, 11], [1, 1030], [3, 5]];
        let deletes = [[1, 12], [2, 7], [3, 6]];
        let rows = row_changes(&inserts, &deletes);
        let keys: Vec<(i64, i64)> = rows.iter().map(|r| (r.software_id, r.block)).collect();
        assert_eq!(keys, vec![(1, 0), (1, 1), (2, 0), (3, 0)]);
        assert_eq!(rows[0].add, bitmap_of(0, &[10, 11]));
        assert_eq!(rows[0].remove, bitmap_of(0, &[12]));
        assert_eq!(rows[1].add, bitmap_of(1, &[1030]));
        assert_eq!(rows[1].remove, [0; BITMAP_BYTES]);
        assert_eq!(rows[2].add, [0; BITMAP_BYTES]);
        assert_eq!(rows[2].remove, bitmap_of(0, &[7]));
        assert_eq!(rows[3].add, bitmap_of(0, &[5]));
        assert_eq!(rows[3].remove, bitmap_of(0, &[6]));
        assert!(row_changes(&[], &[]).is_empty());
    }

    #[test]
    fn a_change_keeps_other_devices_and_empties_a_row() {
        let old = bitmap_of(0, &[1, 2, 3]);
        let change = RowChange {
            software_id: 1,
            block: 0,
            add: bitmap_of(0, &[4]),
            remove: bitmap_of(0, &[2]),
        };
        assert_eq!(change.apply(Some(&old)), Some(bitmap_of(0, &[1, 3, 4])));
        assert_eq!(change.apply(None), Some(bitmap_of(0, &[4])));
        let emptying = RowChange {
            add: [0; BITMAP_BYTES],
            remove: old,
            ..change
        };
        assert_eq!(emptying.apply(Some(&old)), None);
    }
}
