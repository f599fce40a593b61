//! `palisade eval`: measures detection quality on labelled JSON Lines.
//!
//! Each line is a JSON object. Today one record shape is scored:
//! classification records `{"text", "label": "attack"|"benign", "family"?}`,
//! where "detected" means the verdict's action is not `allow`. Records of
//! other labels (e.g. `harmful_request`) are skipped and counted. The record
//! shape is recognised by [`record_shape`]; another shape (entity records
//! with an `entities` field, scored per span) plugs in there.

use crate::obfuscate::Obfuscation;
use crate::{ModeArg, load_guard};
use clap::Args;
use palisade::{Action, Guard, Mode, Verdict};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// Inspect as a prompt (going into a model) or a response (coming out).
    #[arg(long, value_enum, default_value = "prompt")]
    mode: ModeArg,
    /// Policy file (TOML or JSON); the built-in default policy otherwise.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Also inspect every attack text under these character-level attacks
    /// and report recall under each: `all`, or a comma-separated list of
    /// homoglyphs, fullwidth, zero-width, spacing, leetspeak, diacritics,
    /// bidi, tags, variation-selectors, base64, rot13, case.
    #[arg(long, value_name = "LIST")]
    obfuscate: Option<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Exit 1 when overall attack recall is below this.
    #[arg(long, value_name = "X")]
    min_recall: Option<f64>,
    /// Exit 1 when the overall false-positive rate is above this.
    #[arg(long, value_name = "Y")]
    max_fpr: Option<f64>,
    /// Exit 1 when any benign family's false-positive rate is above this.
    #[arg(long, value_name = "Z")]
    max_family_fpr: Option<f64>,
    /// Exit 1 when recall under any obfuscation is below this.
    #[arg(long, value_name = "X")]
    min_obfuscated_recall: Option<f64>,
    /// Print up to N missed attacks (with their scores) for tuning.
    #[arg(long, value_name = "N", default_value = "0")]
    misses: usize,
    /// Print up to N false positives (with the findings behind them).
    #[arg(long, value_name = "N", default_value = "0")]
    false_positives: usize,
    /// With --misses: show misses under this obfuscation instead of plain ones.
    #[arg(long, value_name = "NAME")]
    misses_under: Option<String>,
    /// Count only these categories (repeatable, e.g. `--category injection
    /// --category leakage`): the others are switched off in the policy, so
    /// a benign document with an e-mail address is not an injection false
    /// positive. Default: every category, as the guard runs.
    #[arg(long, value_name = "CATEGORY")]
    category: Vec<String>,
    /// Register the string field NAME of each line (for example `secret`)
    /// as that line's system-prompt context, to measure leakage of a
    /// protected text: `--mode response --category leakage --context-field
    /// secret`. Lines without the field are inspected without context.
    #[arg(long, value_name = "NAME")]
    context_field: Option<String>,
    /// Entity mode: fail when overall precision is below this.
    #[arg(long, value_name = "X")]
    min_precision: Option<f64>,
    /// Entity mode: list missed entities and false positives on stderr.
    #[arg(long)]
    verbose: bool,
    /// Labelled JSON Lines files.
    #[arg(value_name = "FILE.jsonl", required = true)]
    files: Vec<PathBuf>,
}

/// The shape of one record, recognised from its fields.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RecordShape {
    /// `text` + `label` (attack | benign | other): scored as detection.
    Classification,
    /// `text` + `entities`: span-level records, not scored by this mode.
    Entities,
    /// Anything else.
    Unknown,
}

/// The shape of the first record of the first file (entity corpora and
/// labelled corpora are scored differently).
fn first_shape(files: &[PathBuf]) -> Result<RecordShape, String> {
    use std::io::BufRead;
    let Some(path) = files.first() else {
        return Ok(RecordShape::Unknown);
    };
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for line in std::io::BufReader::new(f).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        return Ok(serde_json::from_str::<Value>(&line)
            .map(|v| record_shape(&v))
            .unwrap_or(RecordShape::Unknown));
    }
    Ok(RecordShape::Unknown)
}

