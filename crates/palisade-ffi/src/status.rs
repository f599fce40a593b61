//! Status codes and the small enumerations shared with C.

use palisade_core::{Action, Category, Mode, Severity};
use std::ffi::c_char;

/// The result of every fallible `palisade_*` function.
///
/// The values are part of the ABI: they are fixed and never renumbered; new
/// codes only ever get new numbers. Codes coming back from C (for example in
/// `palisade_status_message`) are taken as plain integers, so an unknown
/// value is answered, never trusted.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum palisade_status {
    /// Success. Output parameters were written.
    Ok = 0,
    /// A required pointer argument was NULL (or a buffer pointer was NULL
    /// with a non-zero length).
    NullArgument = 1,
    /// An argument was out of its domain: an unknown mode or category code,
    /// or a misaligned pointer.
    InvalidArgument = 2,
    /// Text that must be UTF-8 (policy text, context text, canaries, text to
    /// pseudonymise or restore, vault JSON) was not.
    InvalidUtf8 = 3,
    /// The policy text could not be parsed, validated or compiled. The error
    /// object, when asked for, names the field or rule at fault.
    PolicyError = 4,
    /// A length that cannot be valid: above `PTRDIFF_MAX`, wrapping the
    /// address space, or a policy text above 16 MiB. Inspection inputs above
    /// the policy's `limits.max_input_bytes` are NOT refused: the guard
    /// inspects their head and reports a `limits.input_size` finding.
    InputTooLarge = 5,
    /// An index past the end (a finding index >= the finding count).
    OutOfRange = 6,
    /// A bug in palisade: a Rust panic was caught at the ABI boundary. No
    /// output was written; the objects passed in are still valid.
    Panic = 7,
    /// A canary token was refused: it has fewer than 12 letters and digits,
    /// so it could occur in ordinary text.
    InvalidCanary = 8,
    /// A vault's JSON could not be read (not JSON, wrong shape, or an empty
    /// placeholder).
    VaultError = 9,
    /// `palisade_stream_push` or `palisade_stream_finish` was called after
    /// `palisade_stream_finish`.
    StreamFinished = 10,
}

impl palisade_status {
    /// Converts an integer coming from C. Never transmutes.
    pub fn from_u32(code: u32) -> Option<palisade_status> {
        Some(match code {
            0 => palisade_status::Ok,
            1 => palisade_status::NullArgument,
            2 => palisade_status::InvalidArgument,
            3 => palisade_status::InvalidUtf8,
            4 => palisade_status::PolicyError,
            5 => palisade_status::InputTooLarge,
            6 => palisade_status::OutOfRange,
            7 => palisade_status::Panic,
            8 => palisade_status::InvalidCanary,
            9 => palisade_status::VaultError,
            10 => palisade_status::StreamFinished,
            _ => return None,
        })
    }

    /// The static, NUL-terminated message of this status.
    pub(crate) fn message_z(self) -> &'static str {
        match self {
            palisade_status::Ok => "ok\0",
            palisade_status::NullArgument => "a required pointer argument was NULL\0",
            palisade_status::InvalidArgument => "an argument was out of range or misaligned\0",
            palisade_status::InvalidUtf8 => "text that must be UTF-8 was not\0",
            palisade_status::PolicyError => {
                "the policy could not be parsed, validated or compiled\0"
            }
            palisade_status::InputTooLarge => "a length was larger than any valid input\0",
            palisade_status::OutOfRange => "an index was past the end\0",
            palisade_status::Panic => {
                "internal error: palisade panicked (a bug; please report it)\0"
            }
            palisade_status::InvalidCanary => "a canary needs at least 12 letters and digits\0",
            palisade_status::VaultError => "the vault JSON could not be read\0",
            palisade_status::StreamFinished => "the stream was already finished\0",
        }
    }

    /// The message without its NUL terminator.
    pub fn message(self) -> &'static str {
        let m = self.message_z();
        &m[..m.len() - 1]
    }
}

/// Returns a static, NUL-terminated English message for a status code.
/// Unknown codes get "unknown status code". Never returns NULL; the string
/// must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn palisade_status_message(code: u32) -> *const c_char {
    match palisade_status::from_u32(code) {
        Some(s) => s.message_z().as_ptr().cast(),
        None => c"unknown status code".as_ptr(),
    }
}

/// What the application should do with an inspected text, mildest first:
/// a larger value is a stricter decision.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum palisade_action {
    /// Nothing worth reporting.
    Allow = 0,
    /// Let it through, but record the findings.
    Flag = 1,
    /// Let it through with sensitive spans replaced (`palisade_verdict_redacted`).
    Redact = 2,
    /// Do not pass it on.
    Block = 3,
}

