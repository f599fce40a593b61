//! Target `inspect`: prompts and responses through the default policy and
//! through small random policies (arbitrary phrases, sequences, regexes,
//! thresholds, actions, redactions and limits).
//!
//! Invariants, beyond "no panic":
//! - every finding's span lies in the input, on character boundaries (an
//!   invalid UTF-8 sequence counts as one character: a span edge never
//!   splits a valid character and covers invalid sequences whole);
//! - findings are ordered by start; scores are in `[0, 1]`; the JSON form
//!   parses;
//! - without redaction, `redacted()` is the input (lossy UTF-8);
//! - re-inspecting the redacted text finds none of the rules that were
//!   redacted (when inspection was complete and no finding was redacted
//!   with `remove`, which leaves no mark; see [`check_verdict`]).

use crate::{ensure, palette, show};
use arbitrary::Arbitrary;
use palisade::{Category, Guard, Mode, Policy, Redaction, Verdict, internal};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

/// Longest input inspected (longer ones are skipped: they find nothing
/// new and slow the fuzzer down).
pub const MAX_INPUT: usize = 16 << 10;

/// The fuzz input.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// Inspect as a response (else as a prompt).
    pub response: bool,
    /// A small policy; `None` is the default policy.
    pub policy: Option<SmallPolicy>,
    /// Odd: map `text` through the attack-character palette.
    pub palette: u8,
    /// The text (everything after the header).
    #[arbitrary(with = crate::rest)]
    pub text: Vec<u8>,
}

/// A small random policy.
#[derive(Arbitrary, Debug)]
pub struct SmallPolicy {
    /// Bit 0: the `injection` pack, bit 1: the `secrets` pack.
    pub packs: u8,
    /// Custom rules (at most 4 are used).
    pub rules: Vec<SmallRule>,
    /// (category, threshold, flag threshold, action, redaction) overrides.
    pub categories: Vec<(u8, u8, u8, u8, u8)>,
    /// Limits: decode depth, decode expansion, view expansion, findings,
    /// input bytes.
    pub limits: (u8, u8, u8, u8, u16),
}

/// A custom rule.
#[derive(Arbitrary, Debug)]
pub struct SmallRule {
    /// Category index.
    pub category: u8,
    /// Severity index.
    pub severity: u8,
    /// What it matches.
    pub body: RuleBody,
}

/// What a custom rule matches.
#[derive(Arbitrary, Debug)]
pub enum RuleBody {
    /// Phrases (templates with `{a|b}` allowed).
    Phrases(Vec<String>),
    /// Sequence slots and window.
    Sequence(Vec<String>, u8),
    /// A free regex with keywords.
    Regex(String, Vec<String>, Option<bool>),
    /// A secret-shaped regex: literal prefix, then 8 + `len` % 40
    /// characters of a class; the prefix is the keyword.
    Token(String, u8, u8),
}

const CATEGORIES: [&str; 7] = [
    "injection",
    "secret",
    "pii",
    "leakage",
    "exfiltration",
    "active_content",
    "command",
];
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const ACTIONS: [&str; 4] = ["allow", "flag", "redact", "block"];
const REDACTIONS: [&str; 5] = ["none", "placeholder", "mask", "hash", "remove"];
const CLASSES: [&str; 4] = ["[A-Za-z0-9]", "[0-9]", "[A-Z2-7]", "[a-z0-9_-]"];

fn short_str(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

impl SmallPolicy {
    /// The policy as JSON text.
    pub fn to_json(&self) -> String {
        use serde_json::{Value, json};
        let mut packs = Vec::new();
        if self.packs & 1 != 0 {
            packs.push("injection");
        }
        if self.packs & 2 != 0 {
            packs.push("secrets");
        }
        let mut rules = Vec::new();
        for (k, r) in self.rules.iter().take(4).enumerate() {
            let mut rule = json!({
                "id": format!("fuzz.rule-{k}"),
                "category": CATEGORIES[r.category as usize % CATEGORIES.len()],
                "severity": SEVERITIES[r.severity as usize % SEVERITIES.len()],
            });
            let o = rule.as_object_mut().expect("object");
            match &r.body {
                RuleBody::Phrases(p) => {
                    o.insert(
                        "phrases".into(),
                        p.iter()
                            .take(4)
                            .map(|s| Value::from(short_str(s, 48)))
                            .collect(),
                    );
                }
                RuleBody::Sequence(s, w) => {
                    o.insert(
                        "sequence".into(),
                        s.iter()
                            .take(4)
                            .map(|s| Value::from(short_str(s, 32)))
                            .collect(),
                    );
                    o.insert("window".into(), Value::from(*w % 8));
                }
                RuleBody::Regex(re, kw, cs) => {
                    o.insert("regex".into(), Value::from(short_str(re, 64)));
                    o.insert(
                        "keywords".into(),
                        kw.iter()
                            .take(3)
                            .map(|s| Value::from(short_str(s, 16)))
                            .collect(),
                    );
                    if let Some(cs) = cs {
                        o.insert("case_sensitive".into(), Value::from(*cs));
                    }
                }
                RuleBody::Token(prefix, class, len) => {
                    let prefix: String = prefix
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .take(8)
                        .collect();
                    let prefix = if prefix.is_empty() {
                        "tok_".to_string()
                    } else {
                        prefix
                    };
                    let n = 8 + *len as usize % 40;
                    o.insert(
                        "regex".into(),
                        Value::from(format!(
                            "{}{}{{{n}}}",
                            escape(&prefix),
                            CLASSES[*class as usize % CLASSES.len()]
                        )),
                    );
                    o.insert("keywords".into(), json!([prefix]));
                }
            }
            rules.push(rule);
        }
        let mut categories = serde_json::Map::new();
        for &(c, t, f, a, r) in self.categories.iter().take(8) {
            categories.insert(
                CATEGORIES[c as usize % CATEGORIES.len()].into(),
                json!({
                    "threshold": t as f64 / 255.0,
                    "flag_threshold": (f.min(t)) as f64 / 255.0,
                    "action": ACTIONS[a as usize % ACTIONS.len()],
                    "redaction": REDACTIONS[r as usize % REDACTIONS.len()],
                }),
            );
        }
        let (dd, de, ve, mf, mi) = self.limits;
        json!({
            "packs": packs,
            "rules": rules,
            "categories": categories,
            "limits": {
                "max_decode_depth": dd % 6,
                "max_decode_expansion": de % 5,
                "max_view_expansion": 1 + ve % 8,
                "max_findings": 1 + mf as usize % 64,
                "max_input_bytes": 64 + mi as usize,
            },
        })
        .to_string()
    }
}

fn escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| if c == '-' { vec!['\\', c] } else { vec![c] })
        .collect()
}

