//! Built-in detectors: signals that are computed, not matched. A rule names
//! one with `detector = "..."`; its id, severity and weight stay data.

use crate::types::ViewKind;
use crate::views::{self, Signals};

/// What a detector sees.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// The input text (lossy UTF-8; spans are original byte offsets because
    /// detectors only run on valid UTF-8 or use `span`).
    pub raw: &'a views::View<'a>,
    pub signals: &'a Signals,
    /// Every source (the input, its hidden text, its decoded text).
    pub sources: &'a [crate::engine::Source<'a>],
    /// Allow-lists and registered context for the response detectors.
    pub env: &'a crate::response::Env<'a>,
    /// The text is a whole input of at most [`crate::Guard::document_max`]
    /// bytes, which a stream also inspects in one piece: detectors that
    /// judge a text as a document (its first and last lines) run only then,
    /// so streams and one-shot inspection agree.
    pub document: bool,
}

impl<'a> Context<'a> {
    /// The input's clean view (NFKC, invisible characters and marks on
    /// ASCII letters dropped, case kept), or the raw view when there are no
    /// sources.
    pub fn clean(&self) -> &'a views::View<'a> {
        self.sources.first().map_or(self.raw, |s| &s.clean)
    }
}

/// A detector: returns original spans with the view that saw them.
pub(crate) type Detector = fn(&Context<'_>) -> Vec<(usize, usize, ViewKind)>;

/// Names a rule may use in `detector = "..."`.
pub(crate) const NAMES: &[&str] = &[
    "unicode_tags",
    "variation_selectors",
    "bidi_controls",
    "invisible_in_words",
    "mixed_script_words",
    "system_prompt_leak",
    "context_leak",
    "system_prompt_pieces",
    "context_pieces",
    "canary",
    "exfil_image",
    "exfil_link",
    "exfil_bare_url",
    "exfil_data_url",
    "exfil_shortener",
    "adversarial_suffix",
    "token_flood",
    "embedded_task",
];

pub(crate) fn lookup(name: &str) -> Option<Detector> {
    Some(match name {
        "unicode_tags" => unicode_tags,
        "variation_selectors" => variation_selectors,
        "bidi_controls" => bidi_controls,
        "invisible_in_words" => invisible_in_words,
        "mixed_script_words" => mixed_script_words,
        "system_prompt_leak" => crate::response::system_prompt_leak,
        "context_leak" => crate::response::context_leak,
        "system_prompt_pieces" => crate::response::system_prompt_pieces,
        "context_pieces" => crate::response::context_pieces,
        "canary" => crate::response::canary,
        "exfil_image" => crate::response::exfil_image,
        "exfil_link" => crate::response::exfil_link,
        "exfil_bare_url" => crate::response::exfil_bare_url,
        "exfil_data_url" => crate::response::exfil_data_url,
        "exfil_shortener" => crate::response::exfil_shortener,
        "adversarial_suffix" => crate::gibberish::adversarial_suffix,
        "token_flood" => crate::gibberish::token_flood,
        "embedded_task" => crate::embedded::embedded_task,
        _ => return None,
    })
}

/// How far past a hit's start the detector `name` may read to decide it,
/// when that is farther than the bytes of the hit itself (0 otherwise): a
/// stream's windows see at least this much after their zone.
pub(crate) fn reach(name: &str) -> usize {
    match name {
        "adversarial_suffix" => crate::gibberish::REACH,
        _ => 0,
    }
}

/// Runs of characters matching `pred` (as original spans), merged across
/// gaps of at most `gap` bytes.
fn runs(
    ctx: &Context<'_>,
    pred: impl Fn(char) -> bool,
    min: usize,
    gap: usize,
) -> Vec<(usize, usize, ViewKind)> {
    let text: &str = &ctx.raw.text;
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize, usize)> = None; // start, end, count
    for (i, c) in text.char_indices() {
        if pred(c) {
            let e = i + c.len_utf8();
            cur = match cur {
                Some((s, pe, n)) if i - pe <= gap => Some((s, e, n + 1)),
                Some((s, pe, n)) => {
                    if n >= min {
                        out.push((s, pe));
                    }
                    Some((i, e, 1))
                }
                None => Some((i, e, 1)),
            };
        }
    }
    if let Some((s, e, n)) = cur {
        if n >= min {
            out.push((s, e));
        }
    }
    out.into_iter()
        .map(|(s, e)| {
            let (a, b) = ctx.raw.span(s, e);
            (a, b, ViewKind::Hidden)
        })
        .collect()
}

/// Text written in Unicode tag characters (invisible ASCII).
fn unicode_tags(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.tags == 0 {
        return Vec::new();
    }
    runs(ctx, |c| (0xE0020..=0xE007E).contains(&(c as u32)), 2, 8)
}

/// Runs of variation selectors long enough to carry bytes (a single one is
/// ordinary emoji presentation).
fn variation_selectors(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.variation_selectors < 3 {
        return Vec::new();
    }
    runs(
        ctx,
        |c| matches!(c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF),
        3,
        0,
    )
}

