//! `palisade_stream` and `palisade_step`: a text inspected as it arrives,
//! released in pieces that are already redacted.

use crate::context::palisade_context;
use crate::ffi::{self, boundary, check_out, nul_terminated, palisade_str, write_out};
use crate::finding::{FindingTable, palisade_finding};
use crate::guard::palisade_guard;
use crate::status::{mode_from_u32, palisade_status};
use crate::verdict::palisade_verdict;
use palisade_core::{Finding, Step, StreamInspector, Verdict};

/// A response (or prompt) inspected as it arrives in chunks.
///
/// Each `palisade_stream_push` returns a step with the text that is now
/// safe to pass on (already redacted), the findings that became final and
/// a stop flag; `palisade_stream_finish` inspects the rest and its step
/// carries the final verdict. The released pieces concatenate to exactly
/// the one-shot redacted text, whatever the chunking; the stream holds back
/// a bounded number of bytes (about twice the policy's
/// `limits.max_match_bytes`) and keeps memory bounded.
///
/// **Ownership:** created by `palisade_stream_new`; the caller owns it and
/// frees it once with `palisade_stream_free` (finished or not).
///
/// **Lifetime:** independent of the guard and context it was made from
/// (both may be freed while the stream lives) and of the chunks pushed
/// (they are copied as needed). Steps do not borrow the stream.
///
/// **Threads:** a stream has state: one thread at a time may call its
/// functions. It may move between threads between calls.
#[derive(Debug)]
pub struct palisade_stream {
    inspector: StreamInspector,
    finished: bool,
}

/// What one `palisade_stream_push` or `palisade_stream_finish` gives: the
/// released text, the findings that became final, the stop flag and (from
/// `palisade_stream_finish` only) the final verdict.
///
/// **Ownership:** created by `palisade_stream_push` and
/// `palisade_stream_finish`; the caller owns it and frees it once with
/// `palisade_step_free`.
///
/// **Lifetime:** independent of the stream (it may outlive it). The
/// strings and findings it hands out live until the step is freed.
///
/// **Threads:** immutable; its accessors may run concurrently; freeing it
/// must not race with any other use.
#[derive(Debug)]
pub struct palisade_step {
    text: Box<str>,
    findings: Vec<Finding>,
    table: FindingTable,
    stop: bool,
    verdict: Option<Verdict>,
}

impl palisade_step {
    fn new(step: Step) -> palisade_step {
        let table = FindingTable::new(&step.findings);
        palisade_step {
            text: nul_terminated(&step.text),
            findings: step.findings,
            table,
            stop: step.stop,
            verdict: step.verdict,
        }
    }
}

/// Starts inspecting a text that arrives in chunks, as `mode` (a
/// `palisade_mode` code), and writes the new stream to `*out`. `context`
/// may be NULL; when given, it is registered for this stream on top of the
/// guard's own context (and copied: it may be freed right after).
///
/// Returns `OK`, `NULL_ARGUMENT` (`guard` or `out` NULL),
/// `INVALID_ARGUMENT` (unknown mode, misaligned pointer) or `PANIC`. `*out`
/// is written only on success.
///
/// # Safety
/// `guard` must be NULL or a live guard; `context` NULL or a live context
/// that no other thread is changing; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_stream_new(
    guard: *const palisade_guard,
    mode: u32,
    context: *const palisade_context,
    out: *mut *mut palisade_stream,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let g = unsafe { ffi::handle(guard) }?;
        let context = if context.is_null() {
            None
        } else {
            // SAFETY: the caller's promise.
            Some(unsafe { ffi::handle(context) }?.context())
        };
        check_out(out)?;
        let mode = mode_from_u32(mode).ok_or(palisade_status::InvalidArgument)?;
        let inspector = g.guard().stream(mode, context);
        let stream = palisade_stream {
            inspector,
            finished: false,
        };
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(stream)) };
        Ok(())
    })
}

/// Feeds the next `chunk_len` bytes at `chunk` (any bytes; a chunk may end
/// inside a character, a word or an encoding; `(NULL, 0)` is an empty
/// chunk) and writes a new step to `*out`; free it with
/// `palisade_step_free`.
///
/// When the step's stop flag is set, the findings so far call for
/// blocking: stop passing text on. No further text is released, though
/// inspection goes on if more is pushed, so that the final verdict has
/// every finding.
///
/// Returns `OK`, `NULL_ARGUMENT`, `INPUT_TOO_LARGE` (a length no buffer can
/// have), `STREAM_FINISHED` (after `palisade_stream_finish`) or `PANIC`.
/// `*out` is written only on success. After `PANIC` the stream should be
/// freed, not used.
///
/// # Safety
/// `stream` must be NULL or a live stream no other thread is using;
/// `chunk` must point to `chunk_len` readable bytes (or be NULL with length
/// 0); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_stream_push(
    stream: *mut palisade_stream,
    chunk: *const u8,
    chunk_len: usize,
    out: *mut *mut palisade_step,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let s = unsafe { ffi::handle_mut(stream) }?;
        check_out(out)?;
        // SAFETY: the caller's promise.
        let bytes = unsafe { ffi::input(chunk, chunk_len) }?;
        if s.finished {
            return Err(palisade_status::StreamFinished);
        }
        #[cfg(test)]
        crate::tests::hooks::maybe_panic();
        let step = palisade_step::new(s.inspector.push(bytes));
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(step)) };
        Ok(())
    })
}