/// A guard for `policy` with every category but `keep` (and `limits`,
/// which cannot be switched off) disabled.
fn restricted_guard(policy: Option<&PathBuf>, keep: &[String]) -> Result<palisade::Guard, String> {
    let mut p = match policy {
        Some(path) => {
            palisade::Policy::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => palisade::Policy::default(),
    };
    let mut wanted = Vec::new();
    for name in keep {
        wanted.push(palisade::Category::from_name(name).ok_or_else(|| {
            let all: Vec<&str> = palisade::Category::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown category `{name}` (categories: {})", all.join(", "))
        })?);
    }
    for c in palisade::Category::ALL {
        if *c != palisade::Category::Limits && !wanted.contains(c) {
            let mut cp = p.categories.get(c).cloned().unwrap_or_default();
            cp.enabled = Some(false);
            p.categories.insert(*c, cp);
        }
    }
    palisade::Guard::new(&p).map_err(|e| e.to_string())
}

/// Recognises what kind of record a line holds.
pub(crate) fn record_shape(v: &Value) -> RecordShape {
    let Some(o) = v.as_object() else {
        return RecordShape::Unknown;
    };
    if !o.get("text").is_some_and(Value::is_string) {
        return RecordShape::Unknown;
    }
    if o.contains_key("entities") {
        RecordShape::Entities
    } else if o.get("label").is_some_and(Value::is_string) {
        RecordShape::Classification
    } else {
        RecordShape::Unknown
    }
}

#[derive(Default)]
struct Counts {
    n: usize,
    detected: usize,
}

impl Counts {
    fn add(&mut self, detected: bool) {
        self.n += 1;
        self.detected += usize::from(detected);
    }

    fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.detected as f64 / self.n as f64
        }
    }
}

struct Example {
    file: String,
    line: usize,
    family: String,
    text: String,
    verdict: Verdict,
}

#[derive(Default)]
struct Report {
    attacks: BTreeMap<String, Counts>,
    benign: BTreeMap<String, Counts>,
    skipped: BTreeMap<String, usize>,
    obfuscated: BTreeMap<&'static str, Counts>,
    obfuscated_family: BTreeMap<(&'static str, String), Counts>,
    latencies: Vec<u64>,
    misses: Vec<Example>,
    false_positives: Vec<Example>,
}

/// Runs the evaluation; `Ok(true)` when a floor was crossed.
pub(crate) fn run(args: &EvalArgs) -> Result<bool, String> {
    if first_shape(&args.files)? == RecordShape::Entities {
        return crate::eval_entity::run(&crate::eval_entity::EvalEntityArgs {
            paths: args.files.clone(),
            policy: args.policy.clone(),
            mode: args.mode,
            json: args.json,
            min_recall: args.min_recall,
            min_precision: args.min_precision,
            max_fpr: args.max_fpr,
            min_obfuscated_recall: args.min_obfuscated_recall,
            verbose: args.verbose,
        });
    }
    let guard = if args.category.is_empty() {
        load_guard(args.policy.as_ref())?
    } else {
        restricted_guard(args.policy.as_ref(), &args.category)?
    };
    let mode: Mode = args.mode.into();
    let obfs = match &args.obfuscate {
        Some(s) => Obfuscation::parse_list(s)?,
        None => Vec::new(),
    };
    let misses_under = match &args.misses_under {
        None => None,
        Some(n) => {
            let o = Obfuscation::parse_list(n)?;
            if o.len() != 1 || !obfs.contains(&o[0]) {
                return Err(
                    "--misses-under takes one obfuscation that --obfuscate also names".into(),
                );
            }
            Some(o[0])
        }
    };
    let mut rep = Report::default();
    for path in &args.files {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.display().to_string();
        // Obfuscations are seeded by the file's name and the line number,
        // not by the path as typed: the same file gives the same figures
        // from any directory.
        let file_seed = hash(
            &path
                .file_name()
                .unwrap_or(path.as_os_str())
                .to_string_lossy(),
        );
        for (i, line) in io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| format!("{name}: {e}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&line)
                .map_err(|e| format!("{name}:{}: not JSON: {e}", i + 1))?;
            match record_shape(&v) {
                RecordShape::Classification => {}
                RecordShape::Entities => {
                    return Err(format!(
                        "{name}:{}: entity records (`entities`) are not scored by this version of eval",
                        i + 1
                    ));
                }
                RecordShape::Unknown => {
                    return Err(format!(
                        "{name}:{}: expected an object with string fields `text` and `label`",
                        i + 1
                    ));
                }
            }
            let text = v["text"].as_str().unwrap_or_default();
            let label = v["label"].as_str().unwrap_or_default();
            let family = v
                .get("family")
                .and_then(Value::as_str)
                .unwrap_or(label)
                .to_string();
            let attack = match label {
                "attack" => true,
                "benign" => false,
                other => {
                    *rep.skipped.entry(other.to_string()).or_insert(0) += 1;
                    continue;
                }
            };
            let context = args
                .context_field
                .as_deref()
                .and_then(|f| v.get(f))
                .and_then(Value::as_str)
                .map(|s| {
                    let mut c = palisade::Context::new();
                    c.system_prompt(s);
                    c
                });
            let inspect = |t: &str| match &context {
                Some(c) => guard.inspect_with(mode, t, c),
                None => guard.inspect(mode, t),
            };
            let t0 = Instant::now();
            let verdict = inspect(text);
            rep.latencies.push(t0.elapsed().as_micros() as u64);
            let detected = verdict.action != Action::Allow;
            let seed = (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ file_seed;
            if attack {
                rep.attacks.entry(family.clone()).or_default().add(detected);
                if !detected && misses_under.is_none() && rep.misses.len() < args.misses {
                    rep.misses.push(Example {
                        file: name.clone(),
                        line: i + 1,
                        family: family.clone(),
                        text: text.to_string(),
                        verdict,
                    });
                }
                for &o in &obfs {
                    let t = o.apply(text, seed);
                    let v = inspect(&t);
                    let d = v.action != Action::Allow;
                    rep.obfuscated.entry(o.name()).or_default().add(d);
                    rep.obfuscated_family
                        .entry((o.name(), family.clone()))
                        .or_default()
                        .add(d);
                    if !d && misses_under == Some(o) && rep.misses.len() < args.misses {
                        rep.misses.push(Example {
                            file: name.clone(),
                            line: i + 1,
                            family: family.clone(),
                            text: t,
                            verdict: v,
                        });
                    }
                }
            } else {
                rep.benign.entry(family.clone()).or_default().add(detected);
                if detected && rep.false_positives.len() < args.false_positives {
                    rep.false_positives.push(Example {
                        file: name.clone(),
                        line: i + 1,
                        family: family.clone(),
                        text: text.to_string(),
                        verdict,
                    });
                }
            }
        }
    }
    let summary = summarise(&rep);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let w = |e: io::Error| format!("stdout: {e}");
    if args.json {
        let mut j = summary.to_json(&rep);
        j["policy"] = json!(guard.fingerprint());
        j["mode"] = json!(mode.as_str());
        writeln!(out, "{j}").map_err(w)?;
    } else {
        write_text(&guard, mode, &rep, &summary, &mut out).map_err(w)?;
        write_examples("missed attack", &rep.misses, &mut out).map_err(w)?;
        write_examples("false positive", &rep.false_positives, &mut out).map_err(w)?;
    }
    let failures = check_floors(args, &rep, &summary);
    if !failures.is_empty() {
        for f in &failures {
            writeln!(out, "FLOOR CROSSED: {f}").map_err(w)?;
        }
    }
    out.flush().map_err(w)?;
    // Floors are reported on stderr too, so a script that reads --json sees them.
    for f in &failures {
        eprintln!("palisade eval: floor crossed: {f}");
    }
    Ok(!failures.is_empty())
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
    })
}

