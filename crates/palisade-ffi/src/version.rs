//! The library version.

use std::ffi::c_char;

const VERSION_Z: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Returns the version of the library loaded at run time, as a static
/// NUL-terminated string (`"MAJOR.MINOR.PATCH"`). Compare it with
/// `PALISADE_VERSION_STRING`, the version of the header compiled against.
/// Never NULL; must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn palisade_version() -> *const c_char {
    VERSION_Z.as_ptr().cast()
}
