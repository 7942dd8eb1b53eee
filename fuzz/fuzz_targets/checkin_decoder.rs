//! Arbitrary bytes into `kanri_proto::decode` as a `CheckinRequest` and an `EnrollRequest`,
//! the small frequent messages; accepted ones must round-trip and hold only wire text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    kanri_fuzz::checkin_decoder(data);
});
