//! Policies: which rules run, how findings become a decision, and limits.
//!
//! A policy is data. It is read from TOML or JSON, and every field it leaves
//! out takes the value of the built-in default policy (printed by
//! `palisade policy default`, and [`Policy::default_toml`]). Loading checks
//! keys and types; [`Guard::new`](crate::Guard::new) checks everything else
//! (regexes, rule ids, thresholds) so that a guard that builds is a guard
//! that works as written.

use crate::error::Error;
use crate::types::{Action, Category, Mode, Severity, ViewKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in default policy, as TOML. Also what `palisade policy default`
/// prints.
const DEFAULT_TOML: &str = include_str!("../policy/default.toml");

/// A guard policy. See the module documentation.
///
/// # Example
///
/// ```
/// use palisade::Policy;
///
/// let policy = Policy::from_toml(r#"
///     disable = ["injection.persona.*"]
///
///     [categories.injection]
///     threshold = 0.9
///
///     [[rules]]
///     id = "acme.codename"
///     category = "leakage"
///     severity = "high"
///     phrases = ["project bluebird"]
/// "#)?;
/// assert_eq!(policy.rules.len(), 1);
/// # Ok::<(), palisade::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default = "Policy::empty")]
#[non_exhaustive]
pub struct Policy {
    /// Policy format version. Only `1` exists.
    pub version: u32,
    /// A free-form name, echoed nowhere but useful in audit logs.
    pub name: String,
    /// Built-in rule packs to load (see `palisade policy packs`).
    pub packs: Vec<String>,
    /// Rule ids to switch off. An entry ending in `.*` switches off every
    /// rule whose id starts with what comes before it. Every entry must
    /// name at least one loaded rule.
    pub disable: Vec<String>,
    /// Per-category scoring and actions. Categories left out keep their
    /// defaults; fields left out of a category keep theirs.
    pub categories: BTreeMap<Category, CategoryPolicy>,
    /// Size, expansion and decoding limits.
    pub limits: Limits,
    /// Allow-lists.
    pub allow: Allow,
    /// System-prompt leakage matching (see [`Leakage`]).
    pub leakage: Leakage,
    /// The policy's own rules, added to those of the packs.
    pub rules: Vec<RuleSpec>,
    /// Redaction style per entity kind, and the key of keyed pseudonyms.
    pub redaction: RedactionPolicy,
}

/// How secrets and personal data are rewritten, beyond the per-category
/// `redaction` style.
///
/// ```toml
/// [redaction]
/// key = "a long random string kept out of logs"
///
/// [redaction.entities]
/// credit_card = "mask"     # 411111******1111
/// email = "hash"           # [EMAIL:3f9a1c2e], stable across requests
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct RedactionPolicy {
    /// Key for `hash` pseudonyms (HMAC-SHA256). Left out, a key derived
    /// from the policy fingerprint is used: stable for one policy, but
    /// anyone holding the policy can recompute it, so set your own when
    /// pseudonyms must not be linkable by others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Redaction style per entity kind (`credit_card`, `email`,
    /// `github_pat`...), overriding the category's style.
    pub entities: BTreeMap<String, Redaction>,
}

/// Scoring and action for one category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CategoryPolicy {
    /// Set to `false` to drop every finding of this category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Score in `[0, 1]` at which `action` is taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Score in `[0, 1]` at which the input is at least flagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_threshold: Option<f64>,
    /// What happens when the score reaches `threshold`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// How this category's findings are rewritten by redaction: `none`
    /// leaves them in place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redaction: Option<Redaction>,
}

/// How a finding's span is rewritten in the redacted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Redaction {
    /// Leave the text as it is.
    None,
    /// Replace with a tag naming what was there, e.g. `[SECRET:github_pat]`.
    Placeholder,
    /// Replace every character with `*` (cards keep at most the first 6 and
    /// last 4 digits, as PCI DSS allows).
    Mask,
    /// Replace with a keyed, stable pseudonym, e.g. `[EMAIL:3f9a1c2e]`.
    Hash,
    /// Remove the span.
    Remove,
}

/// The resolved settings of one category, after defaults are applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct CategorySettings {
    pub enabled: bool,
    pub threshold: f64,
    pub flag_threshold: f64,
    pub action: Action,
    pub redaction: Redaction,
}

