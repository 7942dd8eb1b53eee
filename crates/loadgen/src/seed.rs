//! Deterministic seeds: the run seed fans out into independent streams for each agent, each
//! inventory section and each change, so a run is reproducible from `--seed` alone and a
//! section rebuilt later is identical to the one hashed earlier.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// Mixes two values into a well-spread 64-bit seed (SplitMix64 finalizer).
pub fn mix(a: u64, b: u64) -> u64 {
    splitmix(a ^ splitmix(b))
}

/// A random number generator for the stream `salt` of `seed`.
pub fn rng(seed: u64, salt: u64) -> StdRng {
    StdRng::seed_from_u64(mix(seed, salt))
}

fn splitmix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
