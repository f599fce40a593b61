//! Data-driven response cases: `tests/cases/response/*.toml`, each a list
//! of `[[case]]` tables:
//!
//! ```toml
//! [[case]]
//! name = "what it shows"
//! input = "the response"
//! mode = "response"                # default
//! expect_action = "block"          # optional
//! expect_rules = ["rule.id"]       # each must be found
//! forbid_rules = ["rule.id"]       # none may be found (prefix `x.*` allowed)
//! system_prompt = "..."            # optional registered context
//! canary = "plsd-..."              # optional registered canary
//! allow_domains = ["example.com"]  # optional policy allow-list
//! ```

use palisade::{Action, Context, Guard, Mode, Policy};
use serde::Deserialize;

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
    #[serde(default)]
    system_prompt: Option<String>,
    #[serde(default)]
    canary: Option<String>,
    #[serde(default)]
    allow_domains: Vec<String>,
}

#[test]
fn response_cases() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/response");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut n = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: File =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for c in file.case {
            n += 1;
            let mut policy = Policy::default();
            policy.allow.domains = c.allow_domains.clone();
            let guard = Guard::new(&policy).unwrap();
            let mut ctx = Context::new();
            if let Some(p) = &c.system_prompt {
                ctx.system_prompt(p.as_str());
            }
            if let Some(t) = &c.canary {
                ctx.canary(t.as_str()).unwrap();
            }
            let v = guard.inspect_with(c.mode.unwrap_or(Mode::Response), &c.input, &ctx);
            let found: Vec<&str> = v.findings.iter().map(|f| f.rule.as_str()).collect();
            let tag = format!(
                "{}: {}",
                path.file_name().unwrap().to_string_lossy(),
                c.name
            );
            for r in &c.expect_rules {
                if !found.contains(&r.as_str()) {
                    failures.push(format!("{tag}: expected {r}, found {found:?}"));
                }
            }
            for r in &c.forbid_rules {
                let hit = match r.strip_suffix(".*") {
                    Some(p) => found.iter().any(|f| f.starts_with(p)),
                    None => found.contains(&r.as_str()),
                };
                if hit {
                    failures.push(format!("{tag}: forbidden {r} found in {found:?}"));
                }
            }
            if let Some(a) = c.expect_action {
                if v.action != a {
                    failures.push(format!("{tag}: action {} != {a} ({found:?})", v.action));
                }
            }
        }
    }
    assert!(n > 0, "no cases");
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
