//! Arbitrary bytes into `kanri_proto::decode` as an `InventoryUpload`, a `CheckinRequest` and
//! an `EnrollRequest`; an accepted upload must satisfy the invariants in `src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    kanri_fuzz::inventory_decoder(data);
});
