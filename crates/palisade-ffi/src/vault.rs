//! `palisade_vault`: reversible pseudonymisation. Secrets and personal data
//! in a prompt become numbered placeholders (`[EMAIL_1]`) before the prompt
//! leaves; the vault restores the placeholders the model echoes back.

use crate::ffi::{self, boundary, check_out, nul_terminated, palisade_str, write_out};
use crate::guard::palisade_guard;
use crate::status::palisade_status;
use crate::string::palisade_string;
use palisade_core::Vault;
use std::sync::OnceLock;

/// The original values behind the placeholders of one pseudonymised text,
/// and that text.
///
/// **Ownership:** created by `palisade_guard_pseudonymise` or
/// `palisade_vault_from_json`; the caller owns it and frees it once with
/// `palisade_vault_free`. It holds secrets: keep it like one.
///
/// **Lifetime:** independent of the guard and of the input buffer. The
/// strings it hands out live until the vault is freed.
///
/// **Threads:** immutable; its functions may run concurrently from several
/// threads; freeing it must not race with any other use.
#[derive(Debug)]
pub struct palisade_vault {
    vault: Vault,
    text: Box<str>,
    json: OnceLock<Box<str>>,
}

impl palisade_vault {
    fn new(vault: Vault, text: &str) -> palisade_vault {
        palisade_vault {
            vault,
            text: nul_terminated(text),
            json: OnceLock::new(),
        }
    }
}

/// Replaces every secret and personal-data finding in `text` (`text_len`
/// bytes of UTF-8) with a numbered placeholder such as `[EMAIL_1]` (the
/// same value gets the same number) and writes a new vault holding the new
/// text and the originals to `*out`; free it with `palisade_vault_free`.
/// Get the pseudonymised text with `palisade_vault_text`. Inspection runs
/// as a prompt; the policy's disabled rules and allow-lists apply.
/// `palisade_vault_restore` of the pseudonymised text gives back `text`
/// exactly.
///
/// Returns `OK`, `NULL_ARGUMENT`, `INVALID_UTF8` (the text must be UTF-8:
/// the round trip is exact), `INPUT_TOO_LARGE` or `PANIC`. `*out` is
/// written only on success.
///
/// # Safety
/// `guard` must be NULL or a live guard; `text` must point to `text_len`
/// readable bytes (or be NULL with length 0); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_guard_pseudonymise(
    guard: *const palisade_guard,
    text: *const u8,
    text_len: usize,
    out: *mut *mut palisade_vault,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let g = unsafe { ffi::handle(guard) }?;
        check_out(out)?;
        // SAFETY: the caller's promise.
        let t = unsafe { ffi::text(text, text_len) }?;
        #[cfg(test)]
        crate::tests::hooks::maybe_panic();
        let (masked, vault) = g.guard().pseudonymise(t);
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_vault::new(vault, &masked))) };
        Ok(())
    })
}

/// Reads a vault from the JSON `palisade_vault_json` wrote (`json_len`
/// bytes of UTF-8) and writes it to `*out`; free it with
/// `palisade_vault_free`. Its text (`palisade_vault_text`) is empty.
///
/// Returns `OK`, `NULL_ARGUMENT`, `INVALID_UTF8`, `VAULT_ERROR` (not a
/// vault), `INPUT_TOO_LARGE` or `PANIC`. `*out` is written only on success.
///
/// # Safety
/// `json` must point to `json_len` readable bytes (or be NULL with length
/// 0); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_vault_from_json(
    json: *const u8,
    json_len: usize,
    out: *mut *mut palisade_vault,
) -> palisade_status {
    boundary(|| {
        check_out(out)?;
        // SAFETY: the caller's promise.
        let t = unsafe { ffi::text(json, json_len) }?;
        let vault = Vault::from_json(t).map_err(|_| palisade_status::VaultError)?;
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_vault::new(vault, ""))) };
        Ok(())
    })
}

/// Gets the pseudonymised text (empty for a vault read from JSON). Lives as
/// long as the vault.
///
/// # Safety
/// `vault` must be NULL or a live vault; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_vault_text(
    vault: *const palisade_vault,
    out: *mut palisade_str,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let v = unsafe { ffi::handle(vault) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, palisade_str::from_z(&v.text)) };
        Ok(())
    })
}

/// Gets the number of distinct values (placeholders) the vault holds.
///
/// # Safety
/// `vault` must be NULL or a live vault; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_vault_entry_count(
    vault: *const palisade_vault,
    out: *mut usize,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let v = unsafe { ffi::handle(vault) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, v.vault.len()) };
        Ok(())
    })
}

/// Gets the vault as JSON, to keep it across a request boundary; read it
/// back with `palisade_vault_from_json`. It contains the original values:
/// store it like a secret. Lives as long as the vault.
///
/// # Safety
/// `vault` must be NULL or a live vault; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_vault_json(
    vault: *const palisade_vault,
    out: *mut palisade_str,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let v = unsafe { ffi::handle(vault) }?;
        check_out(out)?;
        let json = v.json.get_or_init(|| nul_terminated(&v.vault.to_json()));
        // SAFETY: checked.
        unsafe { write_out(out, palisade_str::from_z(json)) };
        Ok(())
    })
}

/// Replaces every placeholder of the vault in `text` (`text_len` bytes of
/// UTF-8, e.g. the model's answer) by its original value, in one
/// left-to-right pass, and writes the result to `*out` as a new string;
/// free it with `palisade_string_free`. Text that is not a placeholder is
/// kept as it is.
///
/// Returns `OK`, `NULL_ARGUMENT`, `INVALID_UTF8`, `INPUT_TOO_LARGE` or
/// `PANIC`. `*out` is written only on success.
///
/// # Safety
/// `vault` must be NULL or a live vault; `text` must point to `text_len`
/// readable bytes (or be NULL with length 0); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_vault_restore(
    vault: *const palisade_vault,
    text: *const u8,
    text_len: usize,
    out: *mut *mut palisade_string,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let v = unsafe { ffi::handle(vault) }?;
        check_out(out)?;
        // SAFETY: the caller's promise.
        let t = unsafe { ffi::text(text, text_len) }?;
        let restored = v.vault.restore(t);
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(palisade_string::new(&restored))) };
        Ok(())
    })
}

/// Frees a vault. `palisade_vault_free(NULL)` does nothing.
///
/// # Safety
/// `vault` must be NULL or a vault from this library, not freed before,
/// that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_vault_free(vault: *mut palisade_vault) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(vault) };
        Ok(())
    });
}
