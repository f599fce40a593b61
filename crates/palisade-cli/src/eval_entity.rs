//! `palisade eval`, entity mode: how well secrets and personal data are found,
//! on a labelled JSON Lines corpus.
//!
//! Each line is an object with `text`, `label` (`positive`/`negative`),
//! `family`, and `entities: [{kind, start, end}]` (UTF-8 byte offsets,
//! end exclusive). Only `secret` and `pii` findings count.
//!
//! Definitions:
//! - **recall** of kind K: share of K entities overlapped by at least one
//!   finding (of any kind). **typed recall**: by a finding whose entity is
//!   K. **strict recall**: the findings overlapping the entity cover at
//!   least 80% of its bytes.
//! - **precision** of kind K (findings whose entity is K): TP = those that
//!   overlap a labelled K entity; FP = those that overlap no labelled
//!   entity at all. Findings that overlap only entities of other kinds
//!   are counted apart as `cross` (a mislabel, not a false alarm) and left
//!   out of K's precision. **Overall precision** = findings overlapping any
//!   labelled entity / all findings.
//! - **FPR**: share of `negative` lines with at least one finding, over
//!   all negatives and with the policy-dependent families
//!   (`POLICY_FAMILIES`) set apart.
//! - **obfuscated recall**: recall over entities of lines whose family
//!   starts with `obf_`.

use crate::{ModeArg, load_guard};
use palisade::{Category, Guard, Mode};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

/// Negative families whose right answer depends on the policy: documented
/// examples, reserved/well-known values and format-valid strings with a bad
/// checksum.
const POLICY_FAMILIES: &[&str] = &[
    "email_like",
    "wellknown_ip",
    "example_key",
    "example_card",
    "example_pii",
    "token_checksum_fail",
];

/// Personal-data kinds (everything else labelled is a secret).
const PII_KINDS: &[&str] = &[
    "email",
    "phone",
    "credit_card",
    "iban",
    "us_ssn",
    "ipv4",
    "ipv6",
    "btc_address",
    "eth_address",
];

/// Options of the entity mode (taken from `palisade eval`).
#[derive(Debug)]
pub(crate) struct EvalEntityArgs {
    /// Labelled JSON Lines file(s).
    pub(crate) paths: Vec<PathBuf>,
    /// Policy file (TOML or JSON); the built-in default policy otherwise.
    pub(crate) policy: Option<PathBuf>,
    /// Inspect lines as prompts or responses.
    pub(crate) mode: ModeArg,
    /// Print the report as one JSON object.
    pub(crate) json: bool,
    /// Fail (exit 1) when secret or PII recall is below this.
    pub(crate) min_recall: Option<f64>,
    /// Fail (exit 1) when overall precision is below this.
    pub(crate) min_precision: Option<f64>,
    /// Fail (exit 1) when the FPR on negatives outside the policy-dependent
    /// families is above this.
    pub(crate) max_fpr: Option<f64>,
    /// Fail (exit 1) when recall on obfuscated variants is below this.
    pub(crate) min_obfuscated_recall: Option<f64>,
    /// List missed entities and false positives on stderr.
    pub(crate) verbose: bool,
}

#[derive(Default, Serialize, Clone)]
struct KindStats {
    entities: usize,
    found: usize,
    typed: usize,
    strict: usize,
    findings: usize,
    tp: usize,
    fp: usize,
    cross: usize,
    recall: f64,
    typed_recall: f64,
    strict_recall: f64,
    precision: f64,
}

#[derive(Default, Serialize)]
struct FamilyStats {
    lines: usize,
    flagged: usize,
    rate: f64,
}