struct Summary {
    tp: usize,
    fn_: usize,
    fp: usize,
    tn: usize,
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

impl Summary {
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn fpr(&self) -> f64 {
        ratio(self.fp, self.fp + self.tn)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    fn to_json(&self, rep: &Report) -> Value {
        let fam = |m: &BTreeMap<String, Counts>, key: &str| -> Value {
            m.iter()
                .map(|(f, c)| {
                    (
                        f.clone(),
                        json!({"n": c.n, "detected": c.detected, key: round4(c.rate())}),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        let obf: serde_json::Map<String, Value> = rep
            .obfuscated
            .iter()
            .map(|(o, c)| {
                let per: serde_json::Map<String, Value> =
                    rep.obfuscated_family.iter().filter(|((n, _), _)| n == o).map(|((_, f), c)| (f.clone(), json!(round4(c.rate())))).collect();
                (o.to_string(), json!({"n": c.n, "detected": c.detected, "recall": round4(c.rate()), "families": per}))
            })
            .collect();
        json!({
            "attacks": self.tp + self.fn_,
            "benign": self.fp + self.tn,
            "skipped": rep.skipped,
            "recall": round4(self.recall()),
            "precision": round4(self.precision()),
            "f1": round4(self.f1()),
            "fpr": round4(self.fpr()),
            "tp": self.tp, "fn": self.fn_, "fp": self.fp, "tn": self.tn,
            "attack_families": fam(&rep.attacks, "recall"),
            "benign_families": fam(&rep.benign, "fpr"),
            "obfuscations": obf,
            "latency_us": {"p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max, "n": rep.latencies.len()},
        })
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

fn summarise(rep: &Report) -> Summary {
    let tp = rep.attacks.values().map(|c| c.detected).sum();
    let fn_ = rep.attacks.values().map(|c| c.n - c.detected).sum();
    let fp = rep.benign.values().map(|c| c.detected).sum();
    let tn = rep.benign.values().map(|c| c.n - c.detected).sum();
    let mut l = rep.latencies.clone();
    l.sort_unstable();
    let pct = |p: f64| -> u64 {
        if l.is_empty() {
            0
        } else {
            l[((l.len() as f64 - 1.0) * p).round() as usize]
        }
    };
    Summary {
        tp,
        fn_,
        fp,
        tn,
        p50: pct(0.5),
        p90: pct(0.9),
        p99: pct(0.99),
        max: l.last().copied().unwrap_or(0),
    }
}

fn write_text(
    guard: &Guard,
    mode: Mode,
    rep: &Report,
    s: &Summary,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "policy {} ({} rules), mode {}",
        guard.fingerprint(),
        guard.rule_count(),
        mode.as_str()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>6} {:>9} {:>8}",
        "attack family", "n", "detected", "recall"
    )?;
    for (f, c) in &rep.attacks {
        writeln!(
            out,
            "{:<28} {:>6} {:>9} {:>8.4}",
            f,
            c.n,
            c.detected,
            c.rate()
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>6} {:>9} {:>8}",
        "benign family", "n", "flagged", "fpr"
    )?;
    for (f, c) in &rep.benign {
        writeln!(
            out,
            "{:<28} {:>6} {:>9} {:>8.4}",
            f,
            c.n,
            c.detected,
            c.rate()
        )?;
    }
    if !rep.skipped.is_empty() {
        let s: Vec<String> = rep
            .skipped
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect();
        writeln!(
            out,
            "\nskipped (neither attack nor benign): {}",
            s.join(", ")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "overall: attacks {} benign {}  recall {:.4}  precision {:.4}  F1 {:.4}  FPR {:.4}  (tp {} fn {} fp {} tn {})",
        s.tp + s.fn_,
        s.fp + s.tn,
        s.recall(),
        s.precision(),
        s.f1(),
        s.fpr(),
        s.tp,
        s.fn_,
        s.fp,
        s.tn
    )?;
    writeln!(
        out,
        "latency per inspect (µs): p50 {}  p90 {}  p99 {}  max {}  (n {})",
        s.p50,
        s.p90,
        s.p99,
        s.max,
        rep.latencies.len()
    )?;
    if !rep.obfuscated.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<22} {:>6} {:>9} {:>8} {:>9}",
            "obfuscation", "n", "detected", "recall", "vs plain"
        )?;
        for o in Obfuscation::ALL {
            if let Some(c) = rep.obfuscated.get(o.name()) {
                writeln!(
                    out,
                    "{:<22} {:>6} {:>9} {:>8.4} {:>+9.4}",
                    o.name(),
                    c.n,
                    c.detected,
                    c.rate(),
                    c.rate() - s.recall()
                )?;
            }
        }
    }
    Ok(())
}

fn write_examples(what: &str, examples: &[Example], out: &mut impl Write) -> io::Result<()> {
    for e in examples {
        writeln!(out)?;
        let score = e
            .verdict
            .scores
            .get(&palisade::Category::Injection)
            .copied()
            .unwrap_or(0.0);
        writeln!(
            out,
            "--- {what}: {}:{} [{}] action {} injection score {:.2}",
            e.file,
            e.line,
            e.family,
            e.verdict.action.as_str(),
            score
        )?;
        for f in &e.verdict.findings {
            writeln!(
                out,
                "    {} ({}, w {:.2}) {:?}",
                f.rule,
                f.view.as_str(),
                f.weight,
                f.evidence
            )?;
        }
        let shown: String = e.text.chars().take(600).collect();
        let more = if e.text.chars().count() > 600 {
            " …"
        } else {
            ""
        };
        writeln!(out, "    {}{more}", shown.replace('\n', "\n    "))?;
    }
    Ok(())
}

fn check_floors(args: &EvalArgs, rep: &Report, s: &Summary) -> Vec<String> {
    let mut f = Vec::new();
    if let Some(min) = args.min_recall {
        if s.recall() < min {
            f.push(format!("recall {:.4} < {min}", s.recall()));
        }
    }
    if let Some(max) = args.max_fpr {
        if s.fpr() > max {
            f.push(format!("false-positive rate {:.4} > {max}", s.fpr()));
        }
    }
    if let Some(max) = args.max_family_fpr {
        for (fam, c) in &rep.benign {
            if c.rate() > max {
                f.push(format!(
                    "false-positive rate of {fam} {:.4} > {max}",
                    c.rate()
                ));
            }
        }
    }
    if let Some(min) = args.min_obfuscated_recall {
        for (o, c) in &rep.obfuscated {
            if c.rate() < min {
                f.push(format!("recall under {o} {:.4} < {min}", c.rate()));
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            record_shape(&json!({"text": "x", "label": "attack"})),
            RecordShape::Classification
        );
        assert_eq!(
            record_shape(&json!({"text": "x", "entities": []})),
            RecordShape::Entities
        );
        assert_eq!(
            record_shape(&json!({"text": 3, "label": "attack"})),
            RecordShape::Unknown
        );
        assert_eq!(record_shape(&json!([1])), RecordShape::Unknown);
    }
}