/// Limits that bound the work done on one input. Hitting one produces a
/// `limits.*` finding; with the default policy that blocks (fail closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Limits {
    /// Inputs longer than this are inspected up to this length and get a
    /// `limits.input_size` finding.
    pub max_input_bytes: usize,
    /// How many layers of encoding are peeled (base64 inside hex inside ...).
    pub max_decode_depth: usize,
    /// Total bytes of decoded text per input, as a multiple of the input
    /// length (plus 4 KiB).
    pub max_decode_expansion: usize,
    /// A normalised view may be at most this many times longer than the
    /// input (plus 4 KiB); Unicode compatibility forms can expand 18-fold.
    pub max_view_expansion: usize,
    /// At most this many findings are reported per input.
    pub max_findings: usize,
    /// The longest original text one finding is expected to span. A stream
    /// holds back about twice this much (see `Guard::stream`); a finding
    /// longer than this may be cut or missed in a stream, never in one-shot
    /// inspection.
    pub max_match_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: 1 << 20,
            max_decode_depth: 4,
            max_decode_expansion: 2,
            max_view_expansion: 4,
            max_findings: 256,
            max_match_bytes: 4096,
        }
    }
}

/// Allow-lists: things that are never reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Allow {
    /// Exact values (a documented test key, a public support address) that
    /// are never reported as secrets or personal data. Compared with the
    /// matched text.
    pub values: Vec<String>,
    /// Host names (and their subdomains) that links and images may point to
    /// without an exfiltration finding.
    pub domains: Vec<String>,
    /// Rule ids whose findings never count for the decision (they are still
    /// reported, with weight 0). Use `disable` to drop rules entirely.
    pub monitor_only: Vec<String>,
    /// Drop documented example values and values reserved for
    /// documentation: AWS `...EXAMPLE` keys, docs test keys, the jwt.io
    /// token, published test card numbers, `example.com` addresses,
    /// 555-01xx phones, RFC 5737/3849 documentation addresses, loopback,
    /// link-local and well-known resolver addresses. On by default.
    pub examples: bool,
}

impl Default for Allow {
    fn default() -> Allow {
        Allow {
            values: Vec::new(),
            domains: Vec::new(),
            monitor_only: Vec::new(),
            examples: true,
        }
    }
}

/// How responses are matched against registered confidential context
/// (system prompts; see `Context`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Leakage {
    /// A response leaks a registered text when it reproduces at least this
    /// many consecutive words of it (after folding: case, look-alikes,
    /// punctuation and layout do not count). Texts shorter than this leak
    /// when they appear whole.
    pub min_run_words: usize,
    /// Registered texts with fewer letters and digits than this are not
    /// matched at all: a two-letter secret would be found everywhere.
    /// (A text of symbols only counts its symbols.)
    pub min_secret_chars: usize,
}

impl Default for Leakage {
    fn default() -> Leakage {
        Leakage {
            min_run_words: 6,
            min_secret_chars: 3,
        }
    }
}

/// One detection rule, as written in a rule pack or a policy.
///
/// Exactly one of `phrases`, `sequence`, `regex` and `detector` says what
/// to look for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RuleSpec {
    /// Stable id, dotted: `<category or area>.<family>.<name>`.
    pub id: String,
    /// The category it scores into.
    pub category: Category,
    /// Sub-family for reporting (e.g. `override`, `persona`, `github`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// How bad a match is on its own.
    pub severity: Severity,
    /// Contribution to the category score in `[0, 1]`; defaults from the
    /// severity (low 0.25, medium 0.5, high 0.85, critical 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// What the rule is for, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OWASP LLM Top 10 (2025) id; defaults from the category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owasp: Option<String>,
    /// MITRE ATLAS technique id, where one fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<String>,
    /// Which side it applies to; both when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modes: Option<Vec<Mode>>,
    /// Phrases matched on the folded views, with word boundaries. A phrase
    /// may hold alternatives: `{ignore|disregard} {all |}previous`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    /// Ordered term slots matched on the folded views: each entry lists
    /// alternatives separated by `|`, and a match needs one term of every
    /// slot, in order, at most `window` words apart. `["ignore|disregard",
    /// "previous|prior", "instructions|rules"]` matches "ignore all of the
    /// previous rules".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequence: Vec<String>,
    /// Most words between two consecutive `sequence` terms (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<usize>,
    /// A regular expression (regex-automata syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Literals, one of which must occur (case-insensitively) for `regex`
    /// to run. Leave empty only for regexes that must always run. When
    /// every match of `regex` provably contains a keyword (write them as
    /// literals in the regex: `(?:end|begin)`), it is searched only on
    /// the keywords' lines or within its longest match of them: the same
    /// findings for less work.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Whether `regex` reads the case-preserving `clean` view (true) or the
    /// folded one (false). Defaults to true for `secret` and `pii`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
    /// Views the rule reads; defaults depend on the rule kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<Vec<ViewKind>>,
    /// A built-in check a regex match must pass (`luhn`, `iban`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    /// The regex runs only on text with at least this many ASCII digits
    /// (in the `clean` view): a cheap prefilter for number-shaped data
    /// (cards, phone numbers, national ids) whose regexes have no keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_digits: Option<usize>,
    /// Minimum Shannon entropy (bits per character) of the match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    /// A built-in detector (code, not a pattern) this rule reports for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// Entity kind for secrets and personal data (`github_pat`, `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

