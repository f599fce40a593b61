//! Fuzz target `ffi`: see `palisade_fuzz_checks::ffi` for its input and
//! the invariants it asserts (the replay test runs the same checks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_fuzz_checks::{alloc, ffi};

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

fuzz_target!(|input: ffi::Input| ffi::check(&input));
