//! Reversible pseudonymisation: secrets and personal data in a prompt are
//! replaced by numbered placeholders before the prompt leaves, and the
//! placeholders the model echoes back are restored in its response.
//!
//! ```
//! use palisade::Guard;
//!
//! let guard = Guard::default();
//! let prompt = "Write to jane.doe@acme-mail.io and cc jane.doe@acme-mail.io.";
//! let (masked, vault) = guard.pseudonymise(prompt);
//! assert_eq!(masked, "Write to [EMAIL_1] and cc [EMAIL_1].");
//!
//! // The model answers with the placeholder; the application restores it.
//! let answer = "Sure, I drafted a note to [EMAIL_1].";
//! assert_eq!(vault.restore(answer), "Sure, I drafted a note to jane.doe@acme-mail.io.");
//!
//! // The round trip is exact for any text.
//! assert_eq!(vault.restore(&masked), prompt);
//! ```
//!
//! # Placeholders
//!
//! A placeholder is `[KIND_N]`: the entity kind in capitals and a number
//! that is the same for every occurrence of one value. If the text already
//! contains a string that could be taken for one of the placeholders, a
//! tag is added (`[EMAIL_1_2]`, then `_3`...) until no placeholder occurs
//! in the text that is kept, so restoring never touches the user's own
//! text: `vault.restore(&masked) == text` holds exactly, for every text.
//!
//! # The vault
//!
//! A [`Vault`] holds the original values. It is plain data: serialise it
//! with [`Vault::to_json`] to keep it across a request boundary (it holds
//! secrets: store it like one), and read it back with [`Vault::from_json`].
//! Its `Debug` output shows only the placeholders, never the values.

