//! Fuzz target `stream`: see `palisade_fuzz_checks::stream` for its input and
//! the invariants it asserts (the replay test runs the same checks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_fuzz_checks::{alloc, stream};

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

fuzz_target!(|input: stream::Input| stream::check(&input));
