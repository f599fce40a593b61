//! Small shared vocabulary: modes, actions, severities, categories, views.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which side of the model a text is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Text on its way into the model: user prompts, retrieved documents,
    /// tool output.
    Prompt,
    /// Text coming out of the model, before a user, browser or tool sees it.
    Response,
}

impl Mode {
    /// The lowercase name used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Prompt => "prompt",
            Mode::Response => "response",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the application should do with an inspected text. Ordered from the
/// mildest to the strictest, so `max` combines decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Nothing worth reporting.
    Allow,
    /// Let it through, but record the findings.
    Flag,
    /// Let it through with the sensitive spans replaced (see
    /// [`Verdict::redacted`](crate::Verdict::redacted)).
    Redact,
    /// Do not pass it on.
    Block,
}

impl Action {
    /// The lowercase name used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is on its own, independent of policy thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; rarely decisive alone.
    Low,
    /// Suspicious; decisive together with other signals.
    Medium,
    /// Very likely an attack or a leak.
    High,
    /// Certainly an attack or a leak (a private key, a live token).
    Critical,
}

impl Severity {
    /// The lowercase name used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! categories {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $owasp:literal;)*) => {
        /// The kind of risk a finding belongs to. Scores, thresholds and
        /// actions are set per category in the policy.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category {
            $($(#[$doc])* $variant,)*
        }

        impl Category {
            /// Every category, in a fixed order.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The snake_case name used in policies and JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Category::$variant => $name,)*
                }
            }

            /// The OWASP Top 10 for LLM Applications (2025) id this category
            /// answers by default.
            pub fn owasp(self) -> &'static str {
                match self {
                    $(Category::$variant => $owasp,)*
                }
            }

            /// Parses a snake_case category name.
            pub fn from_name(name: &str) -> Option<Category> {
                match name {
                    $($name => Some(Category::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

categories! {
    /// Prompt injection and jailbreaks, direct or indirect (LLM01).
    Injection => "injection", "LLM01";
    /// Credentials and keys (LLM02).
    Secret => "secret", "LLM02";
    /// Personal data (LLM02).
    Pii => "pii", "LLM02";
    /// System-prompt or confidential-context leakage, canaries (LLM07).
    Leakage => "leakage", "LLM07";
    /// Links and images that carry data to third parties (LLM05).
    Exfiltration => "exfiltration", "LLM05";
    /// Script, event handlers and other active content for browsers (LLM05).
    ActiveContent => "active_content", "LLM05";
    /// Destructive or remote-execution commands for shells and databases (LLM05).
    Command => "command", "LLM05";
    /// Size, expansion and decoding limits; inspection could not be complete (LLM10).
    Limits => "limits", "LLM10";
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rendering of the input in which a finding was seen. See the crate
/// documentation, "Views".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewKind {
    /// The input as given (invalid UTF-8 shown as U+FFFD).
    Raw,
    /// Invisible characters removed and compatibility forms (full-width,
    /// mathematical letters) normalised, case kept. Secrets are read here.
    Clean,
    /// Compatibility-normalised, case-folded, invisible characters removed,
    /// look-alike letters mapped to Latin, whitespace runs collapsed.
    Folded,
    /// `folded` with everything but letters and digits removed.
    Squashed,
    /// `folded` with digits and symbols read as the letters they imitate.
    Deleet,
    /// Text smuggled in Unicode tag characters or variation selectors.
    Hidden,
    /// Text decoded from base64, hex, URL, HTML and `\u` escapes, or rot13.
    Decoded,
}

impl ViewKind {
    /// The lowercase name used in JSON and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewKind::Raw => "raw",
            ViewKind::Clean => "clean",
            ViewKind::Folded => "folded",
            ViewKind::Squashed => "squashed",
            ViewKind::Deleet => "deleet",
            ViewKind::Hidden => "hidden",
            ViewKind::Decoded => "decoded",
        }
    }

    /// Whether a match seen only in this view means the text was disguised.
    pub fn is_obfuscated(self) -> bool {
        matches!(
            self,
            ViewKind::Squashed | ViewKind::Deleet | ViewKind::Hidden | ViewKind::Decoded
        )
    }
}

impl fmt::Display for ViewKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
