//! The plumbing every exported function uses: the panic boundary, pointer
//! checks, input buffers and output strings.

use crate::status::palisade_status;
use std::any::Any;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A borrowed UTF-8 string handed out by palisade.
///
/// `data` is never NULL and points to `len` bytes of valid UTF-8, followed by
/// a NUL byte that `len` does not count, so `data` may also be used as a C
/// string (only the redacted text can contain NUL bytes of its own: it copies
/// them from the input). The bytes belong to the object that handed them out
/// and stay valid, unchanged, until that object is freed; the function that
/// returns a `palisade_str` says which object that is. Never free `data`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct palisade_str {
    /// The first byte.
    pub data: *const c_char,
    /// The number of bytes, not counting the terminating NUL.
    pub len: usize,
}

impl palisade_str {
    /// Borrows `z`, which must end with a NUL byte that is not part of the
    /// text.
    pub(crate) fn from_z(z: &str) -> palisade_str {
        debug_assert!(z.ends_with('\0'));
        palisade_str {
            data: z.as_ptr().cast(),
            len: z.len().saturating_sub(1),
        }
    }

    /// The empty string (static storage).
    #[cfg(test)]
    pub(crate) fn empty() -> palisade_str {
        palisade_str::from_z("\0")
    }
}

/// Copies `s` and appends a NUL terminator.
pub(crate) fn nul_terminated(s: &str) -> Box<str> {
    let mut z = String::with_capacity(s.len() + 1);
    z.push_str(s);
    z.push('\0');
    z.into_boxed_str()
}

/// Runs `f`, turning a panic into [`palisade_status::Panic`].
pub(crate) fn boundary(f: impl FnOnce() -> Result<(), palisade_status>) -> palisade_status {
    match catch(f) {
        Ok(Ok(())) => palisade_status::Ok,
        Ok(Err(status)) => status,
        Err(_) => palisade_status::Panic,
    }
}

/// Runs `f`; a panic becomes `Err` with the panic message.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = panic_message(&*payload);
        // Dropping a payload could itself panic; contain that too.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(payload)));
        msg
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("(non-string panic payload)")
    }
}

/// Checks an output pointer: not NULL, aligned.
pub(crate) fn check_out<T>(out: *mut T) -> Result<(), palisade_status> {
    if out.is_null() {
        Err(palisade_status::NullArgument)
    } else if !out.is_aligned() {
        Err(palisade_status::InvalidArgument)
    } else {
        Ok(())
    }
}

/// Writes `value` through an output pointer checked by [`check_out`],
/// without reading or dropping what was there (it may be uninitialised).
///
/// # Safety
/// `out` must have passed [`check_out`] and point to writable memory for a
/// `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller promises `out` is valid for writes and aligned.
    unsafe { out.write(value) }
}

/// Borrows a handle.
///
/// # Safety
/// `p` must be NULL or point to a live `T` created by this library.
pub(crate) unsafe fn handle<'a, T>(p: *const T) -> Result<&'a T, palisade_status> {
    if p.is_null() {
        return Err(palisade_status::NullArgument);
    }
    if !p.is_aligned() {
        return Err(palisade_status::InvalidArgument);
    }
    // SAFETY: non-NULL and aligned; liveness is the caller's promise.
    Ok(unsafe { &*p })
}

/// Borrows a mutable handle (for objects with state, such as streams).
///
/// # Safety
/// `p` must be NULL or point to a live `T` created by this library that no
/// other thread is using.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T) -> Result<&'a mut T, palisade_status> {
    if p.is_null() {
        return Err(palisade_status::NullArgument);
    }
    if !p.is_aligned() {
        return Err(palisade_status::InvalidArgument);
    }
    // SAFETY: non-NULL and aligned; liveness and exclusivity are the
    // caller's promise.
    Ok(unsafe { &mut *p })
}

/// Borrows an input buffer. `(NULL, 0)` and `(p, 0)` are the empty input;
/// `(NULL, n > 0)` is refused; lengths that no object can have are refused
/// before any byte is read.
///
/// # Safety
/// Unless refused, `ptr` must point to `len` readable bytes that stay
/// unchanged during the call.
pub(crate) unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], palisade_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(palisade_status::NullArgument);
    }
    if len > isize::MAX as usize || (ptr as usize).checked_add(len).is_none() {
        return Err(palisade_status::InputTooLarge);
    }
    // SAFETY: non-NULL, `len` fits in isize and does not wrap; that the
    // bytes are readable is the caller's promise.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Moves `value` to the heap and hands ownership to C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes ownership back from C and drops. NULL is a no-op.
///
/// # Safety
/// `p` must be NULL or a pointer from [`into_handle`] for the same `T` that
/// was not freed before.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    if p.is_null() {
        return;
    }
    // SAFETY: the caller promises `p` came from `Box::into_raw` and is freed
    // once.
    drop(unsafe { Box::from_raw(p) });
}

impl palisade_str {
    /// Borrows a static C string.
    pub(crate) fn from_static(s: &'static std::ffi::CStr) -> palisade_str {
        palisade_str {
            data: s.as_ptr(),
            len: s.count_bytes(),
        }
    }
}

/// Borrows an input buffer that must be UTF-8 text. `(NULL, 0)` is the
/// empty text.
///
/// # Safety
/// As [`input`].
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize) -> Result<&'a str, palisade_status> {
    // SAFETY: the caller's promise.
    let bytes = unsafe { input(ptr, len) }?;
    std::str::from_utf8(bytes).map_err(|_| palisade_status::InvalidUtf8)
}
