//! `palisade_guard`: a compiled policy, and inspection.

use crate::error::palisade_error;
use crate::ffi::{self, boundary, check_out, nul_terminated, palisade_str, write_out};
use crate::status::{mode_from_u32, palisade_status};
use crate::verdict::palisade_verdict;
use palisade_core::{Guard, Mode, Policy};

/// The largest policy text `palisade_guard_new_from_policy` accepts, in
/// bytes (16 MiB). Longer texts are refused with
/// `PALISADE_STATUS_INPUT_TOO_LARGE`.
pub const PALISADE_MAX_POLICY_BYTES: usize = 16 << 20;

/// A compiled policy: build once, inspect many times, from many threads.
///
/// **Ownership:** created by `palisade_guard_new_default` or
/// `palisade_guard_new_from_policy`; the caller owns it and frees it once
/// with `palisade_guard_free`.
///
/// **Lifetime:** verdicts do not borrow the guard: a verdict may outlive
/// the guard that made it. The string from `palisade_guard_fingerprint`
/// lives as long as the guard.
///
/// **Threads:** immutable after creation. One guard may be shared by any
/// number of threads calling the `const palisade_guard *` functions at the
/// same time, without locking. Free it only after every other thread has
/// finished using it.
#[derive(Debug)]
pub struct palisade_guard {
    guard: Guard,
    fingerprint: Box<str>,
}

impl palisade_guard {
    pub(crate) fn new(guard: Guard) -> palisade_guard {
        let fingerprint = nul_terminated(guard.fingerprint());
        palisade_guard { guard, fingerprint }
    }

    /// The Rust guard inside (for the other handle modules).
    pub(crate) fn guard(&self) -> &Guard {
        &self.guard
    }
}

/// Builds a guard from the built-in default policy and writes it to `*out`.
///
/// Returns `PALISADE_STATUS_OK`, or `PALISADE_STATUS_NULL_ARGUMENT` when
/// `out` is NULL. `*out` is written only on success.
///
/// # Safety
/// `out` must be NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_new_default(
    out: *mut *mut palisade_guard,
) -> palisade_status {
    boundary(|| {
        check_out(out)?;
        let guard = Guard::new(&Policy::default()).map_err(|_| palisade_status::PolicyError)?;
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_guard::new(guard))) };
        Ok(())
    })
}

/// Builds a guard from policy text and writes it to `*out`.
///
/// `policy` points to `policy_len` bytes of UTF-8: TOML, or JSON when the
/// first non-blank character is `{`. Fields left out take the built-in
/// defaults, so `(NULL, 0)` (the empty TOML document) gives the default
/// policy. Unknown keys, values of the wrong type or range, unknown packs,
/// bad rules are errors.
///
/// On failure, when `err` is not NULL, `*err` receives a new error object
/// whose message names what is wrong (e.g. ``invalid policy:
/// `categories.injection.threshold`: ...``); free it with
/// `palisade_error_free`. `err` may be NULL. `*out` is written only on
/// success, `*err` only on failure.
///
/// Returns `OK`, `NULL_ARGUMENT` (`out` NULL, or `policy` NULL with a
/// non-zero length), `INVALID_UTF8`, `INPUT_TOO_LARGE` (above
/// `PALISADE_MAX_POLICY_BYTES`) or `POLICY_ERROR`.
///
/// # Safety
/// `policy` must point to `policy_len` readable bytes (or be NULL with
/// length 0); `out` and `err` must be NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_new_from_policy(
    policy: *const u8,
    policy_len: usize,
    out: *mut *mut palisade_guard,
    err: *mut *mut palisade_error,
) -> palisade_status {
    let result = ffi::catch(|| -> Result<(), (palisade_status, String)> {
        check_out(out).map_err(|s| (s, s.message().to_owned()))?;
        if policy_len > PALISADE_MAX_POLICY_BYTES {
            let msg = format!(
                "policy text is {policy_len} bytes; the limit is {PALISADE_MAX_POLICY_BYTES}"
            );
            return Err((palisade_status::InputTooLarge, msg));
        }
        // SAFETY: the caller's promise.
        let bytes =
            unsafe { ffi::input(policy, policy_len) }.map_err(|s| (s, s.message().to_owned()))?;
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let msg = format!(
                "policy text is not valid UTF-8: invalid byte at offset {}",
                e.valid_up_to()
            );
            (palisade_status::InvalidUtf8, msg)
        })?;
        let guard = Policy::from_text(text)
            .and_then(|p| Guard::new(&p))
            .map_err(|e| (palisade_status::PolicyError, e.to_string()))?;
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_guard::new(guard))) };
        Ok(())
    });
    let (status, message) = match result {
        Ok(Ok(())) => return palisade_status::Ok,
        Ok(Err(failure)) => failure,
        Err(panic) => (
            palisade_status::Panic,
            format!("internal error: palisade panicked: {panic}"),
        ),
    };
    // Reporting allocates; keep even that inside a boundary.
    let _ = ffi::catch(|| {
        // SAFETY: the caller's promise.
        unsafe { palisade_error::report(err, status, &message) }
    });
    status
}

