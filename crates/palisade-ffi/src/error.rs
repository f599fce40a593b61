//! `palisade_error`: the detail behind a failed call.

use crate::ffi::{self, boundary, check_out, nul_terminated, palisade_str, write_out};
use crate::status::palisade_status;

/// An error object: a status code and a message that names what is wrong
/// (for a policy: the field or rule at fault, and why).
///
/// **Ownership:** written to an error out-parameter (`palisade_error **err`)
/// only when the call fails and `err` is not NULL; the caller owns it and
/// frees it with `palisade_error_free`. The string returned by
/// `palisade_error_message` lives as long as the error object.
///
/// **Threads:** immutable; may be read from several threads at once, and
/// freed from any thread once no other thread uses it.
#[derive(Debug)]
pub struct palisade_error {
    status: palisade_status,
    message: Box<str>,
}

impl palisade_error {
    pub(crate) fn new(status: palisade_status, message: &str) -> palisade_error {
        palisade_error {
            status,
            message: nul_terminated(message),
        }
    }

    /// Writes a new error object through `err`, if `err` is not NULL.
    ///
    /// # Safety
    /// `err` must be NULL or valid for writing a pointer.
    pub(crate) unsafe fn report(
        err: *mut *mut palisade_error,
        status: palisade_status,
        message: &str,
    ) {
        if check_out(err).is_ok() {
            // SAFETY: checked non-NULL and aligned; writable by the caller's
            // promise.
            unsafe { write_out(err, ffi::into_handle(palisade_error::new(status, message))) }
        }
    }
}

/// Gets the message of an error: valid UTF-8, NUL-terminated, living as long
/// as `err`.
///
/// # Safety
/// `err` must be NULL or a live error; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_error_message(
    err: *const palisade_error,
    out: *mut palisade_str,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let e = unsafe { ffi::handle(err) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, palisade_str::from_z(&e.message)) };
        Ok(())
    })
}

/// Gets the status code of the failure the error describes.
///
/// # Safety
/// `err` must be NULL or a live error; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_error_status(
    err: *const palisade_error,
    out: *mut palisade_status,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let e = unsafe { ffi::handle(err) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, e.status) };
        Ok(())
    })
}

/// Frees an error object. `palisade_error_free(NULL)` does nothing.
///
/// # Safety
/// `err` must be NULL or an error from this library not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_error_free(err: *mut palisade_error) {
    // SAFETY: the caller's promise.
    let _ = boundary(|| {
        unsafe { ffi::free_handle(err) };
        Ok(())
    });
}