/// Bidi embedding, override and isolate controls, which reorder what a
/// reader sees relative to what a model reads.
fn bidi_controls(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.bidi == 0 {
        return Vec::new();
    }
    runs(
        ctx,
        |c| matches!(c as u32, 0x202A..=0x202E | 0x2066..=0x2069),
        1,
        64,
    )
    .into_iter()
    .map(|(s, e, _)| (s, e, ViewKind::Raw))
    .collect()
}

/// Zero-width and other invisible characters placed inside words, which
/// split words for a matcher while a reader sees nothing. Reported where at
/// least two sit within 16 bytes of each other (a single joiner is ordinary
/// in emoji and some scripts); the count is local so that a stream, which
/// sees the text in windows, finds the same spans.
fn invisible_in_words(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.invisible_in_word < 2 {
        return Vec::new();
    }
    let text: &str = &ctx.raw.text;
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for k in 1..chars.len().saturating_sub(1) {
        let (i, c) = chars[k];
        let invisible = views::is_ignorable(c)
            && !matches!(c as u32, 0xFE00..=0xFE0F | 0xE0000..=0xE0FFF | 0x202A..=0x202E | 0x2066..=0x2069);
        if invisible && chars[k - 1].1.is_alphanumeric() && chars[k + 1].1.is_alphanumeric() {
            let (s, e) = ctx.raw.span(chars[k - 1].0, i + c.len_utf8());
            match runs.last_mut() {
                Some(last) if s <= last.1 + 16 => {
                    last.1 = e;
                    last.2 += 1;
                }
                _ => runs.push((s, e, 1)),
            }
        }
    }
    runs.into_iter()
        .filter(|r| r.2 >= 2)
        .map(|(s, e, _)| (s, e, ViewKind::Folded))
        .collect()
}

/// Words that mix Latin letters with look-alikes from other scripts
/// (`pаypal` with a Cyrillic а): the mark of a homoglyph disguise.
fn mixed_script_words(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.confusables == 0 {
        return Vec::new();
    }
    let text: &str = &ctx.raw.text;
    let b = text.as_bytes();
    let mut out: Vec<(usize, usize, ViewKind)> = Vec::new();
    // A run holding an ASCII letter and a non-ASCII character holds the two
    // side by side somewhere (its bytes are all of one kind or the other):
    // runs are read only around such a pair, from the last ASCII byte
    // other than a letter before it (where no run goes on), and text whose
    // words are each in one script (Cyrillic, whose letters are
    // look-alikes, beside English) is passed over eight bytes at a time.
    let mut done = 0;
    let mut from = 0;
    while let Some(p) = latin_next_to_other(b, from) {
        let mut start = p;
        while start > done && (b[start - 1] >= 0x80 || b[start - 1].is_ascii_alphabetic()) {
            start -= 1;
        }
        done = word_runs(ctx, text, start, p, &mut out);
        from = done.max(p + 1);
    }
    out
}

/// The first `p` at or after `from` where an ASCII letter and a byte of a
/// non-ASCII character (`b[p]`, `b[p + 1]`, in either order) meet.
fn latin_next_to_other(b: &[u8], from: usize) -> Option<usize> {
    use crate::bitmask::{HI, LO};
    let mut i = from;
    // Eight bytes at a time, one byte of overlap: the pairs of bytes
    // `i..i + 8` (its last byte pairs with the next load's first).
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let other = x & HI;
        // ASCII letters: `x | 0x20` in `a..=z` among bytes below 0x80
        // (whose sums do not carry into the next byte).
        let y = (x & !HI) | (0x20 * LO);
        let letter = (y + (0x80 - 0x61) * LO) & !(y + (0x80 - 0x7B) * LO) & !x & HI;
        let pairs = (letter & (other >> 8)) | (other & (letter >> 8));
        if pairs != 0 {
            return Some(i + (pairs.trailing_zeros() / 8) as usize);
        }
        i += 7;
    }
    (i..b.len().saturating_sub(1)).find(|&k| {
        let (c, d) = (b[k], b[k + 1]);
        (c.is_ascii_alphabetic() && d >= 0x80) || (c >= 0x80 && d.is_ascii_alphabetic())
    })
}