impl From<Action> for palisade_action {
    fn from(a: Action) -> palisade_action {
        match a {
            Action::Allow => palisade_action::Allow,
            Action::Flag => palisade_action::Flag,
            Action::Redact => palisade_action::Redact,
            Action::Block => palisade_action::Block,
        }
    }
}

/// Which side of the model a text is on.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum palisade_mode {
    /// Text on its way into the model.
    Prompt = 0,
    /// Text coming out of the model.
    Response = 1,
}

/// Converts a mode code coming from C.
pub(crate) fn mode_from_u32(code: u32) -> Option<Mode> {
    match code {
        0 => Some(Mode::Prompt),
        1 => Some(Mode::Response),
        _ => None,
    }
}

/// The kind of risk a finding belongs to; scores are kept per category.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum palisade_category {
    /// Prompt injection and jailbreaks (OWASP LLM01).
    Injection = 0,
    /// Credentials and keys (LLM02).
    Secret = 1,
    /// Personal data (LLM02).
    Pii = 2,
    /// System-prompt or confidential-context leakage, canaries (LLM07).
    Leakage = 3,
    /// Links and images that carry data to third parties (LLM05).
    Exfiltration = 4,
    /// Script and other active content for browsers (LLM05).
    ActiveContent = 5,
    /// Destructive or remote-execution commands (LLM05).
    Command = 6,
    /// Size, expansion and decoding limits (LLM10).
    Limits = 7,
}

/// The number of categories: valid category codes are `0` to
/// `PALISADE_CATEGORY_COUNT - 1`.
pub const PALISADE_CATEGORY_COUNT: u32 = 8;

impl From<Category> for palisade_category {
    fn from(c: Category) -> palisade_category {
        match c {
            Category::Injection => palisade_category::Injection,
            Category::Secret => palisade_category::Secret,
            Category::Pii => palisade_category::Pii,
            Category::Leakage => palisade_category::Leakage,
            Category::Exfiltration => palisade_category::Exfiltration,
            Category::ActiveContent => palisade_category::ActiveContent,
            Category::Command => palisade_category::Command,
            Category::Limits => palisade_category::Limits,
        }
    }
}

/// Converts a category code coming from C.
pub(crate) fn category_from_u32(code: u32) -> Option<Category> {
    Some(match code {
        0 => Category::Injection,
        1 => Category::Secret,
        2 => Category::Pii,
        3 => Category::Leakage,
        4 => Category::Exfiltration,
        5 => Category::ActiveContent,
        6 => Category::Command,
        7 => Category::Limits,
        _ => return None,
    })
}

/// How bad a finding is on its own, mildest first.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum palisade_severity {
    /// Informational.
    Low = 0,
    /// Suspicious.
    Medium = 1,
    /// Very likely an attack or a leak.
    High = 2,
    /// Certainly an attack or a leak.
    Critical = 3,
}

impl From<Severity> for palisade_severity {
    fn from(s: Severity) -> palisade_severity {
        match s {
            Severity::Low => palisade_severity::Low,
            Severity::Medium => palisade_severity::Medium,
            Severity::High => palisade_severity::High,
            Severity::Critical => palisade_severity::Critical,
        }
    }
}

/// Returns the static, NUL-terminated name of an action code (`"allow"`,
/// `"flag"`, `"redact"`, `"block"`), or NULL for an unknown code.
#[unsafe(no_mangle)]
pub extern "C" fn palisade_action_name(action: u32) -> *const c_char {
    match action {
        0 => c"allow".as_ptr(),
        1 => c"flag".as_ptr(),
        2 => c"redact".as_ptr(),
        3 => c"block".as_ptr(),
        _ => std::ptr::null(),
    }
}

/// Returns the static, NUL-terminated snake_case name of a category code
/// (`"injection"`, `"active_content"`...), or NULL for an unknown code.
#[unsafe(no_mangle)]
pub extern "C" fn palisade_category_name(category: u32) -> *const c_char {
    match category_from_u32(category) {
        Some(c) => category_name_z(c).as_ptr(),
        None => std::ptr::null(),
    }
}

/// NUL-terminated category names.
pub(crate) fn category_name_z(c: Category) -> &'static std::ffi::CStr {
    match c {
        Category::Injection => c"injection",
        Category::Secret => c"secret",
        Category::Pii => c"pii",
        Category::Leakage => c"leakage",
        Category::Exfiltration => c"exfiltration",
        Category::ActiveContent => c"active_content",
        Category::Command => c"command",
        Category::Limits => c"limits",
    }
}