/// The default guard, built once.
pub fn default_guard() -> &'static Guard {
    static G: OnceLock<Guard> = OnceLock::new();
    G.get_or_init(Guard::default)
}

/// Guards for recent random policies (the fuzzer repeats policies while it
/// mutates texts; compiling every time would dominate).
fn guard_for(json: &str) -> Option<Guard> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Guard>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = c.get(json) {
        return g.clone();
    }
    // A policy the loader or compiler rejects is fine: it must be an error,
    // never a panic.
    let g = Policy::from_json(json)
        .ok()
        .and_then(|p| Guard::new(&p).ok());
    if c.len() >= 64 {
        c.clear();
    }
    c.insert(json.to_string(), g.clone());
    g
}

/// Runs the target.
pub fn check(input: &Input) {
    if input.text.len() > MAX_INPUT {
        return;
    }
    let text = palette::text(input.palette, &input.text);
    let mode = crate::mode(input.response);
    let guard = match &input.policy {
        None => default_guard().clone(),
        Some(p) => match guard_for(&p.to_json()) {
            Some(g) => g,
            None => return,
        },
    };
    let v = guard.inspect(mode, &text);
    check_verdict(&guard, mode, &text, &v);
}

/// The effective redaction of `category` under `guard`'s policy.
pub fn redaction(guard: &Guard, category: Category) -> Redaction {
    static DEFAULT: OnceLock<Policy> = OnceLock::new();
    let default = DEFAULT.get_or_init(Policy::default);
    guard
        .policy()
        .categories
        .get(&category)
        .and_then(|c| c.redaction)
        .or_else(|| default.categories.get(&category).and_then(|c| c.redaction))
        .unwrap_or(Redaction::None)
}

/// Checks a verdict `v` of `guard` on `text` (see the module docs).
pub fn check_verdict(guard: &Guard, mode: Mode, text: &[u8], v: &Verdict) {
    let bounds = internal::char_boundaries(text);
    ensure(v.input_bytes == text.len(), || {
        format!("input_bytes {} for {} bytes", v.input_bytes, text.len())
    });
    let mut last_start = 0;
    for f in &v.findings {
        ensure(f.start <= f.end && f.end <= text.len(), || {
            format!(
                "{} span {}..{} outside {} bytes of {}",
                f.rule,
                f.start,
                f.end,
                text.len(),
                show(text)
            )
        });
        ensure(bounds[f.start] && bounds[f.end], || {
            format!(
                "{} span {}..{} splits a character of {}",
                f.rule,
                f.start,
                f.end,
                show(text)
            )
        });
        ensure(f.start >= last_start, || {
            "findings not ordered by start".into()
        });
        ensure((0.0..=1.0).contains(&f.weight), || {
            format!("{} weight {}", f.rule, f.weight)
        });
        last_start = f.start;
    }
    for (c, s) in &v.scores {
        ensure((0.0..=1.0).contains(s), || format!("score {c} = {s}"));
    }
    ensure(
        serde_json::from_str::<serde_json::Value>(&v.to_json()).is_ok(),
        || "verdict JSON does not parse".into(),
    );
    if v.redacted.is_none() {
        ensure(v.redacted() == String::from_utf8_lossy(text), || {
            "redacted() differs from the input without redaction".into()
        });
        return;
    }
    if !v.complete {
        // A limit stopped inspection (input cut, findings dropped): what
        // was not inspected was not redacted either, by design.
        return;
    }
    if v.findings
        .iter()
        .any(|f| f.end > f.start && redaction(guard, f.category) == Redaction::Remove)
    {
        // `remove` leaves no mark: the text on either side of a removed
        // finding comes together, and rules that read across a small gap
        // (hidden characters merged into runs, phrases, suffix windows)
        // may find there what the input did not show (CHANGELOG, known
        // gaps). Placeholder, mask and hash redaction leave a mark.
        return;
    }
    let redacted_rules: BTreeSet<&str> = v
        .findings
        .iter()
        .filter(|f| f.end > f.start && redaction(guard, f.category) != Redaction::None)
        .map(|f| f.rule.as_str())
        .collect();
    let again = guard.inspect(mode, v.redacted());
    if !again.complete {
        return;
    }
    for f in &again.findings {
        ensure(!redacted_rules.contains(f.rule.as_str()), || {
            format!(
                "rule {} found again in the redacted text {} at {}..{} (original {})",
                f.rule,
                show(v.redacted().as_bytes()),
                f.start,
                f.end,
                show(text)
            )
        });
    }
}