#[derive(Serialize)]
struct Report {
    lines: usize,
    bytes: usize,
    seconds: f64,
    mb_per_s: f64,
    secret_recall: f64,
    pii_recall: f64,
    strict_recall: f64,
    obfuscated_recall: f64,
    precision: f64,
    findings: usize,
    false_positives: usize,
    fpr_all: f64,
    fpr_excl_policy: f64,
    fpr_policy_families: f64,
    kinds: BTreeMap<String, KindStats>,
    finding_kinds: BTreeMap<String, KindStats>,
    negative_families: BTreeMap<String, FamilyStats>,
    obfuscated_families: BTreeMap<String, KindStats>,
}

struct Entity {
    kind: String,
    start: usize,
    end: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        ((a as f64 / b as f64) * 10000.0).round() / 10000.0
    }
}

/// Runs the evaluation; `Ok(true)` when a floor was not met.
pub(crate) fn run(args: &EvalEntityArgs) -> Result<bool, String> {
    let guard = load_guard(args.policy.as_ref())?;
    let mode: Mode = args.mode.into();
    let mut kinds: BTreeMap<String, KindStats> = BTreeMap::new();
    let mut fkinds: BTreeMap<String, KindStats> = BTreeMap::new();
    let mut families: BTreeMap<String, FamilyStats> = BTreeMap::new();
    let mut obf: BTreeMap<String, KindStats> = BTreeMap::new();
    let (mut lines, mut bytes, mut findings_n, mut fps) = (0usize, 0usize, 0usize, 0usize);
    let mut seconds = 0.0f64;
    for path in &args.paths {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (no, line) in BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let rec: Value = serde_json::from_str(&line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), no + 1))?;
            let text = rec
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}:{}: no `text`", path.display(), no + 1))?;
            let family = rec
                .get("family")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let negative = rec.get("label").and_then(Value::as_str) == Some("negative");
            let entities: Vec<Entity> = rec
                .get("entities")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|e| {
                            Some(Entity {
                                kind: e.get("kind")?.as_str()?.to_string(),
                                start: e.get("start")?.as_u64()? as usize,
                                end: e.get("end")?.as_u64()? as usize,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            lines += 1;
            bytes += text.len();
            let t = Instant::now();
            let found = sensitive_findings(&guard, mode, text);
            seconds += t.elapsed().as_secs_f64();
            findings_n += found.len();
            // Entities.
            for e in &entities {
                let over: Vec<&(usize, usize, String)> = found
                    .iter()
                    .filter(|f| f.0 < e.end && e.start < f.1)
                    .collect();
                let covered = coverage(e.start, e.end, &over);
                let hit = !over.is_empty();
                let typed = over.iter().any(|f| f.2 == e.kind);
                let strict = covered * 10 >= (e.end - e.start) * 8;
                for st in [kinds.entry(e.kind.clone()).or_default()]
                    .into_iter()
                    .chain(
                        family
                            .starts_with("obf_")
                            .then(|| obf.entry(family.clone()).or_default()),
                    )
                {
                    st.entities += 1;
                    st.found += usize::from(hit);
                    st.typed += usize::from(typed);
                    st.strict += usize::from(strict);
                }
                if args.verbose && !hit {
                    eprintln!(
                        "MISS {} {} [{}..{}] {:?}",
                        family,
                        e.kind,
                        e.start,
                        e.end,
                        snippet(text, e.start, e.end)
                    );
                }
            }
            // Findings.
            for f in &found {
                let st = fkinds.entry(f.2.clone()).or_default();
                st.findings += 1;
                let over: Vec<&Entity> = entities
                    .iter()
                    .filter(|e| f.0 < e.end && e.start < f.1)
                    .collect();
                if over.iter().any(|e| e.kind == f.2) {
                    st.tp += 1;
                } else if over.is_empty() {
                    st.fp += 1;
                    fps += 1;
                    if args.verbose {
                        eprintln!(
                            "FP   {} {} [{}..{}] {:?}",
                            family,
                            f.2,
                            f.0,
                            f.1,
                            snippet(text, f.0, f.1)
                        );
                    }
                } else {
                    st.cross += 1;
                }
            }
            if negative {
                let fs = families.entry(family.clone()).or_default();
                fs.lines += 1;
                fs.flagged += usize::from(!found.is_empty());
            }
        }
    }
    for st in kinds.values_mut().chain(obf.values_mut()) {
        st.recall = ratio(st.found, st.entities);
        st.typed_recall = ratio(st.typed, st.entities);
        st.strict_recall = ratio(st.strict, st.entities);
    }
    for st in fkinds.values_mut() {
        st.precision = ratio(st.tp, st.tp + st.fp);
    }
    for fs in families.values_mut() {
        fs.rate = ratio(fs.flagged, fs.lines);
    }
    let sum = |pii: bool, f: fn(&KindStats) -> usize| -> usize {
        kinds
            .iter()
            .filter(|(k, _)| PII_KINDS.contains(&k.as_str()) == pii)
            .map(|(_, s)| f(s))
            .sum()
    };
    let neg = |policy: Option<bool>| -> (usize, usize) {
        families
            .iter()
            .filter(|(k, _)| policy.is_none_or(|p| POLICY_FAMILIES.contains(&k.as_str()) == p))
            .fold((0, 0), |a, (_, s)| (a.0 + s.flagged, a.1 + s.lines))
    };
    let (fa, la) = neg(None);
    let (fe, le) = neg(Some(false));
    let (fp_, lp) = neg(Some(true));
    let all_entities: usize = kinds.values().map(|s| s.entities).sum();
    let all_strict: usize = kinds.values().map(|s| s.strict).sum();
    let obf_e: usize = obf.values().map(|s| s.entities).sum();
    let obf_f: usize = obf.values().map(|s| s.found).sum();
    let report = Report {
        lines,
        bytes,
        seconds: (seconds * 1000.0).round() / 1000.0,
        mb_per_s: if seconds > 0.0 {
            ((bytes as f64 / 1e6 / seconds) * 100.0).round() / 100.0
        } else {
            0.0
        },
        secret_recall: ratio(sum(false, |s| s.found), sum(false, |s| s.entities)),
        pii_recall: ratio(sum(true, |s| s.found), sum(true, |s| s.entities)),
        strict_recall: ratio(all_strict, all_entities),
        obfuscated_recall: ratio(obf_f, obf_e),
        precision: ratio(findings_n - fps, findings_n),
        findings: findings_n,
        false_positives: fps,
        fpr_all: ratio(fa, la),
        fpr_excl_policy: ratio(fe, le),
        fpr_policy_families: ratio(fp_, lp),
        kinds,
        finding_kinds: fkinds,
        negative_families: families,
        obfuscated_families: obf,
    };
    let text = if args.json {
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n"
    } else {
        print_text(&report)
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    let mut failed = Vec::new();
    if let Some(m) = args.min_recall {
        if report.secret_recall < m || report.pii_recall < m {
            failed.push(format!(
                "recall secret {} / pii {} below {m}",
                report.secret_recall, report.pii_recall
            ));
        }
    }
    if let Some(m) = args.min_precision {
        if report.precision < m {
            failed.push(format!("precision {} below {m}", report.precision));
        }
    }
    if let Some(m) = args.max_fpr {
        if report.fpr_excl_policy > m {
            failed.push(format!(
                "FPR (excluding policy-dependent families) {} above {m}",
                report.fpr_excl_policy
            ));
        }
    }
    if let Some(m) = args.min_obfuscated_recall {
        if report.obfuscated_recall < m {
            failed.push(format!(
                "obfuscated recall {} below {m}",
                report.obfuscated_recall
            ));
        }
    }
    for f in &failed {
        eprintln!("palisade eval: floor not met: {f}");
    }
    Ok(!failed.is_empty())
}

/// (start, end, entity kind) of every secret and PII finding.
fn sensitive_findings(guard: &Guard, mode: Mode, text: &str) -> Vec<(usize, usize, String)> {
    guard
        .inspect(mode, text)
        .findings
        .into_iter()
        .filter(|f| matches!(f.category, Category::Secret | Category::Pii))
        .map(|f| {
            (
                f.start,
                f.end,
                f.entity.unwrap_or_else(|| f.category.as_str().to_string()),
            )
        })
        .collect()
}

/// Bytes of `start..end` covered by the union of `spans`.
fn coverage(start: usize, end: usize, spans: &[&(usize, usize, String)]) -> usize {
    let mut iv: Vec<(usize, usize)> = spans
        .iter()
        .map(|s| (s.0.max(start), s.1.min(end)))
        .filter(|s| s.0 < s.1)
        .collect();
    iv.sort_unstable();
    let (mut total, mut cur) = (0usize, start);
    for (s, e) in iv {
        let s = s.max(cur);
        if e > s {
            total += e - s;
            cur = e;
        }
    }
    total
}

fn snippet(text: &str, s: usize, e: usize) -> String {
    let b = text.as_bytes();
    String::from_utf8_lossy(&b[s.min(b.len())..e.min(b.len())])
        .chars()
        .take(80)
        .collect()
}

fn print_text(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "lines {}  bytes {}  {:.3}s in the guard ({} MB/s)",
        r.lines, r.bytes, r.seconds, r.mb_per_s
    );
    let _ = writeln!(
        o,
        "recall: secret {:.4}  pii {:.4}  strict(>=80%) {:.4}  obfuscated {:.4}",
        r.secret_recall, r.pii_recall, r.strict_recall, r.obfuscated_recall
    );
    let _ = writeln!(
        o,
        "precision {:.4} ({} findings, {} overlap no labelled entity)",
        r.precision, r.findings, r.false_positives
    );
    let _ = writeln!(
        o,
        "FPR: all negatives {:.4}  excluding policy-dependent families {:.4}  policy-dependent families {:.4}",
        r.fpr_all, r.fpr_excl_policy, r.fpr_policy_families
    );
    let _ = writeln!(
        o,
        "\n{:<32} {:>6} {:>7} {:>7} {:>7} | {:>6} {:>5} {:>5} {:>5} {:>7}",
        "kind", "ents", "recall", "typed", "strict", "finds", "tp", "fp", "cross", "prec"
    );
    let mut names: Vec<&String> = r.kinds.keys().chain(r.finding_kinds.keys()).collect();
    names.sort();
    names.dedup();
    let zero = KindStats::default();
    for k in names {
        let e = r.kinds.get(k).unwrap_or(&zero);
        let f = r.finding_kinds.get(k).unwrap_or(&zero);
        let rec = |x: f64| {
            if e.entities == 0 {
                "-".to_string()
            } else {
                format!("{x:.4}")
            }
        };
        let prec = if f.findings == 0 {
            "-".to_string()
        } else {
            format!("{:.4}", f.precision)
        };
        let _ = writeln!(
            o,
            "{:<32} {:>6} {:>7} {:>7} {:>7} | {:>6} {:>5} {:>5} {:>5} {:>7}",
            k,
            e.entities,
            rec(e.recall),
            rec(e.typed_recall),
            rec(e.strict_recall),
            f.findings,
            f.tp,
            f.fp,
            f.cross,
            prec
        );
    }
    let _ = writeln!(o, "\nnegative families (share of lines with a finding):");
    for (k, s) in &r.negative_families {
        let note = if POLICY_FAMILIES.contains(&k.as_str()) {
            "  (policy-dependent)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  {:<22} {:>4}/{:<4} {:.4}{note}",
            k, s.flagged, s.lines, s.rate
        );
    }
    let _ = writeln!(o, "\nobfuscated families (entity recall):");
    for (k, s) in &r.obfuscated_families {
        let _ = writeln!(
            o,
            "  {:<22} {:>4}/{:<4} {:.4}",
            k, s.found, s.entities, s.recall
        );
    }
    o
}