impl Default for Policy {
    /// The built-in default policy.
    fn default() -> Policy {
        // The embedded file is checked by a unit test; parsing it cannot fail.
        Policy::from_toml(DEFAULT_TOML).unwrap_or_else(|_| Policy::empty())
    }
}

impl Policy {
    /// The built-in policy as annotated TOML, a starting point for your own.
    pub fn default_toml() -> &'static str {
        DEFAULT_TOML
    }

    /// The code-level defaults every policy file is laid over.
    fn empty() -> Policy {
        Policy {
            version: 1,
            name: String::new(),
            packs: crate::packs::BUILTIN
                .iter()
                .map(|p| p.name.to_string())
                .collect(),
            disable: Vec::new(),
            categories: BTreeMap::new(),
            limits: Limits::default(),
            allow: Allow::default(),
            leakage: Leakage::default(),
            rules: Vec::new(),
            redaction: RedactionPolicy::default(),
        }
    }

    /// Parses a policy from TOML text. Fields left out take their defaults.
    pub fn from_toml(text: &str) -> Result<Policy, Error> {
        let policy: Policy = toml::from_str(text).map_err(|e| Error::syntax(toml_message(&e)))?;
        policy.check()?;
        Ok(policy)
    }

    /// Parses a policy from JSON text. Fields left out take their defaults.
    pub fn from_json(text: &str) -> Result<Policy, Error> {
        let policy: Policy =
            serde_json::from_str(text).map_err(|e| Error::syntax(e.to_string()))?;
        policy.check()?;
        Ok(policy)
    }

    /// Parses TOML or JSON, telling them apart by the first non-blank
    /// character (`{` means JSON).
    pub fn from_text(text: &str) -> Result<Policy, Error> {
        if text.trim_start().starts_with('{') {
            Policy::from_json(text)
        } else {
            Policy::from_toml(text)
        }
    }

    /// Reads a policy file: `.json` as JSON, anything else by its content.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Policy::from_json(&text)
        } else {
            Policy::from_text(&text)
        }
    }

    /// The policy as pretty JSON (every field, defaults included).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks values that types alone cannot (the rules are checked when a
    /// guard is built).
    fn check(&self) -> Result<(), Error> {
        if self.version != 1 {
            return Err(Error::invalid(
                "version",
                format!(
                    "unsupported policy version {} (only 1 exists)",
                    self.version
                ),
            ));
        }
        for (cat, cp) in &self.categories {
            for (name, v) in [
                ("threshold", cp.threshold),
                ("flag_threshold", cp.flag_threshold),
            ] {
                if let Some(v) = v {
                    if !(0.0..=1.0).contains(&v) || v.is_nan() {
                        return Err(Error::invalid(
                            format!("categories.{cat}.{name}"),
                            format!("{v} is not in [0, 1]"),
                        ));
                    }
                }
            }
        }
        let l = &self.limits;
        if l.max_input_bytes == 0 || l.max_input_bytes > (u32::MAX as usize) / 8 {
            return Err(Error::invalid(
                "limits.max_input_bytes",
                format!("must be between 1 and {}", (u32::MAX as usize) / 8),
            ));
        }
        if l.max_decode_depth > 16 {
            return Err(Error::invalid(
                "limits.max_decode_depth",
                "must be at most 16",
            ));
        }
        if !(1..=64).contains(&l.max_view_expansion) {
            return Err(Error::invalid(
                "limits.max_view_expansion",
                "must be between 1 and 64",
            ));
        }
        if l.max_decode_expansion > 64 {
            return Err(Error::invalid(
                "limits.max_decode_expansion",
                "must be at most 64",
            ));
        }
        if l.max_findings == 0 {
            return Err(Error::invalid("limits.max_findings", "must be at least 1"));
        }
        if !(64..=1 << 20).contains(&l.max_match_bytes) {
            return Err(Error::invalid(
                "limits.max_match_bytes",
                "must be between 64 and 1048576",
            ));
        }
        if !(2..=64).contains(&self.leakage.min_run_words) {
            return Err(Error::invalid(
                "leakage.min_run_words",
                "must be between 2 and 64",
            ));
        }
        if !(1..=64).contains(&self.leakage.min_secret_chars) {
            return Err(Error::invalid(
                "leakage.min_secret_chars",
                "must be between 1 and 64",
            ));
        }
        if self.redaction.key.as_ref().is_some_and(|k| k.len() < 16) {
            return Err(Error::invalid(
                "redaction.key",
                "must be at least 16 characters",
            ));
        }
        for (i, d) in self.allow.domains.iter().enumerate() {
            if d.is_empty() || d.contains(['/', ' ', ':', '@']) {
                return Err(Error::invalid(
                    format!("allow.domains[{i}]"),
                    format!("{d:?} is not a host name"),
                ));
            }
        }
        Ok(())
    }

    /// The settings of `category` after defaults are applied.
    pub(crate) fn category(&self, category: Category) -> CategorySettings {
        let mut s = default_category(category);
        if let Some(cp) = self.categories.get(&category) {
            if let Some(v) = cp.enabled {
                s.enabled = v;
            }
            if let Some(v) = cp.threshold {
                s.threshold = v;
            }
            if let Some(v) = cp.flag_threshold {
                s.flag_threshold = v;
            }
            if let Some(v) = cp.action {
                s.action = v;
            }
            if let Some(v) = cp.redaction {
                s.redaction = v;
            }
        }
        s
    }
}

