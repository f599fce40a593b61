//! `palisade_verdict`: the guard's answer for one input.

use crate::ffi::{self, boundary, check_out, nul_terminated, palisade_str, write_out};
use crate::finding::{FindingTable, palisade_finding};
use crate::status::{category_from_u32, palisade_action, palisade_status};
use palisade_core::Verdict;
use std::sync::OnceLock;

/// The guard's answer for one input: an action, scores per category, and
/// the findings behind them.
///
/// **Ownership:** created by the `palisade_guard_inspect*` functions; the
/// caller owns it and frees it once with `palisade_verdict_free`.
///
/// **Lifetime:** independent of the guard that made it (it may outlive the
/// guard) and of the input buffer (it keeps what it needs). Every string
/// and finding it hands out lives until the verdict is freed.
///
/// **Threads:** a verdict has one owner. Its `const` accessors may be
/// called from several threads at once; freeing it must not race with any
/// other use.
#[derive(Debug)]
pub struct palisade_verdict {
    verdict: Verdict,
    // NUL-terminated copies, made on first request.
    fingerprint: OnceLock<Box<str>>,
    redacted: OnceLock<Box<str>>,
    json: OnceLock<Box<str>>,
    findings: OnceLock<FindingTable>,
}

impl palisade_verdict {
    pub(crate) fn new(verdict: Verdict) -> palisade_verdict {
        palisade_verdict {
            verdict,
            fingerprint: OnceLock::new(),
            redacted: OnceLock::new(),
            json: OnceLock::new(),
            findings: OnceLock::new(),
        }
    }
}

/// Reads one verdict, writes one output.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
unsafe fn get<T>(
    verdict: *const palisade_verdict,
    out: *mut T,
    f: impl FnOnce(&palisade_verdict) -> Result<T, palisade_status>,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let v = unsafe { ffi::handle(verdict) }?;
        check_out(out)?;
        let value = f(v)?;
        // SAFETY: checked.
        unsafe { write_out(out, value) };
        Ok(())
    })
}

/// Gets the decision (a `palisade_action`: allow, flag, redact, block).
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_action(
    verdict: *const palisade_verdict,
    out: *mut palisade_action,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(verdict, out, |v| Ok(v.verdict.action.into())) }
}

/// Gets the score of one category (a `palisade_category` code), in [0, 1];
/// 0 when the category has no findings. Returns `INVALID_ARGUMENT` for an
/// unknown category code.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_score(
    verdict: *const palisade_verdict,
    category: u32,
    out: *mut f64,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        get(verdict, out, |v| {
            let c = category_from_u32(category).ok_or(palisade_status::InvalidArgument)?;
            Ok(v.verdict.score(c))
        })
    }
}

/// Gets whether inspection was complete: false when a limit (input size,
/// expansion, decoding depth) stopped it short; the `limits.*` findings say
/// which.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_complete(
    verdict: *const palisade_verdict,
    out: *mut bool,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(verdict, out, |v| Ok(v.verdict.complete)) }
}

/// Gets the fingerprint of the policy that decided (16 hex digits). The
/// string lives as long as the verdict.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_fingerprint(
    verdict: *const palisade_verdict,
    out: *mut palisade_str,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        get(verdict, out, |v| {
            Ok(palisade_str::from_z(
                v.fingerprint
                    .get_or_init(|| nul_terminated(&v.verdict.fingerprint)),
            ))
        })
    }
}

/// Gets the number of findings.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_finding_count(
    verdict: *const palisade_verdict,
    out: *mut usize,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(verdict, out, |v| Ok(v.verdict.findings.len())) }
}

/// Fills `*out` with finding number `index` (0-based, ordered by start
/// offset). Its strings live as long as the verdict. Returns `OUT_OF_RANGE`
/// when `index >= palisade_verdict_finding_count`.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_finding(
    verdict: *const palisade_verdict,
    index: usize,
    out: *mut palisade_finding,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        get(verdict, out, |v| {
            let findings = &v.verdict.findings;
            if index >= findings.len() {
                return Err(palisade_status::OutOfRange);
            }
            v.findings
                .get_or_init(|| FindingTable::new(findings))
                .get(findings, index)
        })
    }
}

/// Gets the input with every finding of a redacting category rewritten as
/// the policy says (placeholder, mask, hash or removal); the input itself
/// when nothing was redacted. Always valid UTF-8 (invalid input bytes
/// become U+FFFD); it may contain NUL bytes copied from the input, so use
/// `len`. Lives as long as the verdict.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_redacted(
    verdict: *const palisade_verdict,
    out: *mut palisade_str,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        get(verdict, out, |v| {
            Ok(palisade_str::from_z(
                v.redacted
                    .get_or_init(|| nul_terminated(v.verdict.redacted())),
            ))
        })
    }
}

/// Gets the whole verdict as one line of JSON (action, mode, fingerprint,
/// input_bytes, complete, scores, findings, redacted). Lives as long as the
/// verdict.
///
/// # Safety
/// `verdict` must be NULL or a live verdict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_json(
    verdict: *const palisade_verdict,
    out: *mut palisade_str,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        get(verdict, out, |v| {
            Ok(palisade_str::from_z(
                v.json.get_or_init(|| nul_terminated(&v.verdict.to_json())),
            ))
        })
    }
}

/// Frees a verdict and every string and finding it handed out.
/// `palisade_verdict_free(NULL)` does nothing.
///
/// # Safety
/// `verdict` must be NULL or a verdict from this library, not freed before,
/// that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_verdict_free(verdict: *mut palisade_verdict) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(verdict) };
        Ok(())
    });
}
