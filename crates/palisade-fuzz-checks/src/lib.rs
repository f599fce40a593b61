//! Invariant checks shared by the cargo-fuzz targets in `fuzz/` and the
//! stable replay test (`tests/replay.rs`), so that `cargo test` re-runs
//! every committed seed and crash input through exactly the checks the
//! fuzzer ran.
//!
//! Each target is a module with an `Arbitrary` input struct and a
//! `check(&Input)` function that panics, with a message naming the broken
//! invariant, when one does not hold. [`TARGETS`] lists them for the replay
//! test; `fuzz/fuzz_targets/<name>.rs` wraps each in `fuzz_target!`.
//!
//! # Adding a target
//!
//! 1. Add a module here with `pub struct Input` (derive `Arbitrary`, input
//!    bytes last so seeds are a short header plus text) and `pub fn
//!    check(&Input)`; reject oversized inputs first.
//! 2. Add it to [`TARGETS`] and write `fuzz/fuzz_targets/<name>.rs` plus a
//!    `[[bin]]` entry in `fuzz/Cargo.toml` (`fuzz/run.sh` runs every target
//!    `cargo fuzz list` shows).
//! 3. Put a few seeds in `fuzz/seeds/<name>/` (see `fuzz/make-seeds.py`).
//!
//! The `stream` target compares chunked streaming with one-shot
//! inspection; the `ffi` target drives the C ABI of `palisade-ffi` (its
//! module is the only one here with `unsafe` code).

#![deny(unsafe_code)]

pub mod alloc;
pub mod decode;
pub mod ffi;
pub mod inspect;
pub mod palette;
pub mod policy;
pub mod stream;
pub mod views;

use arbitrary::{Arbitrary, Unstructured};

/// The inspection mode an input's `response` flag picks.
pub fn mode(response: bool) -> palisade::Mode {
    if response {
        palisade::Mode::Response
    } else {
        palisade::Mode::Prompt
    }
}

/// A fuzz target as the replay test sees it: its name (the directory under
/// `fuzz/seeds/` and `fuzz/regressions/`) and a function taking the raw
/// fuzzer bytes.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Target name, as in `cargo fuzz list`.
    pub name: &'static str,
    /// Decodes raw fuzzer bytes as the target's input and checks it.
    pub run: fn(&[u8]),
}

/// Every target. The replay test runs each file of
/// `fuzz/{seeds,regressions}/<name>/` through `run`.
pub const TARGETS: &[Target] = &[
    Target {
        name: "inspect",
        run: |d| run_with(d, inspect::check),
    },
    Target {
        name: "views",
        run: |d| run_with(d, views::check),
    },
    Target {
        name: "decode",
        run: |d| run_with(d, decode::check),
    },
    Target {
        name: "policy",
        run: |d| run_with(d, policy::check),
    },
    Target {
        name: "stream",
        run: |d| run_with(d, stream::check),
    },
    Target {
        name: "ffi",
        run: |d| run_with(d, ffi::check),
    },
];

/// Decodes `data` the way `libfuzzer_sys::fuzz_target!` does for a typed
/// input and runs `check` on it.
pub fn run_with<'a, T: Arbitrary<'a>>(data: &'a [u8], check: fn(&T)) {
    if let Ok(input) = T::arbitrary_take_rest(Unstructured::new(data)) {
        check(&input);
    }
}

/// Every remaining byte, as is. Fuzz inputs end with their text taken
/// this way, so a seed file is a short header followed by the text
/// (arbitrary's own `Vec<u8>` reads a continuation flag per element).
pub fn rest(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    Ok(u.bytes(u.len())?.to_vec())
}

/// Asserts `cond`, naming the invariant and the input when it fails.
#[track_caller]
pub(crate) fn ensure(cond: bool, what: impl FnOnce() -> String) {
    if !cond {
        panic!("invariant broken: {}", what());
    }
}

/// At most `n` characters of `bytes`, for messages.
pub(crate) fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut out: String = s.chars().take(200).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeds are written as a header of config bytes followed by the text;
    /// this pins the layout `make-seeds.py` relies on.
    #[test]
    fn seed_layout() {
        let i =
            inspect::Input::arbitrary_take_rest(Unstructured::new(b"\x01\x00\x00hello")).unwrap();
        assert!(i.response);
        assert!(i.policy.is_none());
        assert_eq!(i.palette, 0);
        assert_eq!(i.text, b"hello");
        let v = views::Input::arbitrary_take_rest(Unstructured::new(b"\x03\x00abc")).unwrap();
        assert_eq!((v.expansion, v.palette, &v.text[..]), (3, 0, &b"abc"[..]));
        let p = policy::Input::arbitrary_take_rest(Unstructured::new(b"\x01{}")).unwrap();
        assert!(p.json);
        assert_eq!(p.text, b"{}");
        let s = stream::Input::arbitrary_take_rest(Unstructured::new(
            b"\x01\x82\x00\x01\x07\x00\x01\x00\x01\x00abc",
        ))
        .unwrap();
        assert!(s.response);
        assert_eq!((s.policy, s.palette), (0x82, 0));
        assert_eq!(s.chunks, [7, 256]);
        assert_eq!(s.text, b"abc");
    }
}
