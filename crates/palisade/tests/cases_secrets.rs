//! Data-driven cases for the secrets and PII packs: every file under
//! `tests/cases/secrets/` and `tests/cases/pii/` holds `[[case]]` tables
//! (`name`, `input`, optional `mode`, optional `expect_action`,
//! `expect_rules`, optional `forbid_rules`). The files are generated with
//! synthetic values by `tools/gen-entity-cases.py`.

use palisade::{Action, Category, Guard, Mode};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    input: String,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    expect_action: Option<Action>,
    #[serde(default)]
    expect_rules: Vec<String>,
    #[serde(default)]
    forbid_rules: Vec<String>,
}

fn run_dir(dir: &str) -> usize {
    let guard = Guard::default();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .expect("case directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut n = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read case file");
        let file: File =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for c in file.case {
            n += 1;
            let v = guard.inspect(c.mode.unwrap_or(Mode::Prompt), &c.input);
            let rules: Vec<&str> = v.findings.iter().map(|f| f.rule.as_str()).collect();
            let label = format!(
                "{} / {}",
                path.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
                c.name
            );
            for r in &c.expect_rules {
                if !rules.contains(&r.as_str()) {
                    failures.push(format!("{label}: expected {r}, got {rules:?}"));
                }
            }
            for r in &c.forbid_rules {
                if rules.contains(&r.as_str()) {
                    failures.push(format!("{label}: {r} must not fire"));
                }
            }
            if let Some(a) = c.expect_action {
                if v.action != a {
                    failures.push(format!("{label}: action {:?}, expected {a:?}", v.action));
                }
            }
            // Evidence never shows a secret or personal data in clear, and
            // redaction removes every sensitive span.
            for f in v
                .findings
                .iter()
                .filter(|f| matches!(f.category, Category::Secret | Category::Pii))
            {
                let value = &c.input.as_bytes()[f.start..f.end];
                let value = String::from_utf8_lossy(value);
                if value.len() >= 6 && f.evidence.contains(value.as_ref()) {
                    failures.push(format!("{label}: evidence of {} shows the value", f.rule));
                }
                if value.len() >= 6 && v.redacted().contains(value.as_ref()) {
                    failures.push(format!(
                        "{label}: redacted text still holds the {} value",
                        f.rule
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

#[test]
fn secret_cases() {
    assert!(run_dir("secrets") >= 40);
}

#[test]
fn pii_cases() {
    assert!(run_dir("pii") >= 50);
}
