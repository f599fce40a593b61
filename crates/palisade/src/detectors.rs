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
];

pub(crate) fn lookup(name: &str) -> Option<Detector> {
    Some(match name {
        "unicode_tags" => unicode_tags,
        "variation_selectors" => variation_selectors,
        "bidi_controls" => bidi_controls,
        "invisible_in_words" => invisible_in_words,
        "mixed_script_words" => mixed_script_words,
        _ => return None,
    })
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
/// split words for a matcher while a reader sees nothing.
fn invisible_in_words(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.invisible_in_word < 2 {
        return Vec::new();
    }
    let text: &str = &ctx.raw.text;
    let mut out: Vec<(usize, usize, ViewKind)> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for k in 1..chars.len().saturating_sub(1) {
        let (i, c) = chars[k];
        let invisible = views::is_ignorable(c)
            && !matches!(c as u32, 0xFE00..=0xFE0F | 0xE0000..=0xE0FFF | 0x202A..=0x202E | 0x2066..=0x2069);
        if invisible && chars[k - 1].1.is_alphanumeric() && chars[k + 1].1.is_alphanumeric() {
            let (s, e) = ctx.raw.span(chars[k - 1].0, i + c.len_utf8());
            match out.last_mut() {
                Some(last) if s <= last.1 + 16 => last.1 = e,
                _ => out.push((s, e, ViewKind::Folded)),
            }
        }
    }
    out
}

/// Words that mix Latin letters with look-alikes from other scripts
/// (`pаypal` with a Cyrillic а): the mark of a homoglyph disguise.
fn mixed_script_words(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    if ctx.signals.confusables == 0 {
        return Vec::new();
    }
    let text: &str = &ctx.raw.text;
    let mut out: Vec<(usize, usize, ViewKind)> = Vec::new();
    let mut word_start = None;
    let mut latin = 0usize;
    let mut lookalike = 0usize;
    let flush = |s: Option<usize>,
                 e: usize,
                 latin: usize,
                 lookalike: usize,
                 out: &mut Vec<(usize, usize, ViewKind)>| {
        if let Some(s) = s {
            if latin >= 1 && lookalike >= 1 && latin + lookalike >= 3 {
                let (a, b) = ctx.raw.span(s, e);
                out.push((a, b, ViewKind::Folded));
            }
        }
    };
    for (i, c) in text.char_indices() {
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
            flush(word_start, i, latin, lookalike, &mut out);
            word_start = None;
            latin = 0;
            lookalike = 0;
        }
    }
    flush(word_start, text.len(), latin, lookalike, &mut out);
    out
}

/// A non-Latin letter whose fold is a single ASCII letter (Cyrillic а,
/// Greek ο), as opposed to a compatibility form like full-width a.
fn is_lookalike_letter(c: char) -> bool {
    use unicode_normalization::UnicodeNormalization;
    // Latin letters with diacritics (é, ø, ł) are spelling, not disguise.
    if matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F)
    {
        return false;
    }
    match views::fold_char(c) {
        Some(rep) if rep.len() == 1 && rep.as_bytes()[0].is_ascii_alphabetic() => {
            std::iter::once(c).nfkc().eq(std::iter::once(c))
        }
        _ => false,
    }
}