/// Ends the stream: inspects what is left, releases the rest of the text
/// (unless the stream stopped) and writes a new step, carrying the final
/// verdict, to `*out`; free it with `palisade_step_free`. The stream may
/// only be finished once; free it afterwards.
///
/// Returns `OK`, `NULL_ARGUMENT`, `STREAM_FINISHED` (finished before) or
/// `PANIC`. `*out` is written only on success.
///
/// # Safety
/// `stream` must be NULL or a live stream no other thread is using; `out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_stream_finish(
    stream: *mut palisade_stream,
    out: *mut *mut palisade_step,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let s = unsafe { ffi::handle_mut(stream) }?;
        check_out(out)?;
        if s.finished {
            return Err(palisade_status::StreamFinished);
        }
        s.finished = true;
        let step = palisade_step::new(s.inspector.finish());
        // SAFETY: checked.
        unsafe { write_out(out, ffi::into_handle(step)) };
        Ok(())
    })
}

/// Gets whether the findings so far call for blocking (the stop flag of the
/// latest step).
///
/// # Safety
/// `stream` must be NULL or a live stream no other thread is changing;
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_stream_stopped(
    stream: *const palisade_stream,
    out: *mut bool,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let s = unsafe { ffi::handle(stream) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, s.inspector.stopped()) };
        Ok(())
    })
}

/// Gets the number of bytes pushed but not released yet.
///
/// # Safety
/// `stream` must be NULL or a live stream no other thread is changing;
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_stream_held_bytes(
    stream: *const palisade_stream,
    out: *mut usize,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let s = unsafe { ffi::handle(stream) }?;
        check_out(out)?;
        // SAFETY: checked.
        unsafe { write_out(out, s.inspector.held_bytes()) };
        Ok(())
    })
}

/// Frees a stream, finished or not. `palisade_stream_free(NULL)` does
/// nothing. Steps it gave stay valid.
///
/// # Safety
/// `stream` must be NULL or a stream from this library, not freed before,
/// that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_stream_free(stream: *mut palisade_stream) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(stream) };
        Ok(())
    });
}

/// Reads one step, writes one output.
///
/// # Safety
/// `step` must be NULL or a live step; `out` NULL or writable.
unsafe fn get<T>(
    step: *const palisade_step,
    out: *mut T,
    f: impl FnOnce(&palisade_step) -> Result<T, palisade_status>,
) -> palisade_status {
    boundary(|| {
        // SAFETY: the caller's promise.
        let s = unsafe { ffi::handle(step) }?;
        check_out(out)?;
        let value = f(s)?;
        // SAFETY: checked.
        unsafe { write_out(out, value) };
        Ok(())
    })
}

/// Gets the text this step released: safe to pass on, already redacted
/// (possibly empty). Valid UTF-8 (invalid input bytes become U+FFFD); it
/// may contain NUL bytes copied from the input, so use `len`. Lives as long
/// as the step.
///
/// # Safety
/// `step` must be NULL or a live step; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_step_text(
    step: *const palisade_step,
    out: *mut palisade_str,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(step, out, |s| Ok(palisade_str::from_z(&s.text))) }
}

/// Gets the stop flag: the findings so far call for blocking; pass nothing
/// more on.
///
/// # Safety
/// `step` must be NULL or a live step; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_step_stop(
    step: *const palisade_step,
    out: *mut bool,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(step, out, |s| Ok(s.stop)) }
}

/// Gets the number of findings that became final with this step.
///
/// # Safety
/// `step` must be NULL or a live step; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_step_finding_count(
    step: *const palisade_step,
    out: *mut usize,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(step, out, |s| Ok(s.findings.len())) }
}

/// Fills `*out` with finding number `index` of this step (not in offset
/// order; the final verdict has them all, in order). Offsets are byte
/// offsets into the whole stream. Its strings live as long as the step.
/// Returns `OUT_OF_RANGE` when `index >= palisade_step_finding_count`.
///
/// # Safety
/// `step` must be NULL or a live step; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_step_finding(
    step: *const palisade_step,
    index: usize,
    out: *mut palisade_finding,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe { get(step, out, |s| s.table.get(&s.findings, index)) }
}

/// Writes to `*out` a new verdict for the whole stream (free it with
/// `palisade_verdict_free`) when this step came from
/// `palisade_stream_finish`, and NULL for steps from `palisade_stream_push`.
/// The verdict's redacted text is empty: the text was released in the
/// steps.
///
/// # Safety
/// `step` must be NULL or a live step; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_step_verdict(
    step: *const palisade_step,
    out: *mut *mut palisade_verdict,
) -> palisade_status {
    // SAFETY: the caller's promise.
    unsafe {
        get(step, out, |s| {
            Ok(match &s.verdict {
                Some(v) => ffi::into_handle(palisade_verdict::new(v.clone())),
                None => std::ptr::null_mut(),
            })
        })
    }
}

/// Frees a step and every string and finding it handed out.
/// `palisade_step_free(NULL)` does nothing.
///
/// # Safety
/// `step` must be NULL or a step from this library, not freed before, that
/// no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_step_free(step: *mut palisade_step) {
    let _ = boundary(|| {
        // SAFETY: the caller's promise.
        unsafe { ffi::free_handle(step) };
        Ok(())
    });
}
