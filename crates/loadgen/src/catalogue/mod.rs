//! The package catalogue shared by every simulated agent: per distribution, a pool of about
//! 6,000 plausible package names (real common ones first, then generated `lib*` names) with
//! four releases each, ranked by popularity; and each agent's [`PackageSet`], indices into its
//! pool rather than copies, so 20,000 agents × 1,500 packages take about 60 MB.
//!
//! Popular packages (the core) are on nearly every agent; the rest come from a Zipf-weighted
//! long tail, so the server's software catalogue looks like a real fleet's. This module knows
//! nothing of HTTP or of the other inventory sections.

mod names;
mod pool;
mod selection;

pub use pool::{Catalogue, DistroInfo, Family, Pool, CURRENT, DISTROS, LEVELS, MIN_POOL};
pub use selection::PackageSet;

#[cfg(test)]
mod tests;
