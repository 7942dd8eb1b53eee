//! Simulated agents: identity ([`identity`]), inventory sections built on demand from a seed
//! and the shared catalogue ([`inventory`]), and the per-agent state with its change model
//! ([`agent`]).
//!
//! **Architecture Invariant:** nothing here does I/O or knows about HTTP; the driver moves
//! agents between tasks and sends what they serialize. Every section is a pure function of
//! the agent's state, so an upload always matches the hashes the agent reported.

pub mod agent;
pub mod identity;
pub mod inventory;

#[cfg(test)]
mod tests;