use crate::guard::Guard;
use crate::types::{Category, Mode};
use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// The originals behind the placeholders of one pseudonymised text.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    /// (placeholder, original value), in order of first appearance.
    entries: Vec<(String, String)>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field(
                "placeholders",
                &self
                    .entries
                    .iter()
                    .map(|e| e.0.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Vault {
    /// Number of distinct values held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was replaced.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The placeholders, in order of first appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.0.as_str())
    }

    /// Replaces every placeholder of this vault in `text` by its original
    /// value, in one left-to-right pass (a restored value is never
    /// rescanned). Placeholders may appear in any order, any number of
    /// times; text that is not a placeholder is kept as it is.
    pub fn restore(&self, text: &str) -> String {
        if self.entries.is_empty() {
            return text.to_string();
        }
        let Ok(ac) = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(self.entries.iter().map(|e| e.0.as_str()))
        else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for m in ac.find_iter(text) {
            out.push_str(&text[pos..m.start()]);
            out.push_str(&self.entries[m.pattern().as_usize()].1);
            pos = m.end();
        }
        out.push_str(&text[pos..]);
        out
    }

    /// The vault as JSON (it contains the original values).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a vault written by [`Vault::to_json`].
    pub fn from_json(json: &str) -> Result<Vault, crate::Error> {
        let v: Vault =
            serde_json::from_str(json).map_err(|e| crate::Error::syntax(e.to_string()))?;
        if v.entries.iter().any(|e| e.0.is_empty()) {
            return Err(crate::Error::invalid("entries", "a placeholder is empty"));
        }
        Ok(v)
    }
}

impl Guard {
    /// Replaces every secret and personal-data finding in `text` with a
    /// numbered placeholder and returns the new text and the [`Vault`]
    /// that restores it. Inspection runs as a prompt; policy settings
    /// (disabled rules, allow-lists, `allow.examples`) apply.
    pub fn pseudonymise(&self, text: &str) -> (String, Vault) {
        let findings = self.findings_for_pseudonyms(Mode::Prompt, text);
        // Spans of sensitive findings, merged where they overlap; the kind
        // is that of the first (widest) finding.
        let mut spans: Vec<(usize, usize, String)> = findings
            .iter()
            .filter(|f| {
                matches!(f.category, Category::Secret | Category::Pii)
                    && f.end > f.start
                    && f.end <= text.len()
            })
            .filter(|f| text.is_char_boundary(f.start) && text.is_char_boundary(f.end))
            .map(|f| {
                (
                    f.start,
                    f.end,
                    f.entity
                        .clone()
                        .unwrap_or_else(|| f.category.as_str().to_string()),
                )
            })
            .collect();
        spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
        let mut merged: Vec<(usize, usize, String)> = Vec::with_capacity(spans.len());
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
                _ => merged.push(s),
            }
        }
        if merged.is_empty() {
            return (text.to_string(), Vault::default());
        }
        let kept: Vec<&str> = {
            let mut k = Vec::with_capacity(merged.len() + 1);
            let mut pos = 0;
            for (s, e, _) in &merged {
                k.push(&text[pos..*s]);
                pos = *e;
            }
            k.push(&text[pos..]);
            k
        };
        for attempt in 1u32.. {
            let tag = if attempt == 1 {
                String::new()
            } else {
                format!("_{attempt}")
            };
            let mut numbers: HashMap<(String, &str), String> = HashMap::new();
            let mut counters: HashMap<String, usize> = HashMap::new();
            let mut entries: Vec<(String, String)> = Vec::new();
            let mut out = String::with_capacity(text.len());
            for (i, (s, e, kind)) in merged.iter().enumerate() {
                out.push_str(kept[i]);
                let upper = placeholder_kind(kind);
                let value = &text[*s..*e];
                let p = numbers.entry((upper.clone(), value)).or_insert_with(|| {
                    let n = counters.entry(upper.clone()).or_insert(0);
                    *n += 1;
                    let p = format!("[{upper}_{n}{tag}]");
                    entries.push((p.clone(), value.to_string()));
                    p
                });
                out.push_str(p);
            }
            out.push_str(kept[merged.len()]);
            // Collision-free: no placeholder may occur in the kept text
            // (a placeholder cannot straddle kept text and an inserted
            // placeholder: `[` only opens one).
            if !kept
                .iter()
                .any(|k| entries.iter().any(|(p, _)| k.contains(p.as_str())))
            {
                return (out, Vault { entries });
            }
            if attempt > 64 {
                break;
            }
        }
        // Unreachable in practice (each attempt uses a new tag, and the
        // text is finite); fail closed with a tag derived from the length.
        let tag = format!("_{}x{}", text.len(), merged.len());
        let mut entries = Vec::new();
        let mut out = String::new();
        for (i, (s, e, kind)) in merged.iter().enumerate() {
            out.push_str(kept[i]);
            let p = format!("[{}_{}{tag}]", placeholder_kind(kind), i + 1);
            entries.push((p.clone(), text[*s..*e].to_string()));
            out.push_str(&p);
        }
        out.push_str(kept[merged.len()]);
        (out, Vault { entries })
    }
}

/// `github_pat` → `GITHUB_PAT`; anything outside `[A-Za-z0-9_]` becomes `_`.
fn placeholder_kind(kind: &str) -> String {
    kind.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collision_free() {
        let g = Guard::default();
        let text = "[EMAIL_1] is mine, jane.doe@acme-mail.io is hers";
        let (masked, vault) = g.pseudonymise(text);
        assert_eq!(masked, "[EMAIL_1] is mine, [EMAIL_1_2] is hers");
        assert_eq!(vault.restore(&masked), text);
        assert!(!format!("{vault:?}").contains("jane"));
        let back = Vault::from_json(&vault.to_json()).unwrap();
        assert_eq!(back, vault);
    }

    #[test]
    fn nothing_to_replace() {
        let g = Guard::default();
        let (masked, vault) = g.pseudonymise("hello [EMAIL_1]");
        assert_eq!(masked, "hello [EMAIL_1]");
        assert!(vault.is_empty());
        assert_eq!(vault.restore("hello [EMAIL_1]"), "hello [EMAIL_1]");
    }
}
