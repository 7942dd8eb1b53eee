//! The local form: a small HTTP server on `127.0.0.1` and an ephemeral port that serves the
//! user-information form at `/form/<token>` until it is answered or times out.
//!
//! [`server`] owns the listener, the one-time token and the form's state; [`http`] reads
//! requests and writes responses; [`page`] renders the pages; [`answers`] decodes what the
//! page posts; [`peer`] finds which user's socket connected.
//!
//! **Architecture Invariant:** a request is answered only when it comes from the session's
//! user (or root), names `127.0.0.1:<port>` as its host and carries the token; the token is
//! spent by the first accepted answer, and the listener closes at the deadline.

pub mod answers;
pub mod http;
pub mod page;
pub mod peer;
pub mod server;
