//! `palisade_finding`: one finding, filled by value.
//!
//! The strings of a finding live in a [`FindingTable`] owned by the object
//! that handed the finding out (a verdict today; a stream step later), so
//! they stay valid exactly as long as that object.

use crate::ffi::palisade_str;
use crate::status::{category_name_z, palisade_category, palisade_severity, palisade_status};
use palisade_core::{Finding, Severity, ViewKind};
use std::ffi::CStr;

/// One thing the guard found, as filled by `palisade_verdict_finding`.
///
/// Every `palisade_str` in it is valid UTF-8, NUL-terminated, never NULL
/// (absent values are the empty string), and lives as long as the verdict
/// it came from. `start..end` is a byte span of the inspected input, on
/// character boundaries, whatever view the match was made in.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct palisade_finding {
    /// Stable rule id, e.g. `injection.override.ignore-previous`.
    pub rule: palisade_str,
    /// Category name, e.g. `injection`, `secret`, `pii`.
    pub category: palisade_str,
    /// Category code (`palisade_category`), for `palisade_verdict_score`.
    pub category_id: palisade_category,
    /// Severity name: `low`, `medium`, `high` or `critical`.
    pub severity: palisade_str,
    /// Severity code (`palisade_severity`).
    pub severity_level: palisade_severity,
    /// Sub-family of the rule (`override`, `github`...), or empty.
    pub family: palisade_str,
    /// Entity kind for secrets and personal data (`github_pat`, `email`), or
    /// empty.
    pub entity: palisade_str,
    /// OWASP Top 10 for LLM Applications (2025) id, e.g. `LLM01`.
    pub owasp: palisade_str,
    /// MITRE ATLAS technique id, or empty.
    pub atlas: palisade_str,
    /// The view the match was made in: `raw`, `clean`, `folded`,
    /// `squashed`, `deleet`, `hidden` or `decoded`.
    pub view: palisade_str,
    /// What was matched, for people. Secrets and personal data are never
    /// shown: their evidence names the kind and length only.
    pub evidence: palisade_str,
    /// Start of the span in the input (bytes, inclusive).
    pub start: usize,
    /// End of the span in the input (bytes, exclusive).
    pub end: usize,
    /// What the finding adds to its category score, in [0, 1].
    pub weight: f64,
    /// The matched text was disguised (look-alikes, invisible characters,
    /// spacing, encodings).
    pub obfuscated: bool,
}

const RULE: usize = 0;
const FAMILY: usize = 1;
const ENTITY: usize = 2;
const OWASP: usize = 3;
const ATLAS: usize = 4;
const EVIDENCE: usize = 5;
const FIELDS: usize = 6;

/// NUL-terminated copies of the owned strings of a list of findings, in one
/// allocation.
#[derive(Debug)]
pub(crate) struct FindingTable {
    arena: Box<str>,
    rows: Vec<[(usize, usize); FIELDS]>,
}

impl FindingTable {
    pub(crate) fn new(findings: &[Finding]) -> FindingTable {
        let mut arena = String::new();
        let mut rows = Vec::with_capacity(findings.len());
        for f in findings {
            let mut row = [(0, 0); FIELDS];
            let fields: [&str; FIELDS] = [
                &f.rule,
                f.family.as_deref().unwrap_or(""),
                f.entity.as_deref().unwrap_or(""),
                &f.owasp,
                f.atlas.as_deref().unwrap_or(""),
                &f.evidence,
            ];
            for (slot, text) in row.iter_mut().zip(fields) {
                *slot = (arena.len(), text.len());
                arena.push_str(text);
                arena.push('\0');
            }
            rows.push(row);
        }
        FindingTable {
            arena: arena.into_boxed_str(),
            rows,
        }
    }

    fn field(&self, index: usize, field: usize) -> palisade_str {
        let (start, len) = self.rows[index][field];
        palisade_str::from_z(&self.arena[start..start + len + 1])
    }

    /// Fills the C view of `findings[index]`; `findings` must be the slice
    /// the table was built from.
    pub(crate) fn get(
        &self,
        findings: &[Finding],
        index: usize,
    ) -> Result<palisade_finding, palisade_status> {
        let f = findings.get(index).ok_or(palisade_status::OutOfRange)?;
        if index >= self.rows.len() {
            return Err(palisade_status::OutOfRange);
        }
        Ok(palisade_finding {
            rule: self.field(index, RULE),
            category: palisade_str::from_static(category_name_z(f.category)),
            category_id: f.category.into(),
            severity: palisade_str::from_static(severity_name_z(f.severity)),
            severity_level: f.severity.into(),
            family: self.field(index, FAMILY),
            entity: self.field(index, ENTITY),
            owasp: self.field(index, OWASP),
            atlas: self.field(index, ATLAS),
            view: palisade_str::from_static(view_name_z(f.view)),
            evidence: self.field(index, EVIDENCE),
            start: f.start,
            end: f.end,
            weight: f.weight,
            obfuscated: f.obfuscated,
        })
    }
}

fn severity_name_z(s: Severity) -> &'static CStr {
    match s {
        Severity::Low => c"low",
        Severity::Medium => c"medium",
        Severity::High => c"high",
        Severity::Critical => c"critical",
    }
}

fn view_name_z(v: ViewKind) -> &'static CStr {
    match v {
        ViewKind::Raw => c"raw",
        ViewKind::Clean => c"clean",
        ViewKind::Folded => c"folded",
        ViewKind::Squashed => c"squashed",
        ViewKind::Deleet => c"deleet",
        ViewKind::Hidden => c"hidden",
        ViewKind::Decoded => c"decoded",
    }
}
