//! `palisade scan`.

use crate::{ModeArg, load_guard};
use clap::{Args, ValueEnum};
use palisade::{Action, Guard, Mode, Verdict};
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    /// Inspect as a prompt (going into a model) or a response (coming out).
    #[arg(long, value_enum, default_value = "prompt")]
    mode: ModeArg,
    /// Policy file (TOML or JSON); the built-in default policy otherwise.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// `text` shows findings in context, like a linter; `json` prints one
    /// verdict object per input.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Read JSON Lines: each line is an object whose FIELD holds the text.
    /// Prints exactly one JSON line per input line, in order
    /// (`{"line", "id", "action", "scores", "findings"}`, or
    /// `{"line", "error"}` for a line that is not an object with FIELD).
    #[arg(long, value_name = "FIELD")]
    jsonl: Option<String>,
    /// Files to inspect, each as one input; stdin when none is given.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the scan; `Ok(true)` when any input was blocked.
pub(crate) fn run(args: &ScanArgs) -> Result<bool, String> {
    let guard = load_guard(args.policy.as_ref())?;
    let mode: Mode = args.mode.into();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut blocked = false;
    if let Some(field) = &args.jsonl {
        if args.paths.is_empty() {
            blocked |= scan_jsonl(&guard, mode, field, io::stdin().lock(), &mut out)?;
        }
        for p in &args.paths {
            let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
            blocked |= scan_jsonl(&guard, mode, field, io::BufReader::new(f), &mut out)?;
        }
    } else if args.paths.is_empty() {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("stdin: {e}"))?;
        blocked |= report(&guard, mode, "<stdin>", &buf, args.format, &mut out)?;
    } else {
        for p in &args.paths {
            let buf = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            blocked |= report(
                &guard,
                mode,
                &p.display().to_string(),
                &buf,
                args.format,
                &mut out,
            )?;
        }
    }
    out.flush().map_err(|e| format!("stdout: {e}"))?;
    Ok(blocked)
}

fn report(
    guard: &Guard,
    mode: Mode,
    name: &str,
    input: &[u8],
    format: Format,
    out: &mut impl Write,
) -> Result<bool, String> {
    let v = guard.inspect(mode, input);
    let w = |e: io::Error| format!("stdout: {e}");
    match format {
        Format::Json => writeln!(out, "{}", v.to_json()).map_err(w)?,
        Format::Text => write_text(name, input, &v, out).map_err(w)?,
    }
    Ok(v.action == Action::Block)
}

/// Linter-style report: a summary line, then each finding with its
/// position and the line it is on, underlined.
fn write_text(name: &str, input: &[u8], v: &Verdict, out: &mut impl Write) -> io::Result<()> {
    let scores: Vec<String> = v
        .scores
        .iter()
        .map(|(c, s)| format!("{c} {s:.2}"))
        .collect();
    writeln!(
        out,
        "{name}: {}{} ({} finding{}, policy {})",
        v.action.as_str().to_uppercase(),
        if scores.is_empty() {
            String::new()
        } else {
            format!(" [{}]", scores.join(", "))
        },
        v.findings.len(),
        if v.findings.len() == 1 { "" } else { "s" },
        v.fingerprint
    )?;
    for f in &v.findings {
        let (line, col, line_start, line_end) = locate(input, f.start);
        let mut tags = vec![f.severity.as_str().to_string(), format!("view {}", f.view)];
        if f.obfuscated {
            tags.push("obfuscated".into());
        }
        if let Some(e) = &f.entity {
            tags.push(e.clone());
        }
        let mut ids = f.owasp.clone();
        if let Some(a) = &f.atlas {
            ids.push(' ');
            ids.push_str(a);
        }
        writeln!(
            out,
            "  {name}:{line}:{col}: {} [{}] {ids}",
            f.rule,
            tags.join(", ")
        )?;
        let sensitive = matches!(
            f.category,
            palisade::Category::Secret | palisade::Category::Pii
        );
        if sensitive {
            writeln!(out, "    {}", f.evidence)?;
            continue;
        }
        // Show the line, with invisible characters made visible, and mark
        // the finding's extent on it.
        let line_text = &input[line_start..line_end];
        let before = show(&input[line_start..f.start.clamp(line_start, line_end)]);
        let inside =
            show(&input[f.start.clamp(line_start, line_end)..f.end.clamp(line_start, line_end)]);
        let after = show(&input[f.end.clamp(line_start, line_end)..line_end]);
        if line_text.len() <= 200 {
            writeln!(out, "    | {before}{inside}{after}")?;
            writeln!(
                out,
                "    | {}{}",
                " ".repeat(before.chars().count()),
                "^".repeat(inside.chars().count().max(1))
            )?;
        } else {
            writeln!(out, "    | {}", f.evidence)?;
        }
    }
    Ok(())
}

/// 1-based line and column (in characters) of byte `at`, and the line's span.
fn locate(input: &[u8], at: usize) -> (usize, usize, usize, usize) {
    let at = at.min(input.len());
    let line = input[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = input[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end = input[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(input.len(), |p| at + p);
    let col = String::from_utf8_lossy(&input[line_start..at])
        .chars()
        .count()
        + 1;
    (line, col, line_start, line_end)
}

/// Text for a terminal: invisible and control characters as `\u{..}`.
fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        let cp = c as u32;
        let invisible = c.is_control()
            || matches!(cp, 0xAD | 0x34F | 0x61C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF);
        if invisible {
            s.push_str(&format!("\\u{{{cp:x}}}"));
        } else {
            s.push(c);
        }
    }
    s
}

/// JSON Lines: one output line per input line, in order, nothing dropped.
fn scan_jsonl(
    guard: &Guard,
    mode: Mode,
    field: &str,
    mut input: impl BufRead,
    out: &mut impl Write,
) -> Result<bool, String> {
    let mut blocked = false;
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        let read = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("read: {e}"))?;
        if read == 0 {
            break;
        }
        n += 1;
        let line = trim_newline(&buf);
        let result = match serde_json::from_slice::<serde_json::Value>(line) {
            Err(e) => Err(format!("not valid JSON: {e}")),
            Ok(serde_json::Value::Object(obj)) => match obj.get(field) {
                Some(serde_json::Value::String(text)) => Ok((text.clone(), obj.get("id").cloned())),
                Some(_) => Err(format!("field `{field}` is not a string")),
                None => Err(format!("no field `{field}`")),
            },
            Ok(_) => Err("not a JSON object".to_string()),
        };
        let json = match result {
            Err(e) => serde_json::json!({"line": n, "error": e}),
            Ok((text, id)) => {
                let v = guard.inspect(mode, text.as_bytes());
                blocked |= v.action == Action::Block;
                let mut o = serde_json::json!({
                    "line": n,
                    "action": v.action,
                    "scores": v.scores,
                    "findings": v.findings,
                });
                if let Some(id) = id {
                    o["id"] = id;
                }
                if let Some(r) = &v.redacted {
                    o["redacted"] = serde_json::Value::String(r.clone());
                }
                o
            }
        };
        writeln!(out, "{json}").map_err(|e| format!("stdout: {e}"))?;
    }
    Ok(blocked)
}

fn trim_newline(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}
