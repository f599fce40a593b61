//! Findings and verdicts.

use crate::types::{Action, Category, Mode, Severity, ViewKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One thing the guard found.
///
/// `start..end` is a byte span of the ORIGINAL input, on UTF-8 character
/// boundaries (an invalid byte sequence counts as one character), whatever
/// view the match was made in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// Stable rule id, e.g. `injection.override.ignore-previous`.
    pub rule: String,
    /// The category the finding scores into.
    pub category: Category,
    /// Sub-family of the rule (`override`, `persona`, `github`...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub family: Option<String>,
    /// Entity kind for secrets and personal data (`github_pat`, `email`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub entity: Option<String>,
    /// The rule's severity.
    pub severity: Severity,
    /// OWASP Top 10 for LLM Applications (2025) id.
    pub owasp: String,
    /// MITRE ATLAS technique id, where one fits.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub atlas: Option<String>,
    /// Start of the span in the original input (bytes, inclusive).
    pub start: usize,
    /// End of the span in the original input (bytes, exclusive).
    pub end: usize,
    /// The view in which the match was made.
    pub view: ViewKind,
    /// What this finding adds to its category score, in `[0, 1]`.
    pub weight: f64,
    /// The matched text was disguised (look-alikes, invisible characters,
    /// spacing, encoding); this raises the weight, never lowers it.
    pub obfuscated: bool,
    /// What was matched, for people. Secrets and personal data are never
    /// shown: their evidence names the kind and length only. Invisible
    /// characters are shown as `\u{...}` escapes.
    pub evidence: String,
}

/// The guard's answer for one input.
///
/// # JSON
///
/// A verdict serialises to one JSON object:
///
/// ```json
/// {"action": "block", "mode": "prompt", "fingerprint": "3b1f0c5e9a7d2c41",
///  "input_bytes": 37, "complete": true,
///  "scores": {"injection": 0.93},
///  "findings": [{"rule": "injection.override.ignore-previous",
///                "category": "injection", "family": "override",
///                "severity": "high", "owasp": "LLM01", "atlas": "AML.T0051",
///                "start": 0, "end": 36, "view": "folded", "weight": 0.93,
///                "obfuscated": true, "evidence": "Ign\\u{200b}ore аll..."}]}
/// ```
///
/// `redacted` is present when redaction changed the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Verdict {
    /// The decision.
    pub action: Action,
    /// Which side was inspected.
    pub mode: Mode,
    /// The fingerprint of the policy that decided.
    pub fingerprint: String,
    /// Length of the input in bytes.
    pub input_bytes: usize,
    /// False when a limit stopped inspection short (see the `limits.*`
    /// findings); the policy's `limits` category decides what that means.
    pub complete: bool,
    /// Score per category that has findings, in `[0, 1]`: the chance that
    /// at least one finding is right, combining weights as independent.
    pub scores: BTreeMap<Category, f64>,
    /// Findings, ordered by start offset.
    pub findings: Vec<Finding>,
    /// The input with redactable findings replaced; see [`Verdict::redacted`].
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub redacted: Option<String>,
    #[serde(skip)]
    pub(crate) text: String,
}

impl Verdict {
    /// The input with every finding of a redacting category rewritten as
    /// the policy says (placeholder, mask, hash or removal). Always valid
    /// UTF-8: invalid input bytes become U+FFFD.
    pub fn redacted(&self) -> &str {
        self.redacted.as_deref().unwrap_or(&self.text)
    }

    /// True when the action is [`Action::Block`].
    pub fn is_blocked(&self) -> bool {
        self.action == Action::Block
    }

    /// Score of one category (0 when it has no findings).
    pub fn score(&self, category: Category) -> f64 {
        self.scores.get(&category).copied().unwrap_or(0.0)
    }

    /// The verdict as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| String::from("{\"error\":\"serialisation failed\"}"))
    }
}
