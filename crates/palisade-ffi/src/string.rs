//! `palisade_string`: an owned string handed out by functions that make new
//! text (a generated canary, restored text).

use crate::ffi::{self, boundary, check_out, nul_terminated, palisade_str, write_out};
use crate::status::palisade_status;

/// A string palisade made for the caller.
///
/// **Ownership:** created by `palisade_canary_generate` and
/// `palisade_vault_restore`; the caller owns it and frees it once with
/// `palisade_string_free`.
///
/// **Lifetime:** independent of every other object. The `palisade_str`
/// from `palisade_string_get` lives as long as the string.
///
/// **Threads:** immutable; may be read from several threads at once, and
/// freed from any thread once no other thread uses it.
#[derive(Debug)]
pub struct palisade_string {
    text: Box<str>,
}

impl palisade_string {
    pub(crate) fn new(text: &str) -> palisade_string {
        palisade_string {
            text: nul_terminated(text),
        }
    }
}

/// Gets the text: valid UTF-8, NUL-terminated (it may contain NUL bytes of
/// its own when they came from an input, so use `len`), living as long as
/// `string`.
///
/// # Safety
/// `string` must be NULL or a live string; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_string_get(
    string: *const palisade_string,
    out: *mut palisade_str,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let s = unsafe { ffi::handle(string) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, palisade_str::from_z(&s.text)) };
        Ok(())
    })
}

/// Frees a string. `palisade_string_free(NULL)` does nothing.
///
/// # Safety
/// `string` must be NULL or a string from this library, not freed before,
/// that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_string_free(string: *mut palisade_string) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(string) };
        Ok(())
    });
}
