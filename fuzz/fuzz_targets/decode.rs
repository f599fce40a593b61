//! Fuzz target `decode`: see `palisade_fuzz_checks::decode` for its input and
//! the invariants it asserts (the replay test runs the same checks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_fuzz_checks::{alloc, decode};

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

fuzz_target!(|input: decode::Input| decode::check(&input));
