//! Invariant checks and internals for the fuzz targets, the replay tests
//! and the benchmarks. Compiled only with the `internal-checks` feature;
//! NOT part of the stable API: anything here may change in any release.
//!
//! Every check returns `Err(description)` when an invariant is broken, so
//! the same functions serve a fuzz target (which panics on `Err`) and a
//! stable test that replays the fuzz corpora.

use crate::decode;
use crate::guard::Guard;
use crate::types::ViewKind;
use crate::views::{self, View};

/// Character boundaries of `input` as the guard counts characters: every
/// boundary of a valid UTF-8 character, and both ends of every invalid
/// sequence (which the views show as one U+FFFD). `b[i]` says whether byte
/// offset `i` (0..=len) is a boundary.
pub fn char_boundaries(input: &[u8]) -> Vec<bool> {
    views::char_boundaries(input)
}

/// What [`check_views`] built, for targets that want to assert more.
#[derive(Debug, Default)]
pub struct ViewsReport {
    /// The folded view's text.
    pub folded: String,
    /// The clean view's text.
    pub clean: String,
    /// Kinds of the views that were built and checked.
    pub built: Vec<ViewKind>,
    /// The fold hit its expansion cap.
    pub truncated: bool,
}

/// Builds every view the guard builds for `input` (with the default
/// expansion limit `expansion`) and checks, for each one:
///
/// - its offset map has one entry per byte, is non-decreasing and in
///   bounds, and every span edge lies on a character boundary of `input`;
/// - it covers its source: consecutive view characters come from the same
///   or adjacent original spans (nothing in between is lost), and the last
///   span ends where the source ends (unless the view was cut at its cap);
///
/// and that `folded` is idempotent: folding the folded text again changes
/// nothing.
pub fn check_views(input: &[u8], expansion: usize) -> Result<ViewsReport, String> {
    let bounds = char_boundaries(input);
    let mut report = ViewsReport::default();
    let raw = views::raw(input);
    check_view(&raw, &bounds, input.len(), true, "raw")?;
    let cap = input
        .len()
        .saturating_mul(expansion.max(1))
        .saturating_add(4096);
    let (folded, sig) = views::fold(&raw, ViewKind::Folded, cap);
    report.truncated = sig.truncated;
    check_view(&folded, &bounds, input.len(), !sig.truncated, "folded")?;
    report.built.push(ViewKind::Folded);
    // The fast paths (ASCII) give what the general path gives.
    if let Ok(t) = std::str::from_utf8(input) {
        let general = views::identity_mapped(ViewKind::Raw, t);
        let (g, gsig) = views::fold(&general, ViewKind::Folded, cap);
        if g.text != folded.text || gsig.invisible != sig.invisible {
            return Err(format!(
                "fast fold {:?} differs from general fold {:?}",
                short(&folded.text),
                short(&g.text)
            ));
        }
        for i in 0..g.text.len() {
            if g.span(i, i + 1) != folded.span(i, i + 1) {
                return Err(format!(
                    "fast fold maps byte {i} to {:?}, general fold to {:?}",
                    folded.span(i, i + 1),
                    g.span(i, i + 1)
                ));
            }
        }
    }
    // Idempotence: the folded text is already folded.
    let again = crate::engine::fold_str(&folded.text);
    if !sig.truncated && again != folded.text {
        return Err(format!(
            "fold is not idempotent: {:?} folds again to {:?}",
            short(&folded.text),
            short(&again)
        ));
    }
    let clean = if views::needs_clean(&raw) {
        views::clean(&raw, cap)
    } else {
        raw.clone()
    };
    let clean_complete = clean.text.len() + 4 <= cap;
    check_view(&clean, &bounds, input.len(), clean_complete, "clean")?;
    report.built.push(ViewKind::Clean);
    if views::needs_squash(&folded.text) {
        check_squashed(&views::squash(&folded), &folded, &bounds, input.len())?;
        report.built.push(ViewKind::Squashed);
    }
    if views::needs_deleet(&folded.text) {
        let d = views::deleet(&folded);
        if d.text.len() != folded.text.len() {
            return Err("deleet changed the length of the folded text".into());
        }
        check_view(&d, &bounds, input.len(), !sig.truncated, "deleet")?;
        report.built.push(ViewKind::Deleet);
    }
    if let Some(h) = views::hidden(&raw) {
        check_view(&h, &bounds, input.len(), false, "hidden")?;
        let (hf, _) = views::fold(&h, ViewKind::Hidden, cap);
        check_view(&hf, &bounds, input.len(), false, "hidden folded")?;
        report.built.push(ViewKind::Hidden);
    }
    if decode::has_candidates(&clean.text) {
        let budget = input.len().saturating_mul(2).saturating_add(4096);
        let d = decode::decode_all(&clean.text, &|s, e| clean.span(s, e), 4, budget);
        if !d.parts.is_empty() {
            let dv = views::segments_view(&d.parts, ViewKind::Decoded);
            check_view(&dv, &bounds, input.len(), false, "decoded")?;
            let (df, _) = views::fold(&dv, ViewKind::Decoded, cap.saturating_mul(2));
            check_view(&df, &bounds, input.len(), false, "decoded folded")?;
            report.built.push(ViewKind::Decoded);
        }
    }
    report.folded = folded.text.into_owned();
    report.clean = clean.text.into_owned();
    Ok(report)
}