/// Frees a guard. `palisade_guard_free(NULL)` does nothing. Verdicts made
/// by the guard stay valid.
///
/// # Safety
/// `guard` must be NULL or a guard from this library, not freed before,
/// that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_free(guard: *mut palisade_guard) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(guard) };
        Ok(())
    });
}

/// Gets the fingerprint of the guard's effective policy: 16 lowercase hex
/// digits, the same for the same policy text and library version. The
/// string lives as long as the guard.
///
/// # Safety
/// `guard` must be NULL or a live guard; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_fingerprint(
    guard: *const palisade_guard,
    out: *mut palisade_str,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let g = unsafe { ffi::handle(guard) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, palisade_str::from_z(&g.fingerprint)) };
        Ok(())
    })
}

/// Gets the number of rules the guard compiled.
///
/// # Safety
/// `guard` must be NULL or a live guard; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_rule_count(
    guard: *const palisade_guard,
    out: *mut usize,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let g = unsafe { ffi::handle(guard) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, g.guard.rule_count()) };
        Ok(())
    })
}

/// The body of the inspect functions.
///
/// # Safety
/// As `palisade_guard_inspect`.
unsafe fn inspect(
    guard: *const palisade_guard,
    mode: Mode,
    input: *const u8,
    input_len: usize,
    out: *mut *mut palisade_verdict,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let g = unsafe { ffi::handle(guard) }?;
        check_out(out)?;
        // SAFETY: the caller's promise.
        let bytes = unsafe { ffi::input(input, input_len) }?;
        #[cfg(test)]
        crate::tests::hooks::maybe_panic();
        let verdict = g.guard.inspect(mode, bytes);
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_verdict::new(verdict))) };
        Ok(())
    })
}

/// Inspects `input_len` bytes at `input` as `mode` (a `palisade_mode`
/// code) and writes a new verdict to `*out`; free it with
/// `palisade_verdict_free`.
///
/// The input may be any bytes: invalid UTF-8 is inspected (read as U+FFFD),
/// never skipped; NUL bytes are ordinary bytes. `(NULL, 0)` is the empty
/// input. Inputs above the policy's `limits.max_input_bytes` are not
/// refused: their head is inspected and a `limits.input_size` finding says
/// so. Offsets in findings are byte offsets into `input`.
///
/// Returns `OK`, `NULL_ARGUMENT` (`guard` or `out` NULL, or `input` NULL
/// with a non-zero length), `INVALID_ARGUMENT` (unknown mode),
/// `INPUT_TOO_LARGE` (a length no buffer can have) or `PANIC`. `*out` is
/// written only on success.
///
/// # Safety
/// `guard` must be NULL or a live guard; `input` must point to `input_len`
/// readable bytes (or be NULL with length 0); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_inspect(
    guard: *const palisade_guard,
    mode: u32,
    input: *const u8,
    input_len: usize,
    out: *mut *mut palisade_verdict,
) -> palisade_status {
    match mode_from_u32(mode) {
        // SAFETY: the caller's promise.
        Some(mode) => unsafe { inspect(guard, mode, input, input_len, out) },
        None => palisade_status::InvalidArgument,
    }
}

/// Inspects text on its way into a model: `palisade_guard_inspect` with
/// `PALISADE_MODE_PROMPT`.
///
/// # Safety
/// As `palisade_guard_inspect`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_inspect_prompt(
    guard: *const palisade_guard,
    input: *const u8,
    input_len: usize,
    out: *mut *mut palisade_verdict,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { inspect(guard, Mode::Prompt, input, input_len, out) }
}

/// Inspects text coming out of a model: `palisade_guard_inspect` with
/// `PALISADE_MODE_RESPONSE`.
///
/// # Safety
/// As `palisade_guard_inspect`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_inspect_response(
    guard: *const palisade_guard,
    input: *const u8,
    input_len: usize,
    out: *mut *mut palisade_verdict,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { inspect(guard, Mode::Response, input, input_len, out) }
}
