//! Target `stream`: a text fed through [`Guard::stream`] in a fuzzed
//! chunking plan, compared with one-shot inspection of the whole text.
//!
//! Invariants, beyond "no panic" (see `crates/palisade/src/stream.rs` for
//! what the stream guarantees):
//! - no text is released after a step said stop;
//! - the findings the steps announced are the final verdict's findings
//!   (less the `limits.*` ones, which come with the verdict only; past
//!   `limits.max_findings` the verdict keeps a subset, the heaviest);
//! - the held-back bytes never exceed what was pushed, and, while the
//!   stream is releasing text, stay within [`Guard::stream_holdback`] plus
//!   three times the longest finding (a finding in progress, and a window
//!   grown to see where it ends), or [`Guard::stream_max_holdback`], the
//!   ceiling whatever the input, if that is more (plus 3 bytes: a release
//!   point never splits a character); after `finish` of a stream that did
//!   not stop, nothing is held;
//! - when no limit was hit (both verdicts complete) and no finding is
//!   longer than `limits.max_match_bytes`: the set of (rule, start, end)
//!   equals the one-shot set, the action and scores are the one-shot ones,
//!   and the released text is the one-shot [`Verdict::redacted`] text, or,
//!   when the stream stopped (a block), a prefix of it;
//! - whatever limit was hit, the released text of a stream that stopped
//!   is a prefix of the one-shot text, and never longer than it.

use crate::{ensure, inspect::default_guard, palette, show};
use arbitrary::Arbitrary;
use palisade::{Action, Context, Guard, Policy, Verdict};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Longest input streamed (longer ones are skipped).
pub const MAX_INPUT: usize = 16 << 10;

/// The fuzz input.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// Stream a response (else a prompt).
    pub response: bool,
    /// Policy: 0 default, 1 the smallest margin (`max_match_bytes = 64`),
    /// 2 the smallest margin with tight limits (input size and findings),
    /// others as 0. Bit 7: register a context (system prompt and canary).
    pub policy: u8,
    /// Odd: map `text` through the attack-character palette.
    pub palette: u8,
    /// Chunk lengths, used in turn until the text is fed (a 0 pushes an
    /// empty chunk); no entries: the whole text in one push.
    pub chunks: Vec<u16>,
    /// The text (everything after the header).
    #[arbitrary(with = crate::rest)]
    pub text: Vec<u8>,
}

fn small_guard(limits: &str) -> Guard {
    Policy::from_toml(limits)
        .and_then(|p| Guard::new(&p))
        .expect("fixed fuzz policy compiles")
}

fn guard(which: u8) -> &'static Guard {
    static SMALL: OnceLock<Guard> = OnceLock::new();
    static TIGHT: OnceLock<Guard> = OnceLock::new();
    match which & 0x7f {
        1 => SMALL.get_or_init(|| small_guard("[limits]\nmax_match_bytes = 64\n")),
        2 => TIGHT.get_or_init(|| {
            small_guard("[limits]\nmax_match_bytes = 64\nmax_input_bytes = 700\nmax_findings = 3\n")
        }),
        _ => default_guard(),
    }
}

fn context() -> &'static Context {
    static C: OnceLock<Context> = OnceLock::new();
    C.get_or_init(|| {
        let mut c = Context::new();
        c.system_prompt(
            "You are Wren, the booking assistant of Northgate Ferries. Do not quote fares for \
             routes that are not listed.",
        );
        c.canary("plsd-q8v2m4x7t1k9c3z6r5n0bw")
            .expect("well-formed canary");
        c
    })
}

/// (rule, start, end) of every finding but the `limits.*` ones.
fn spans<'a>(
    fs: impl IntoIterator<Item = &'a palisade::Finding>,
) -> BTreeSet<(String, usize, usize)> {
    fs.into_iter()
        .filter(|f| !f.rule.starts_with("limits."))
        .map(|f| (f.rule.clone(), f.start, f.end))
        .collect()
}

