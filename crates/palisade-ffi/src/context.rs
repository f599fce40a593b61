//! `palisade_context`: confidential text a response must not reproduce
//! (system prompts, other confidential text, canary tokens), and guards and
//! streams that check for it.

use crate::ffi::{self, boundary, check_out, write_out};
use crate::guard::palisade_guard;
use crate::status::palisade_status;
use crate::string::palisade_string;
use palisade_core::{Context, canary};

/// Confidential context: what a response must not reproduce.
///
/// A registered system prompt (or other confidential text) leaks when a
/// response reproduces a run of `leakage.min_run_words` consecutive words
/// of it (policy), or all of it when it is shorter, however reformatted,
/// case-changed or encoded; a canary leaks when it appears at all.
///
/// **Ownership:** created by `palisade_context_new`; the caller owns it and
/// frees it once with `palisade_context_free`.
///
/// **Lifetime:** `palisade_guard_with_context` and `palisade_stream_new`
/// copy what they need: the context may be freed (or changed) right after,
/// without affecting the guard or stream.
///
/// **Threads:** a builder with one owner: the `palisade_context_add_*`
/// functions change it and must not race with any other use. Passing it
/// (`const`) to several `palisade_guard_with_context` or
/// `palisade_stream_new` calls at once is fine once nothing changes it.
#[derive(Debug, Default)]
pub struct palisade_context {
    context: Context,
}

impl palisade_context {
    pub(crate) fn context(&self) -> &Context {
        &self.context
    }
}

/// Makes a new canary token and writes it to `*out` as a new string; free it
/// with `palisade_string_free`. The token is `plsd-` followed by 26 random
/// base32 characters (130 bits from the operating system's random source),
/// e.g. `plsd-7k3qz0m1c9vx4t8r2hwp6nbd5e`: put it in the system prompt and
/// register it with `palisade_context_add_canary`.
///
/// # Safety
/// `out` must be NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_canary_generate(
    out: *mut *mut palisade_string,
) -> palisade_status {
    boundary(|| {
        check_out(out)?;
        let token = canary::generate();
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_string::new(&token))) };
        Ok(())
    })
}

/// Makes an empty context and writes it to `*out`.
///
/// # Safety
/// `out` must be NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_context_new(out: *mut *mut palisade_context) -> palisade_status {
    boundary(|| {
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_context::default())) };
        Ok(())
    })
}

/// The body of the `palisade_context_add_*` functions.
///
/// # Safety
/// As `palisade_context_add_system_prompt`.
unsafe fn add(
    context: *mut palisade_context,
    text: *const u8,
    text_len: usize,
    f: impl FnOnce(&mut Context, &str) -> Result<(), palisade_status>,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let c = unsafe { ffi::handle_mut(context) }?;
        // SAFETY: the caller's promise.
        let t = unsafe { ffi::text(text, text_len) }?;
        f(&mut c.context, t)
    })
}

/// Registers a system prompt (`text_len` bytes of UTF-8 at `text`; rule
/// `leakage.system-prompt.verbatim`). The text is copied.
///
/// Returns `OK`, `NULL_ARGUMENT` (`context` NULL, or `text` NULL with a
/// non-zero length), `INVALID_UTF8`, `INPUT_TOO_LARGE` or `PANIC`; on
/// failure the context is unchanged.
///
/// # Safety
/// `context` must be NULL or a live context no other thread is using;
/// `text` must point to `text_len` readable bytes (or be NULL with length 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_context_add_system_prompt(
    context: *mut palisade_context,
    text: *const u8,
    text_len: usize,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        add(context, text, text_len, |c, t| {
            c.system_prompt(t);
            Ok(())
        })
    }
}

/// Registers other confidential text: retrieved documents, internal notes,
/// a password the model must check but never say (rule
/// `leakage.context.verbatim`). As `palisade_context_add_system_prompt`.
///
/// # Safety
/// As `palisade_context_add_system_prompt`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_context_add_confidential(
    context: *mut palisade_context,
    text: *const u8,
    text_len: usize,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        add(context, text, text_len, |c, t| {
            c.confidential(t);
            Ok(())
        })
    }
}

/// Registers a canary token (rule `leakage.canary.token`): any UTF-8 text
/// with at least 12 letters and digits; `palisade_canary_generate` makes
/// good ones. A shorter token is refused with
/// `PALISADE_STATUS_INVALID_CANARY` (it could occur in ordinary text) and
/// the context is unchanged. Otherwise as
/// `palisade_context_add_system_prompt`.
///
/// # Safety
/// As `palisade_context_add_system_prompt`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_context_add_canary(
    context: *mut palisade_context,
    token: *const u8,
    token_len: usize,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        add(context, token, token_len, |c, t| {
            c.canary(t)
                .map(|_| ())
                .map_err(|_| palisade_status::InvalidCanary)
        })
    }
}

/// Frees a context. `palisade_context_free(NULL)` does nothing. Guards and
/// streams made with it stay valid.
///
/// # Safety
/// `context` must be NULL or a context from this library, not freed
/// before, that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_context_free(context: *mut palisade_context) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(context) };
        Ok(())
    });
}

/// Makes a new guard that also checks responses against `context`, on top
/// of any context `guard` already has, and writes it to `*out`; free it
/// with `palisade_guard_free`. The compiled rules are shared with `guard`
/// (cheap); the context is copied and compiled once, here. `guard` and
/// `context` may be freed afterwards, in any order.
///
/// Returns `OK`, `NULL_ARGUMENT` or `PANIC`. `*out` is written only on
/// success.
///
/// # Safety
/// `guard` must be NULL or a live guard; `context` NULL or a live context
/// that no other thread is changing; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_with_context(
    guard: *const palisade_guard,
    context: *const palisade_context,
    out: *mut *mut palisade_guard,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let g = unsafe { ffi::handle(guard) }?;
        // SAFETY: the caller's promise.
        let c = unsafe { ffi::handle(context) }?;
        check_out(out)?;
        let new = g.guard().with_context(&c.context);
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_guard::new(new))) };
        Ok(())
    })
}
