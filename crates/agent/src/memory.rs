//! Keeping the resident set small on glibc: the agent wakes rarely and allocates in bursts
//! (an inventory collection, a compressed upload), and glibc keeps freed memory in per-thread
//! arenas unless told otherwise. Elsewhere (musl) these are no-ops.

/// Limits glibc to two malloc arenas; call once at start, before threads are started.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; M_ARENA_MAX takes any positive count.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns freed heap memory to the kernel after a burst of allocation.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
