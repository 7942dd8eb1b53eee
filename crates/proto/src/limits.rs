//! Limits the server enforces on what agents send. The agent respects them too, so that a
//! well-behaved agent is never rejected.

/// Largest accepted request body after decompression (16 MiB); the server may be configured
/// lower or higher.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Largest accepted compressed body on the wire.
pub const MAX_COMPRESSED_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Longest accepted string value, in bytes.
pub const MAX_TEXT_BYTES: usize = 2048;
/// Most packages in one software section.
pub const MAX_PACKAGES: usize = 100_000;
/// Most entries in any other list (services, users, mounts, interfaces, …).
pub const MAX_LIST: usize = 10_000;
/// Most commands delivered in one reply.
pub const MAX_COMMANDS: usize = 100;
/// Longest time the server holds a channel poll open, in seconds.
pub const CHANNEL_HOLD_SECS: u64 = 50;
