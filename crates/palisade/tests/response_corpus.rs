//! Leakage detection measured on the shared response-leakage corpus, when
//! it is present (it is never copied into the repository). Each row has a
//! response, the secret it must not leak, and a label (`attack` = leaks).
//! The secret is registered as system-prompt context for that row.
//!
//! Run with `cargo test -p palisade --test response_corpus -- --nocapture`
//! to see the figures.

use palisade::{Context, Guard, Mode};

const CORPUS: &str = "../../../shared/corpus/injection/dev_response_leakage.jsonl";

#[test]
fn leakage_recall_and_fpr() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("corpus not found at {}; skipped", path.display());
        return;
    };
    let guard = Guard::default();
    let (mut tp, mut fn_, mut fp, mut tn) = (0usize, 0usize, 0usize, 0usize);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).expect("corpus row is JSON");
        let response = row["text"].as_str().unwrap_or_default();
        let secret = row["secret"].as_str().unwrap_or_default();
        let attack = row["label"] == "attack";
        let mut ctx = Context::new();
        ctx.system_prompt(secret);
        let v = guard.inspect_with(Mode::Response, response, &ctx);
        let found = v
            .findings
            .iter()
            .any(|f| f.rule.starts_with("leakage.system-prompt."));
        match (attack, found) {
            (true, true) => tp += 1,
            (true, false) => {
                fn_ += 1;
                if std::env::var("SHOW_MISSES").is_ok() {
                    eprintln!(
                        "MISS {:?} :: {:?}",
                        secret,
                        response.chars().take(300).collect::<String>()
                    );
                }
            }
            (false, true) => fp += 1,
            (false, false) => tn += 1,
        }
    }
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    let fpr = fp as f64 / (fp + tn).max(1) as f64;
    eprintln!(
        "response leakage: {} rows; recall {recall:.3} ({tp}/{}), FPR {fpr:.3} ({fp}/{})",
        tp + fn_ + fp + tn,
        tp + fn_,
        fp + tn
    );
    // Floors well under the measured figures, so a regression fails.
    assert!(recall >= 0.5, "recall {recall}");
    assert!(fpr <= 0.1, "FPR {fpr}");
}