/// Runs the target.
pub fn check(input: &Input) {
    if input.text.len() > MAX_INPUT {
        return;
    }
    let text = palette::text(input.palette, &input.text);
    let mode = crate::mode(input.response);
    let guard = guard(input.policy);
    let ctx = (input.policy & 0x80 != 0).then(context);
    let one = match ctx {
        Some(c) => guard.inspect_with(mode, &text, c),
        None => guard.inspect(mode, &text),
    };
    let max_match = guard.policy().limits.max_match_bytes;
    // The longest finding the one-shot inspection made: a finding in
    // progress holds back up to its own length on top of the holdback.
    let longest = one
        .findings
        .iter()
        .filter(|f| !f.rule.starts_with("limits."))
        .map(|f| f.end - f.start)
        .max()
        .unwrap_or(0);
    // A window also grows for a hit that only its cut end made (the
    // decodable prefix of a longer run): the hold limit bounds that.
    let bound = (guard.stream_holdback() + 3 * longest).max(guard.stream_max_holdback()) + 3;
    // The bound is stated in terms of the one-shot findings; when a limit
    // cut the one-shot verdict short (past `max_findings` it keeps only the
    // strongest), the finding the stream holds may be one it dropped, and
    // the bound cannot be computed (fuzz/regressions/stream/README line).
    let bound_known = one.complete;

    let mut s = guard.stream(mode, ctx);
    let mut out = String::new();
    let mut announced = Vec::new();
    let mut stopped = false;
    let mut pushed = 0;
    let mut plan = input.chunks.iter().cycle();
    // Enough pushes to feed the text with any plan (each entry is used at
    // most once per byte, and zeros are capped), then the rest in one.
    let mut budget = text.len() + input.chunks.len() + 1;
    while pushed < text.len() && budget > 0 {
        budget -= 1;
        let n = match plan.next() {
            Some(&n) => n as usize,
            None => text.len(),
        };
        let end = (pushed + n).min(text.len());
        let step = s.push(&text[pushed..end]);
        pushed = end;
        ensure(!stopped || step.text.is_empty(), || {
            format!("text released after stop, {}", show(&text))
        });
        out.push_str(&step.text);
        announced.extend(step.findings);
        stopped |= step.stop;
        ensure(s.held_bytes() <= pushed, || {
            format!("held {} of {pushed} bytes pushed", s.held_bytes())
        });
        ensure(stopped || !bound_known || s.held_bytes() <= bound, || {
            format!(
                "held {} bytes (holdback {}, longest finding {longest}) after {pushed} bytes of {}",
                s.held_bytes(),
                guard.stream_holdback(),
                show(&text)
            )
        });
    }
    if pushed < text.len() {
        let step = s.push(&text[pushed..]);
        ensure(!stopped || step.text.is_empty(), || {
            "text released after stop".into()
        });
        out.push_str(&step.text);
        announced.extend(step.findings);
        stopped |= step.stop;
    }
    let last = s.finish();
    ensure(!stopped || last.text.is_empty(), || {
        "text released after stop (finish)".into()
    });
    out.push_str(&last.text);
    announced.extend(last.findings);
    stopped |= last.stop;
    ensure(stopped || s.held_bytes() == 0, || {
        format!("{} bytes held after finish", s.held_bytes())
    });
    let Some(v) = last.verdict else {
        panic!("invariant broken: finish gave no verdict");
    };
    ensure(v.input_bytes == text.len(), || {
        format!(
            "stream verdict input_bytes {} of {}",
            v.input_bytes,
            text.len()
        )
    });
    // Past `limits.max_findings` the verdict keeps the heaviest findings
    // only, while the steps announced each as it became final.
    let truncated = v.findings.iter().any(|f| f.rule == "limits.findings");
    let (a, b) = (spans(&announced), spans(&v.findings));
    ensure(if truncated { b.is_subset(&a) } else { a == b }, || {
        format!(
            "step findings {:?} differ from the verdict's {:?} for {}",
            spans(&announced),
            spans(&v.findings),
            show(&text)
        )
    });
    compare(input, &text, &one, &v, &out, stopped, max_match);
}

/// Compares the stream (`v`, released text `out`) with one-shot `one`.
fn compare(
    input: &Input,
    text: &[u8],
    one: &Verdict,
    v: &Verdict,
    out: &str,
    stopped: bool,
    max_match: usize,
) {
    let expected = one.redacted();
    let cuts = || format!("chunks {:?}", input.chunks);
    if stopped {
        ensure(expected.starts_with(out), || {
            format!(
                "released text {} is not a prefix of the one-shot text {} for {} ({})",
                show(out.as_bytes()),
                show(expected.as_bytes()),
                show(text),
                cuts()
            )
        });
    }
    let exact = one.complete
        && v.complete
        && one
            .findings
            .iter()
            .chain(&v.findings)
            .all(|f| f.end - f.start < max_match);
    if !exact {
        return;
    }
    let same = spans(&v.findings) == spans(&one.findings);
    ensure(same, || {
        format!(
            "findings differ for {} ({})\nstream only:   {:?}\none-shot only: {:?}",
            show(text),
            cuts(),
            spans(&v.findings)
                .difference(&spans(&one.findings))
                .collect::<Vec<_>>(),
            spans(&one.findings)
                .difference(&spans(&v.findings))
                .collect::<Vec<_>>()
        )
    });
    ensure(v.action == one.action && v.scores == one.scores, || {
        format!(
            "action/scores differ for {}: stream {:?} {:?}, one-shot {:?} {:?}",
            show(text),
            v.action,
            v.scores,
            one.action,
            one.scores
        )
    });
    ensure(stopped == (one.action == Action::Block), || {
        format!(
            "stream stopped = {stopped}, one-shot action {:?} for {}",
            one.action,
            show(text)
        )
    });
    if !stopped {
        ensure(out == expected, || {
            format!(
                "released text differs for {} ({})\nstream:   {}\none-shot: {}",
                show(text),
                cuts(),
                show(out.as_bytes()),
                show(expected.as_bytes())
            )
        });
    }
}
