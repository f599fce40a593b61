//! A counting global allocator. A binary that wants [`live_bytes`] to mean
//! something installs it:
//!
//! ```ignore
//! #[global_allocator]
//! static A: palisade_fuzz_checks::alloc::Counting = palisade_fuzz_checks::alloc::Counting;
//! ```
//!
//! Without it, [`live_bytes`] stays 0 and size checks pass trivially; the
//! fuzz targets and the replay test install it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The counting allocator (wraps the system allocator).
#[derive(Debug)]
pub struct Counting;

// SAFETY: every method forwards to `System` with the same arguments and
// only adds counter updates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

/// Bytes currently allocated through [`Counting`].
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}