/// Reads the runs of `text` from `i` (where no run goes on) until one
/// past `until` ends, reporting mixed words of candidate runs into `out`;
/// returns where it stopped (again where no run goes on).
fn word_runs(
    ctx: &Context<'_>,
    text: &str,
    mut i: usize,
    until: usize,
    out: &mut Vec<(usize, usize, ViewKind)>,
) -> usize {
    // Words are runs of ASCII letters and non-ASCII characters other than
    // whitespace. Only words with an ASCII letter and a non-ASCII character
    // can mix scripts, and only those pay for the Unicode look-ups.
    let b = text.as_bytes();
    while i < b.len() && i <= until {
        let is_word = |j: usize| b[j].is_ascii_alphabetic() || b[j] >= 0x80;
        if !is_word(i) {
            i += 1;
            continue;
        }
        let s = i;
        let mut latin = 0usize;
        let mut non_ascii = false;
        while i < b.len() && is_word(i) {
            if b[i] >= 0x80 {
                // Stop at non-ASCII whitespace. Every such character starts
                // with one of four bytes (U+0085 and U+00A0: C2; U+1680:
                // E1; U+2000 to U+205F: E2; U+3000: E3): only those are
                // decoded, the other characters stepped over by the length
                // their lead byte gives (`i` is always a character start).
                if matches!(b[i], 0xC2 | 0xE1 | 0xE2 | 0xE3)
                    && text[i..].chars().next().is_some_and(char::is_whitespace)
                {
                    break;
                }
                non_ascii = true;
                i += match b[i].leading_ones() {
                    3 => 3,
                    4 => 4,
                    _ => 2,
                };
            } else {
                latin += 1;
                i += 1;
            }
        }
        if latin >= 1 && non_ascii {
            mixed_words_in(ctx, s, &text[s..i], out);
        }
        if i == s {
            // A non-ASCII space: step over the whole character.
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    i
}

/// The exact test on a candidate run at `base`: words are runs of letters
/// and invisible characters; a word of at least three letters mixing Latin
/// letters with look-alikes from other scripts is reported.
fn mixed_words_in(
    ctx: &Context<'_>,
    base: usize,
    run: &str,
    out: &mut Vec<(usize, usize, ViewKind)>,
) {
    let mut word_start = None;
    let mut latin = 0usize;
    let mut lookalike = 0usize;
    let mut flush = |s: Option<usize>, e: usize, latin: usize, lookalike: usize| {
        if let Some(s) = s {
            if latin >= 1 && lookalike >= 1 && latin + lookalike >= 3 {
                let (a, b) = ctx.raw.span(base + s, base + e);
                out.push((a, b, ViewKind::Folded));
            }
        }
    };
    for (i, c) in run.char_indices() {
        if c.is_alphabetic() || views::is_ignorable(c) {
            if word_start.is_none() {
                word_start = Some(i);
            }
            if c.is_ascii_alphabetic() {
                latin += 1;
            } else if !c.is_ascii() && is_lookalike_letter(c) {
                lookalike += 1;
            }
        } else {
            flush(word_start, i, latin, lookalike);
            word_start = None;
            latin = 0;
            lookalike = 0;
        }
    }
    flush(word_start, run.len(), latin, lookalike);
}

/// A non-Latin letter whose fold is a single ASCII letter (Cyrillic а,
/// Greek ο), as opposed to a compatibility form like full-width a.
fn is_lookalike_letter(c: char) -> bool {
    use unicode_normalization::UnicodeNormalization;
    // Latin letters with diacritics (é, ø, ł) are spelling, not disguise.
    if views::is_latin_extended(c) {
        return false;
    }
    match views::fold_char(c) {
        Some(rep) if rep.len() == 1 && rep.as_bytes()[0].is_ascii_alphabetic() => {
            std::iter::once(c).nfkc().eq(std::iter::once(c))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte scan for candidate runs finds the runs a character
        /// scan finds (ASCII letters and non-ASCII characters other than
        /// whitespace), so the same words are reported.
        #[test]
        fn mixed_words_match_a_char_scan(
            s in "[a-cXZ ,.7\u{430}\u{43e}\u{3bf}\u{4e2d}\u{3042}\u{e9}\u{a0}\u{3000}\u{2003}\u{1680}\u{85}\u{200b}\u{1f600}]{0,40}|([a-z]{0,9}|[\u{430}-\u{44f}]{0,7}|[ ,\n]|\u{4e2d}|\u{a0}){0,24}"
        ) {
            let raw = views::raw(s.as_bytes());
            let (_, mut sig) = views::fold(&raw, ViewKind::Folded, usize::MAX);
            sig.confusables = sig.confusables.max(1);
            let env = crate::response::Env::new(&[], Vec::new());
            let ctx = Context { raw: &raw, signals: &sig, sources: &[], env: &env, document: true };
            let mut slow = Vec::new();
            let mut run: Option<usize> = None;
            let flush = |from: Option<usize>, to: usize, slow: &mut Vec<_>| {
                if let Some(a) = from {
                    let r = &s[a..to];
                    if r.bytes().any(|b| b.is_ascii_alphabetic()) && !r.is_ascii() {
                        mixed_words_in(&ctx, a, r, slow);
                    }
                }
            };
            for (i, c) in s.char_indices() {
                if c.is_ascii_alphabetic() || (!c.is_ascii() && !c.is_whitespace()) {
                    run.get_or_insert(i);
                } else {
                    flush(run.take(), i, &mut slow);
                }
            }
            flush(run, s.len(), &mut slow);
            prop_assert_eq!(mixed_script_words(&ctx), slow);
        }
    }

    /// `mixed_script_words` decodes only characters starting with these
    /// bytes when it looks for the end of a run: every non-ASCII
    /// whitespace character starts with one.
    #[test]
    fn non_ascii_whitespace_lead_bytes() {
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            if c.is_whitespace() {
                let mut buf = [0u8; 4];
                let lead = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(
                    matches!(lead, 0xC2 | 0xE1 | 0xE2 | 0xE3),
                    "U+{:04X} starts with {lead:#X}",
                    c as u32
                );
            }
        }
    }
}
