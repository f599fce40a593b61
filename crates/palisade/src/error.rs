//! The error type returned when a policy cannot be loaded or compiled.

/// An error from loading, validating or compiling a [`Policy`](crate::Policy).
///
/// Inspection itself never fails: every input gets a verdict. Errors only
/// happen while a policy is read and a [`Guard`](crate::Guard) is built, and
/// each one names the field or rule at fault and the reason.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<Repr>);

/// What went wrong, in broad strokes. Match on it to tell a bad file from a
/// bad rule; [`Error`]'s `Display` gives the full message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The policy text is not valid TOML or JSON, has an unknown key, or a
    /// value of the wrong type.
    Syntax,
    /// The policy parsed but a value is out of range or inconsistent.
    Invalid,
    /// A rule could not be compiled (bad regex, unknown validator, empty
    /// phrase list, over the compile-size cap, ...).
    Rule,
    /// A policy file could not be read.
    Io,
}

#[derive(Debug, thiserror::Error)]
enum Repr {
    #[error("policy syntax error: {0}")]
    Syntax(String),
    #[error("invalid policy: `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    #[error("rule `{rule}`: {reason}")]
    Rule { rule: String, reason: String },
    #[error("cannot read policy file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn syntax(msg: impl Into<String>) -> Error {
        Error(Box::new(Repr::Syntax(msg.into())))
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error(Box::new(Repr::Invalid {
            field: field.into(),
            reason: reason.into(),
        }))
    }

    pub(crate) fn rule(rule: impl Into<String>, reason: impl Into<String>) -> Error {
        Error(Box::new(Repr::Rule {
            rule: rule.into(),
            reason: reason.into(),
        }))
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Error {
        Error(Box::new(Repr::Io {
            path: path.into(),
            source,
        }))
    }

    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match *self.0 {
            Repr::Syntax(_) => ErrorKind::Syntax,
            Repr::Invalid { .. } => ErrorKind::Invalid,
            Repr::Rule { .. } => ErrorKind::Rule,
            Repr::Io { .. } => ErrorKind::Io,
        }
    }
}