/// Checks one view's map (see [`check_views`]). `covering` also asks that
/// consecutive characters come from the same or adjacent original spans and
/// that the view reaches the end of the input.
fn check_view(
    v: &View<'_>,
    bounds: &[bool],
    len: usize,
    covering: bool,
    name: &str,
) -> Result<(), String> {
    v.check_map(len).map_err(|e| format!("{name}: {e}"))?;
    let text: &str = &v.text;
    let mut prev: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        let (s, e) = v.span(i, i + c.len_utf8());
        if s > e || e > len {
            return Err(format!(
                "{name}: char {i} maps to {s}..{e} outside 0..{len}"
            ));
        }
        if !bounds[s] || !bounds[e] {
            return Err(format!(
                "{name}: char {i} maps to {s}..{e}, not on character boundaries"
            ));
        }
        if covering {
            if let Some((ps, pe)) = prev {
                if s != ps && s != pe {
                    return Err(format!(
                        "{name}: gap or overlap between {ps}..{pe} and {s}..{e} at view byte {i}"
                    ));
                }
            }
        }
        prev = Some((s, e));
    }
    if covering {
        if let Some((_, e)) = prev {
            if e != len {
                return Err(format!(
                    "{name}: last span ends at {e}, input has {len} bytes"
                ));
            }
        }
    }
    Ok(())
}

/// The squashed view holds the folded view's letters and digits in order,
/// each character spanning original bytes on character boundaries, the
/// spans in order.
fn check_squashed(
    sq: &views::Squashed,
    folded: &View<'_>,
    bounds: &[bool],
    len: usize,
) -> Result<(), String> {
    let want: String = folded
        .text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if sq.text != want {
        return Err(format!(
            "squashed: {:?}, the folded view's letters and digits are {:?}",
            short(&sq.text),
            short(&want)
        ));
    }
    let mut prev = 0;
    for (i, c) in sq.text.char_indices() {
        let (s, e) = sq.span(folded, i, i + c.len_utf8());
        if s > e || e > len || !bounds[s] || !bounds[e] {
            return Err(format!(
                "squashed: char {i} maps to {s}..{e} (input {len} bytes, or not on character boundaries)"
            ));
        }
        if s < prev {
            return Err(format!(
                "squashed: char {i} maps to {s}..{e}, before {prev}"
            ));
        }
        prev = s;
    }
    Ok(())
}

/// What [`check_decode`] decoded.
#[derive(Debug, Default)]
pub struct DecodeReport {
    /// Decoded texts, outermost first.
    pub parts: Vec<String>,
    /// Some encoding was nested deeper than allowed.
    pub depth_exceeded: bool,
    /// The byte budget ran out.
    pub budget_exceeded: bool,
}

/// Peels every encoding of `text` with `max_depth` and `budget` and checks
/// that the work stayed within them: at most `budget` decoded bytes in all,
/// every segment's span inside `text` on character boundaries.
pub fn check_decode(text: &str, max_depth: usize, budget: usize) -> Result<DecodeReport, String> {
    let d = decode::decode_all(text, &|s, e| (s, e), max_depth, budget);
    let total: usize = d.parts.iter().map(|p| p.0.len()).sum();
    if total > budget {
        return Err(format!("decoded {total} bytes, budget {budget}"));
    }
    if max_depth == 0 && !d.parts.is_empty() {
        return Err("decoded with max_depth 0".into());
    }
    for (t, (s, e)) in &d.parts {
        if s >= e || *e > text.len() || !text.is_char_boundary(*s) || !text.is_char_boundary(*e) {
            return Err(format!(
                "segment {:?} has bad span {s}..{e} in {} bytes",
                short(t),
                text.len()
            ));
        }
    }
    Ok(DecodeReport {
        parts: d.parts.into_iter().map(|p| p.0).collect(),
        depth_exceeded: d.depth_exceeded,
        budget_exceeded: d.budget_exceeded,
    })
}

/// The folded text of `s`, as the `folded` view renders it.
pub fn fold(s: &str) -> String {
    crate::engine::fold_str(s)
}

/// The literals of the guard's main (folded) automaton: every phrase,
/// sequence term, rot13 variant and regex keyword, folded. A bare
/// automaton over these is the benchmarks' baseline. Listed by compiling
/// the guard's policy again (a guard does not keep them: collecting them
/// cost every build about 2%).
pub fn literals(guard: &Guard) -> Vec<String> {
    let mut l = Vec::new();
    Guard::compile(guard.policy(), Some(&mut l)).expect("the guard's own policy compiles");
    l
}

/// Heap bytes of the guard's literal automata and compiled regexes, not
/// counting the regexes' search caches (which grow per thread as they
/// meet new text).
pub fn engine_memory(guard: &Guard) -> (usize, usize) {
    guard.engine().memory()
}

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}

/// A guard built without its warm-up (no search cache filled yet), for
/// the report's measure of what a guard holds apart from its caches.
pub fn build_cold(policy: &crate::Policy) -> Result<Guard, crate::Error> {
    Guard::compile(policy, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_of_invalid_utf8() {
        // "a", invalid 0xff, "é" (2 bytes), truncated 3-byte sequence.
        let b = char_boundaries(b"a\xff\xc3\xa9\xe2\x82");
        assert_eq!(b, [true, true, true, false, true, false, true]);
    }

    #[test]
    fn views_check_passes_on_ordinary_text() {
        let r = check_views(
            "Ign\u{200b}ore  \u{430}ll pr\u{435}vious, i g n o r e, 1gn0r3 4ll".as_bytes(),
            4,
        )
        .unwrap();
        assert_eq!(r.folded, "ignore all previous, i g n o r e, 1gn0r3 4ll");
        assert!(r.built.contains(&ViewKind::Squashed));
        assert!(r.built.contains(&ViewKind::Deleet));
    }

    #[test]
    fn literals_are_folded() {
        let g = Guard::default();
        let l = literals(&g);
        assert!(!l.is_empty());
        assert!(l.iter().all(|s| fold(s) == *s));
    }
}