/// Built-in per-category defaults, used for anything a policy leaves out.
pub(crate) fn default_category(category: Category) -> CategorySettings {
    let (threshold, flag_threshold, action, redaction) = match category {
        Category::Injection => (0.7, 0.4, Action::Block, Redaction::None),
        Category::Secret => (0.5, 0.3, Action::Redact, Redaction::Placeholder),
        Category::Pii => (0.5, 0.3, Action::Redact, Redaction::Placeholder),
        Category::Leakage => (0.6, 0.3, Action::Block, Redaction::Placeholder),
        Category::Exfiltration => (0.6, 0.3, Action::Redact, Redaction::Remove),
        Category::ActiveContent => (0.6, 0.3, Action::Redact, Redaction::Remove),
        Category::Command => (0.7, 0.3, Action::Flag, Redaction::None),
        Category::Limits => (0.5, 0.5, Action::Block, Redaction::None),
    };
    CategorySettings {
        enabled: true,
        threshold,
        flag_threshold,
        action,
        redaction,
    }
}

/// toml's messages carry a multi-line source excerpt; keep it, it names the
/// line and the key.
fn toml_message(e: &toml::de::Error) -> String {
    e.to_string().trim_end().to_string()
}

/// A built-in rule pack file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackFile {
    #[allow(dead_code)]
    pub pack: String,
    #[allow(dead_code)]
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_parses_and_equals_code_defaults() {
        let p = Policy::from_toml(DEFAULT_TOML).expect("default policy parses");
        assert_eq!(p, Policy::default());
        // Every category the file sets equals the code default, so a policy
        // file that leaves a category out behaves like the default.
        for c in Category::ALL {
            assert_eq!(p.category(*c), default_category(*c), "{c}");
        }
        assert_eq!(Policy::from_toml("").unwrap().limits, p.limits);
        assert_eq!(Policy::from_toml("").unwrap().packs, p.packs);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Policy::from_toml("[limits]\nmax_input_byts = 3\n").unwrap_err();
        assert!(e.to_string().contains("max_input_byts"), "{e}");
        let e = Policy::from_json(r#"{"limits": {"max_input_byts": 3}}"#).unwrap_err();
        assert!(e.to_string().contains("max_input_byts"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = Policy::from_toml("[limits]\nmax_input_bytes = \"big\"\n").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("max_input_bytes") && m.contains("string"), "{m}");
    }

    #[test]
    fn bad_category_and_threshold() {
        let e = Policy::from_toml("[categories.injektion]\nthreshold = 0.5\n").unwrap_err();
        assert!(e.to_string().contains("injektion"), "{e}");
        let e = Policy::from_toml("[categories.injection]\nthreshold = 1.5\n").unwrap_err();
        assert!(
            e.to_string().contains("categories.injection.threshold"),
            "{e}"
        );
    }
}
