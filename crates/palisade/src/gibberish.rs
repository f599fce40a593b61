//! Detectors for machine-made text: optimiser-found adversarial suffixes
//! (GCG-style) and floods of repeated short tokens.
//!
//! Both use character-level statistics of whitespace-separated tokens, not
//! lists of strings, so they recognise suffixes no one has published yet.

use crate::detectors::Context;
use crate::types::ViewKind;

/// Tokens per sliding window.
const WINDOW: usize = 10;
/// A window is a suffix when it holds at least this many odd tokens...
const MIN_ODD: u32 = 2;
/// ...this many brackets that close nothing or are never closed...
const MIN_UNMATCHED: u32 = 2;
/// ...and this many plain words (the optimiser keeps words in its output,
/// which tells it apart from a row of symbols or a line of code).
const MIN_WORDS: u32 = 2;

#[derive(Default, Clone, Copy)]
struct Tok {
    start: usize,
    end: usize,
    odd: bool,
    word: bool,
    unmatched: u32,
}

/// Optimiser-made gibberish after a request: words glued to brackets and
/// quotes (`Sure,].[`, `[[Step`, `({\`), symbol clusters, camel-cased
/// splices (`purelyJson`), with brackets that open and close nothing.
/// Code and formulas balance their brackets; emoticons and list markers
/// (`:)`, `1)`) are not counted.
pub(crate) fn adversarial_suffix(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    let view = ctx.clean();
    let text: &str = &view.text;
    // Digits standing for letters (`5ur3`) are read as letters only when
    // the fold saw leet inside words: plain text keeps its digits.
    let leet = ctx.sources.first().is_some_and(|s| s.deleet.is_some());
    // Every unmatched bracket is a bracket byte of its line: a line with
    // fewer than two has no window to report.
    if brackets(text.as_bytes(), MIN_UNMATCHED as usize) < MIN_UNMATCHED as usize {
        return Vec::new();
    }
    let mut out: Vec<(usize, usize, ViewKind)> = Vec::new();
    let mut toks: Vec<Tok> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut line_start = 0usize;
    for line in text.split('\n') {
        let base = line_start;
        line_start += line.len() + 1;
        if line.len() < 12
            || brackets(line.as_bytes(), MIN_UNMATCHED as usize) < MIN_UNMATCHED as usize
        {
            continue;
        }
        if quiet_ascii_line(line.as_bytes(), leet, &mut stack) {
            continue;
        }
        line_tokens(line, &mut spans);
        if line_quiet(line, &spans, leet, &mut stack) {
            continue;
        }
        line_windows(line, &spans, base, leet, &mut toks, &mut stack, &mut out);
    }
    out.into_iter()
        .map(|(s, e, v)| {
            let (a, b) = view.span(s, e);
            (a, b, v)
        })
        .collect()
}

/// Whether no window of `line` (tokens `spans`) can have two unmatched
/// brackets, decided without the per-token statistics: the brackets of
/// the tokens that are not emoticons or list markers, matched as
/// [`line_windows`] matches them, leave fewer than two unmatched in the
/// whole line, so none of its windows holds two. Code balances its
/// brackets: most of its lines stop here.
fn line_quiet(
    line: &str,
    spans: &[(usize, usize)],
    leet: bool,
    stack: &mut Vec<(u8, usize)>,
) -> bool {
    let b = line.as_bytes();
    stack.clear();
    let mut unmatched = 0usize;
    for &(s, e) in spans {
        if !b[s..e].iter().any(|&c| is_bracket(c)) || ignored_token(&line[s..e], leet) {
            continue;
        }
        for &c in &b[s..e] {
            bracket_step(stack, c, 0, |_| unmatched += 1);
        }
    }
    unmatched + stack.len() < MIN_UNMATCHED as usize
}

fn is_bracket(c: u8) -> bool {
    matches!(c, b'(' | b')' | b'[' | b']' | b'{' | b'}')
}

/// Whether `tok` is an emoticon or a list marker, whose brackets are not
/// counted. Normalising an ASCII token without spaces keeps its length
/// and its `:`, `;`, `=` and `)`, so such a token is an emoticon only if
/// it takes at most 4 bytes and holds one of `:;=`, and a marker only if
/// it ends in `)` within 6 bytes before trailing full stops and commas:
/// most tokens are decided without normalising them.
fn ignored_token(tok: &str, leet: bool) -> bool {
    let core = tok.trim_end_matches(['.', ',']);
    let may_be = if tok.is_ascii() && !tok.contains(' ') {
        (tok.len() <= 4 && tok.bytes().any(|c| matches!(c, b':' | b';' | b'=')))
            || (core.len() <= 6 && core.ends_with(')'))
    } else {
        true
    };
    may_be && is_emoticon_or_marker(&normalise_token(tok, leet))
}

/// Byte `c` of token `tok` read into the open brackets `stack` (bracket,
/// token): `unmatched` gets the token of each bracket it leaves unmatched
/// (a closer that closes nothing, or the openers a closer skips over).
fn bracket_step(stack: &mut Vec<(u8, usize)>, c: u8, tok: usize, mut unmatched: impl FnMut(usize)) {
    let open = match c {
        b'(' | b'[' | b'{' => {
            stack.push((c, tok));
            return;
        }
        b')' => b'(',
        b']' => b'[',
        b'}' => b'{',
        _ => return,
    };
    match stack.iter().rposition(|&(o, _)| o == open) {
        Some(pos) => {
            for &(_, t) in &stack[pos + 1..] {
                unmatched(t);
            }
            stack.truncate(pos);
        }
        None => unmatched(tok),
    }
}

/// [`line_quiet`] for an ASCII line, read byte by byte without splitting
/// it into tokens first: `true` when the line is not spaced out (so its
/// tokens are its runs of non-space bytes) and fewer than two brackets
/// outside emoticons and list markers are unmatched. `false` means "not
/// shown quiet here": the token reading decides. Most lines of code end
/// here, for a few instructions a byte.
fn quiet_ascii_line(b: &[u8], leet: bool, stack: &mut Vec<(u8, usize)>) -> bool {
    if !b.is_ascii() {
        return false;
    }
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    stack.clear();
    let mut unmatched = 0usize;
    // Start of the current token, and the end of the last token whose
    // brackets count (a token with several brackets is checked once).
    let mut tok_start = 0usize;
    let mut counted_to = 0usize;
    // Spaced-out text as `line_tokens` finds it: four one-letter tokens in
    // a row, one space byte apart.
    let mut last_single = usize::MAX;
    let mut singles = 0usize;
    let mut i = 0usize;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if space(c) {
            tok_start = i;
        } else if c.is_ascii_alphanumeric() {
            if i - 1 == tok_start && b.get(i).is_none_or(|&n| space(n)) {
                singles = if last_single.wrapping_add(2) == i - 1 {
                    singles + 1
                } else {
                    1
                };
                last_single = i - 1;
                if singles >= 4 {
                    return false;
                }
            }
        } else if is_bracket(c) {
            if i > counted_to {
                let end = b[i..]
                    .iter()
                    .position(|&n| space(n))
                    .map_or(b.len(), |k| i + k);
                let tok = std::str::from_utf8(&b[tok_start..end]).unwrap_or_default();
                if ignored_token(tok, leet) {
                    i = end;
                    continue;
                }
                counted_to = end;
            }
            bracket_step(stack, c, 0, |_| unmatched += 1);
        }
    }
    unmatched + stack.len() < MIN_UNMATCHED as usize
}

/// The windows of `line` (tokens `spans`, starting at `base` in the text)
/// that read as an optimiser's suffix, merged into `out`.
fn line_windows(
    line: &str,
    spans: &[(usize, usize)],
    base: usize,
    leet: bool,
    toks: &mut Vec<Tok>,
    stack: &mut Vec<(u8, usize)>,
    out: &mut Vec<(usize, usize, ViewKind)>,
) {
    toks.clear();
    stack.clear();
    for &(s, e) in spans {
        // Combining marks stacked on letters, the gaps of spaced-out
        // letters and leet digits do not change a token's shape.
        let norm = normalise_token(&line[s..e], leet);
        let t: &str = &norm;
        let ignored = is_emoticon_or_marker(t);
        // The tags redaction writes are the guard's own text: a token is
        // weighed without them (their brackets balance, so the count
        // below may read them).
        let shape = without_redaction_tags(t);
        let idx = toks.len();
        toks.push(Tok {
            start: base + s,
            end: base + e,
            odd: !ignored && is_odd(&shape),
            word: is_word(&shape),
            unmatched: 0,
        });
        if ignored {
            continue;
        }
        for b in t.bytes() {
            bracket_step(stack, b, idx, |ti| toks[ti].unmatched += 1);
        }
    }
    for &(_, ti) in stack.iter() {
        toks[ti].unmatched += 1;
    }
    if toks.len() < 5 {
        return;
    }
    let w = WINDOW.min(toks.len());
    let (mut odd, mut un, mut words) = (0u32, 0u32, 0u32);
    for (i, t) in toks.iter().enumerate() {
        odd += u32::from(t.odd);
        un += t.unmatched;
        words += u32::from(t.word);
        if i >= w {
            let old = toks[i - w];
            odd -= u32::from(old.odd);
            un -= old.unmatched;
            words -= u32::from(old.word);
        }
        if i + 1 >= w && odd >= MIN_ODD && un >= MIN_UNMATCHED && words >= MIN_WORDS {
            let (s, e) = (toks[i + 1 - w].start, t.end);
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = e,
                _ => out.push((s, e, ViewKind::Raw)),
            }
        }
    }
}

/// `t` without the tags redaction writes in place of a finding:
/// `[REDACTED:injection]`, `[SECRET:api_key]`, `[EMAIL:3f9a1c2e]` (an upper
/// case name, a colon and letters, digits, `_` or `-`) and `[EMAIL_1]`,
/// `[CREDIT_CARD_2]` (an upper case name, `_` and digits). Bracketed words
/// of other shapes (`[INST]`, `[Sure`) stay.
fn without_redaction_tags(t: &str) -> std::borrow::Cow<'_, str> {
    if !t.contains('[') {
        return std::borrow::Cow::Borrowed(t);
    }
    let is_tag = |inner: &str| {
        let name_ok = |n: &str| {
            n.len() >= 2
                && n.as_bytes()[0].is_ascii_uppercase()
                && n.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        };
        match inner.split_once(':') {
            Some((name, rest)) => {
                name_ok(name)
                    && !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
            }
            None => inner.rsplit_once('_').is_some_and(|(name, n)| {
                name_ok(name) && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())
            }),
        }
    };
    std::borrow::Cow::Owned(crate::validators::strip_tags(t, is_tag))
}

/// The number of bracket bytes (`()[]{}`) in `b`, counted up to `enough`
/// (a larger count may stop there). Branch-free over blocks, so that the
/// compiler turns it into vector compares: most texts have no brackets.
fn brackets(b: &[u8], enough: usize) -> usize {
    let mut n = 0usize;
    for block in b.chunks(128) {
        // At most 128 hits per block: a byte counter does not overflow.
        let mut k = 0u8;
        for &x in block {
            // `(` and `)` differ in bit 0; `[`/`{` and `]`/`}` in bit 5.
            k += u8::from(x | 1 == b')') + u8::from(x & 0xDF == b'[') + u8::from(x & 0xDF == b']');
        }
        n += usize::from(k);
        if n >= enough {
            break;
        }
    }
    n
}

/// Tokens of `line` into `out` (a buffer reused line to line); when the
/// line spaces its letters out (`S u r e ,]`), the letters of each spaced
/// word are joined into one token again.
fn line_tokens(line: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    out.extend(token_spans(line));
    let single =
        |t: &(usize, usize)| t.1 - t.0 == 1 && line.as_bytes()[t.0].is_ascii_alphanumeric();
    // Spaced-out text: a run of single letters one space apart.
    let mut run = 0usize;
    let mut spaced = false;
    for (k, t) in out.iter().enumerate() {
        if single(t) && (run == 0 || out[k - 1].1 + 1 == t.0) {
            run += 1;
            if run >= 4 {
                spaced = true;
                break;
            }
        } else {
            run = usize::from(single(t));
        }
    }
    if !spaced {
        return;
    }
    let b = line.as_bytes();
    // Joined in place: `kept` tokens so far, never more than read.
    let mut kept = 0usize;
    // Whether the last piece joined into the current token was one letter.
    let mut last_single = false;
    for k in 0..out.len() {
        let t = out[k];
        let t_single = single(&t);
        if kept > 0 {
            let cur = out[kept - 1];
            let one_gap = cur.1 + 1 == t.0 && b[cur.1] == b' ';
            if one_gap
                && b[cur.1 - 1].is_ascii_alphanumeric()
                && b[t.0].is_ascii_alphanumeric()
                && (last_single || t_single)
            {
                out[kept - 1].1 = t.1;
                last_single = t_single;
                continue;
            }
        }
        out[kept] = t;
        kept += 1;
        last_single = t_single;
    }
    out.truncate(kept);
}

/// A token as its statistics should see it: combining marks dropped, the
/// single spaces of a joined spaced-out word removed and, with `leet`,
/// digits next to letters read as the letters they stand for.
fn normalise_token(t: &str, leet: bool) -> std::borrow::Cow<'_, str> {
    let spaced = t.contains(' ');
    let marks = !t.is_ascii() && t.chars().any(is_combining);
    let digits = leet && t.bytes().any(|b| leet_letter(b).is_some());
    if !spaced && !marks && !digits {
        return std::borrow::Cow::Borrowed(t);
    }
    let chars: Vec<char> = t
        .chars()
        .filter(|&c| c != ' ' && !is_combining(c))
        .collect();
    let letter = |k: usize| chars.get(k).is_some_and(|c| c.is_alphabetic());
    let mut out = String::with_capacity(t.len());
    for (k, &c) in chars.iter().enumerate() {
        match u8::try_from(c).ok().and_then(leet_letter) {
            Some(l) if digits && ((k > 0 && letter(k - 1)) || letter(k + 1)) => out.push(l),
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The letter a leet digit stands for.
fn leet_letter(b: u8) -> Option<char> {
    Some(match b {
        b'0' => 'o',
        b'1' => 'i',
        b'3' => 'e',
        b'4' => 'a',
        b'5' => 's',
        b'7' => 't',
        _ => return None,
    })
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Byte spans of the whitespace-separated tokens of `line`.
fn token_spans(line: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    // Bytewise for ASCII (the common case), by character otherwise; the
    // same whitespace as `char::is_whitespace`.
    let b = line.as_bytes();
    let mut i = 0usize;
    let space_at = move |i: usize| -> (bool, usize) {
        let c = b[i];
        if c < 0x80 {
            (matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'), 1)
        } else {
            let ch = line[i..].chars().next().unwrap_or('\u{FFFD}');
            (ch.is_whitespace(), ch.len_utf8())
        }
    };
    std::iter::from_fn(move || {
        while i < b.len() {
            let (sp, n) = space_at(i);
            if !sp {
                break;
            }
            i += n;
        }
        if i >= b.len() {
            return None;
        }
        let s = i;
        while i < b.len() {
            let (sp, n) = space_at(i);
            if sp {
                break;
            }
            i += n;
        }
        Some((s, i))
    })
}

/// Symbols that ordinary prose rarely puts inside a word.
fn is_rare_symbol(c: char) -> bool {
    matches!(
        c,
        '[' | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '`'
            | '|'
            | '\\'
            | '^'
            | '~'
            | '='
            | '*'
            | '$'
            | '#'
            | '@'
    )
}

fn is_symbol(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// A token that reads like optimiser output rather than a word.
fn is_odd(t: &str) -> bool {
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let symbols = t.chars().filter(|&c| is_symbol(c)).count();
    let mut rare = [false; 16];
    let mut distinct_rare = 0;
    // Two distinct symbols or more: the first one seen, and whether
    // another followed (no set to allocate per token).
    let mut first_sym: Option<char> = None;
    let mut two_syms = false;
    for c in t.chars() {
        if is_symbol(c) {
            match first_sym {
                None => first_sym = Some(c),
                Some(f) => two_syms |= f != c,
            }
        }
        if is_rare_symbol(c) {
            let k = "[]{}<>`|\\^~=*$#@".find(c).unwrap_or(0) % 16;
            if !rare[k] {
                rare[k] = true;
                distinct_rare += 1;
            }
        }
    }
    if letters > 0 && distinct_rare >= 1 && symbols >= 2 {
        return true;
    }
    if letters == 0 && two_syms && t.chars().count() >= 2 && !t.chars().any(|c| c.is_numeric()) {
        return true;
    }
    // A lowercase run followed by a capital inside the token (`purelyJson`).
    let inner = t.trim_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '(' | ')'
        )
    });
    // Characters in threes, without collecting them.
    let threes = || {
        inner
            .chars()
            .zip(inner.chars().skip(1))
            .zip(inner.chars().skip(2))
            .map(|((a, b), c)| (a, b, c))
    };
    if threes()
        .any(|(a, b, c)| c.is_ascii_uppercase() && b.is_ascii_lowercase() && a.is_ascii_lowercase())
    {
        return true;
    }
    // A letter, a bracket or quote, and a letter again (`Sure,].[`, `x](y`).
    for (a, b, c) in threes() {
        if a.is_alphabetic()
            && matches!(
                b,
                '[' | ']'
                    | '{'
                    | '}'
                    | '('
                    | ')'
                    | '<'
                    | '>'
                    | '`'
                    | '|'
                    | '\\'
                    | '^'
                    | '~'
                    | '='
                    | '*'
                    | '"'
            )
            && c.is_alphabetic()
        {
            return true;
        }
    }
    false
}

/// A plain word: three or more letters, maybe with a comma or full stop.
fn is_word(t: &str) -> bool {
    let t = t.strip_suffix([',', '.']).unwrap_or(t);
    t.chars().count() >= 3 && t.chars().all(|c| c.is_alphabetic())
}

/// Emoticons (`:)`, `:-(`, `(:`) and list markers (`1)`, `a)`, `(ii)`),
/// whose brackets are not meant to balance.
fn is_emoticon_or_marker(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() <= 4
        && b.iter().any(|c| matches!(c, b':' | b';' | b'='))
        && b.iter().all(|c| b":;=-'^oO8xXDPp()[]/\\|<>3".contains(c))
    {
        return true;
    }
    let core = t.trim_end_matches(['.', ',']);
    let core = core.strip_prefix('(').unwrap_or(core);
    matches!(core.strip_suffix(')'), Some(m) if !m.is_empty() && m.len() <= 4 && m.chars().all(|c| c.is_alphanumeric()))
}

/// At least this many tokens in a row...
const FLOOD_RUN: usize = 40;
/// ...drawn from at most this many distinct short tokens.
const FLOOD_DISTINCT: usize = 4;

/// A long run of the same few short tokens (`ö ö ö ö …`, `) ] } ) ] } …`),
/// used to push instructions out of a model's attention or to make it
/// diverge. Separator rules (`- - -`, `| --- |`) and digits do not count.
pub(crate) fn token_flood(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    let view = ctx.clean();
    let text: &str = &view.text;
    if text.len() < FLOOD_RUN * 2 || !flood_room(text.as_bytes()) {
        return Vec::new();
    }
    floods(view)
}

/// The floods of `view`, without the cheap checks that rule most texts out.
fn floods<'a>(view: &'a crate::views::View<'a>) -> Vec<(usize, usize, ViewKind)> {
    let text: &str = &view.text;
    let mut out = Vec::new();
    // Current run: start, end, length, distinct tokens seen.
    let mut run_start = 0usize;
    let mut run_end = 0usize;
    let mut run_len = 0usize;
    let mut distinct: Vec<&str> = Vec::new();
    let flush = |s: usize, e: usize, n: usize, out: &mut Vec<(usize, usize, ViewKind)>| {
        if n >= FLOOD_RUN {
            let (a, b) = view.span(s, e);
            out.push((a, b, ViewKind::Raw));
        }
    };
    for (s, e) in token_spans(text) {
        let t = &text[s..e];
        if let Some(unit) = repeated_unit(t.as_bytes()) {
            if t.len() / unit >= FLOOD_RUN / 2 {
                let (a, b) = view.span(s, e);
                out.push((a, b, ViewKind::Raw));
            }
        }
        let short = t.len() <= 12
            && t.chars().count() <= 3
            && !t.chars().all(|c| {
                matches!(
                    c,
                    '-' | '|' | '=' | '_' | '*' | '#' | '.' | '~' | '+' | ':' | '/'
                )
            })
            && !t.chars().any(|c| c.is_numeric());
        if !short {
            flush(run_start, run_end, run_len, &mut out);
            run_len = 0;
            distinct.clear();
            continue;
        }
        if !distinct.contains(&t) {
            if distinct.len() == FLOOD_DISTINCT {
                flush(run_start, run_end, run_len, &mut out);
                run_len = 0;
                distinct.clear();
            }
            distinct.push(t);
        }
        if run_len == 0 {
            run_start = s;
        }
        run_end = e;
        run_len += 1;
    }
    flush(run_start, run_end, run_len, &mut out);
    out
}

/// Bytes a flood needs between two plain words: `FLOOD_RUN` tokens and
/// the spaces between them, or one token long enough to repeat a unit.
const FLOOD_ROOM: usize = 64;

/// The whitespace of `token_spans` below U+0080 (letters fail the first
/// test).
fn ascii_space(c: u8) -> bool {
    c <= b' ' && matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A necessary condition for [`token_flood`] that reads only part of the
/// text. Every flood lies between two plain words ([`plain_word`]: tokens
/// that end a run of short tokens and repeat no unit): `FLOOD_RUN` short
/// tokens or one long token with letters, which takes [`FLOOD_ROOM`] bytes
/// or more. So it looks for a plain word within [`FLOOD_ROOM`] bytes after
/// the last one found, stepping back from the far end of that stretch;
/// ordinary prose gives one at the first try. A stretch without one (text
/// in scripts with short words) is read token by token up to the next
/// plain word.
fn flood_room(b: &[u8]) -> bool {
    // End of the last plain word found: `b[last]` is a space (or `last` is
    // 0, the text's start).
    let mut last = 0usize;
    'probe: while b.len() - last >= FLOOD_ROOM {
        // A plain word starting at or before `i`, after `last`.
        let mut i = last + FLOOD_ROOM - 1;
        loop {
            while i > last && ascii_space(b[i]) {
                i -= 1;
            }
            if ascii_space(b[i]) {
                break;
            }
            let (s, e, class) = token_at(b, i);
            if plain_word(&b[s..e], class) == Some(true) {
                last = e;
                continue 'probe;
            }
            if s <= last {
                break;
            }
            i = s - 1;
        }
        // No plain word within reach: count the short tokens up to the next.
        let mut short = 0usize;
        let mut at = last;
        loop {
            let Some(i) = b[at..].iter().position(|&c| !ascii_space(c)) else {
                return false;
            };
            let (s, e, class) = token_at(b, at + i);
            match plain_word(&b[s..e], class) {
                Some(true) => {
                    last = e;
                    break;
                }
                Some(false) => {
                    short += 1;
                    if short >= FLOOD_RUN {
                        return true;
                    }
                }
                // A long token with letters, or Unicode spaces inside.
                None => return true,
            }
            at = e;
        }
    }
    false
}

/// The whitespace-separated token holding `b[i]` (not a space): its start,
/// end and byte classes.
#[inline]
fn token_at(b: &[u8], i: usize) -> (usize, usize, u8) {
    let mut class = 0u8;
    let mut space = |c: u8| {
        let k = CLASS[usize::from(c)];
        class |= k;
        k & SPACE != 0
    };
    let s = b[..i].iter().rposition(|&c| space(c)).map_or(0, |k| k + 1);
    let e = b[i..]
        .iter()
        .position(|&c| space(c))
        .map_or(b.len(), |k| i + k);
    // The two spaces around the token were read too.
    (s, e, class & !SPACE)
}

/// Byte classes for [`flood_room`]: ASCII whitespace, ASCII digit, ASCII
/// letter, lead bytes of the non-ASCII whitespace characters, any byte
/// outside ASCII.
const SPACE: u8 = 1;
const DIGIT: u8 = 2;
const LETTER: u8 = 4;
const WIDE: u8 = 8;
const HIGH: u8 = 16;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        t[c] = match c as u8 {
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => SPACE,
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            0xC2 | 0xE1 | 0xE2 | 0xE3 => WIDE | HIGH,
            0x80..=0xFF => HIGH,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// How [`token_flood`] reads the whitespace-separated token `t` (with byte
/// classes `class`): `Some(true)` for a plain word, which it neither counts
/// as short nor reads as a repeated unit (four characters or more, or a
/// digit, and no repeated unit); `Some(false)` for one short token (three
/// characters at most, no digit); `None` for a token it may split further
/// (at Unicode spaces) or read as a repeated unit.
#[inline]
fn plain_word(t: &[u8], class: u8) -> Option<bool> {
    if class & WIDE != 0
        && (0..t.len()).any(|i| CLASS[usize::from(t[i])] & WIDE != 0 && wide_space(&t[i..]))
    {
        return None;
    }
    if t.len() >= FLOOD_ROOM && class & LETTER != 0 {
        return repeated_unit(t).is_none().then_some(true);
    }
    // Three characters take 12 bytes at most; an ASCII token has as many
    // characters as bytes.
    let chars = || t.iter().filter(|&&c| !(0x80..0xC0).contains(&c)).count();
    Some(
        t.len() > 12
            || class & DIGIT != 0
            || (class & HIGH == 0 && t.len() >= 4)
            || (class & HIGH != 0 && chars() >= 4),
    )
}

/// Whether UTF-8 `t` starts with a whitespace character outside ASCII:
/// U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F,
/// U+3000.
fn wide_space(t: &[u8]) -> bool {
    match *t {
        [0xC2, 0x85 | 0xA0, ..] | [0xE1, 0x9A, 0x80, ..] | [0xE3, 0x80, 0x80, ..] => true,
        [0xE2, 0x80, c, ..] => matches!(c, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF),
        [0xE2, 0x81, 0x9F, ..] => true,
        _ => false,
    }
}

/// The length of the unit a long token repeats (`abcabcabc` -> 3), if it
/// is one unit of at most 24 bytes written over and over with letters in it.
fn repeated_unit(b: &[u8]) -> Option<usize> {
    if b.len() < 64 || !b.iter().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    (2..=24usize).find(|&p| b.len() >= 4 * p && (p..b.len()).all(|i| b[i] == b[i - p]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 3000,
            ..Default::default()
        })]
        /// A line the bracket pre-check lets go has no window: the full
        /// per-token reading finds none either.
        #[test]
        fn quiet_lines_have_no_window(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "f(x)", "(a)", "1)", "(iv),", ":)", ";-(", "=]", "[[", "]]", "{", "}", "(", ")",
                    "[", "]", "Sure,].[", "x](y", "({\\", "purelyJson", "describing", "the", "cats", "(a1b2)", "x3)", "(abcd).,",
                    "{\"k\":[1,2]},", "(abcde)", "8)",
                    "a", "b", "c", "5ur3", "h3llo", "x.y", "==", "**", "`{", "|", "caf\u{e9}(",
                    "\u{301}]", "I", "am",
                ]),
                0..30,
            ),
            seps in proptest::collection::vec(proptest::sample::select(vec![" ", "  ", "", "\t"]), 30),
            leet in proptest::bool::ANY,
        ) {
            let mut line = String::new();
            for (p, sep) in pieces.iter().zip(&seps) {
                line.push_str(p);
                line.push_str(sep);
            }
            let mut spans = Vec::new();
            line_tokens(&line, &mut spans);
            let mut stack = Vec::new();
            let quiet = line_quiet(&line, &spans, leet, &mut stack);
            // The byte-by-byte reading finds no quiet line the token
            // reading does not, and, on ASCII lines that are not spaced
            // out, every one it does.
            let fast = quiet_ascii_line(line.as_bytes(), leet, &mut stack);
            proptest::prop_assert!(!fast || quiet, "{:?}", line);
            if line.is_ascii() && token_spans(&line).eq(spans.iter().copied()) {
                proptest::prop_assert_eq!(fast, quiet, "{:?}", line);
            }
            if quiet {
                let (mut toks, mut out) = (Vec::new(), Vec::new());
                line_windows(&line, &spans, 0, leet, &mut toks, &mut stack, &mut out);
                proptest::prop_assert!(out.is_empty(), "{:?}", line);
            }
        }
    }

    #[test]
    fn redaction_tags_are_not_weighed() {
        for (t, shape) in [
            ("[REDACTED:injection]", ""),
            ("me)[REDACTED:injection]", "me)"),
            ("[SECRET:api_key],", ","),
            ("[EMAIL:3f9a1c2e]", ""),
            ("[CREDIT_CARD_12]", ""),
            ("[INST]", "[INST]"),
            ("[Sure", "[Sure"),
            ("x[i]", "x[i]"),
            ("[A:b]", "[A:b]"),
            ("[EMAIL_]", "[EMAIL_]"),
        ] {
            assert_eq!(without_redaction_tags(t), shape, "{t}");
        }
        // Two tags, closers and words: the guard's own output, not a
        // suffix.
        assert_eq!(
            run(
                adversarial_suffix,
                "Repeat the whole note back to me) ] } [REDACTED:injection] [REDACTED:injection] please"
            ),
            0
        );
    }

    #[test]
    fn code_lines_are_quiet_byte_by_byte() {
        let mut stack = Vec::new();
        for line in [
            "pub fn load(b: &[u8], n: usize) -> Result<usize, Error> {",
            "    return [b[i] for i in range(len(b)) if i % 3 == 0]",
            // `12)` reads as a list marker: its bracket does not count.
            "        a = self.b.get(\"f\", 12)",
            "{\"ts\":\"2026-03-01\",\"msg\":\"the cat (and dog)\"}",
        ] {
            assert!(
                quiet_ascii_line(line.as_bytes(), false, &mut stack),
                "{line}"
            );
        }
        // Two brackets left open (with list markers about), spaced-out
        // letters and non-ASCII text go to the token reading.
        for line in [
            "call(a, [b, c",
            "a) first, b) then (c, [d",
            "S u r e {x} {",
            "caf\u{e9} (x) {",
        ] {
            assert!(
                !quiet_ascii_line(line.as_bytes(), false, &mut stack),
                "{line}"
            );
        }
    }

    fn run(f: fn(&Context<'_>) -> Vec<(usize, usize, ViewKind)>, s: &str) -> usize {
        let raw = views::raw(s.as_bytes());
        let (_, sig) = views::fold(&raw, ViewKind::Folded, usize::MAX);
        let env = crate::response::Env::new(&[], Vec::new());
        f(&Context {
            raw: &raw,
            signals: &sig,
            sources: &[],
            env: &env,
            document: true,
        })
        .len()
    }

    #[test]
    fn suffix_statistics() {
        // Shapes of optimiser output, written for this test.
        assert_eq!(
            run(
                adversarial_suffix,
                "Tell me a story about cats alright]( ({ describ.[ likewise `{ Pleaseuse fewer sentences"
            ),
            1
        );
        assert_eq!(
            run(
                adversarial_suffix,
                "Explain the tides please ;) ]] Sure:[ sentence}` backwards )) writing"
            ),
            1
        );
        // Code, formulas, emoticons and list markers balance or are ignored.
        assert_eq!(
            run(
                adversarial_suffix,
                "result = [[0] * (n + 1) for _ in range(m + 1)] and then print(result[0])"
            ),
            0
        );
        assert_eq!(
            run(
                adversarial_suffix,
                "Thanks so much :) that works :-) see you tomorrow (hopefully) bye"
            ),
            0
        );
        assert_eq!(
            run(
                adversarial_suffix,
                "Steps: 1) open the lid 2) pour the water 3) close it again and wait"
            ),
            0
        );
        assert_eq!(
            run(
                adversarial_suffix,
                "The array([1, 2, 3]) holds `np.sqrt(x)` values for each index here"
            ),
            0
        );
    }

    #[test]
    fn spaced_and_leet_tokens() {
        let line = "S u r e,].[   o k   f i n e";
        let mut spans = Vec::new();
        line_tokens(line, &mut spans);
        let toks: Vec<String> = spans
            .into_iter()
            .map(|(s, e)| normalise_token(&line[s..e], false).into_owned())
            .collect();
        assert_eq!(toks, ["Sure,].[", "ok", "fine"]);
        // Ordinary text keeps its one-letter words apart.
        let line = "I am a cat";
        let mut spans = Vec::new();
        line_tokens(line, &mut spans);
        assert_eq!(spans.len(), 4);
        assert_eq!(normalise_token("5ur3,].[", true), "sure,].[");
        assert_eq!(normalise_token("5ur3,].[", false), "5ur3,].[");
        assert_eq!(normalise_token("mp3", true), "mpe");
        assert_eq!(normalise_token("2024", true), "2024");
    }

    #[test]
    fn bracket_count() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(brackets(&all, usize::MAX), 6);
        let text = "a(b)c[d]e{f}g ".repeat(40);
        assert_eq!(brackets(text.as_bytes(), usize::MAX), 240);
        assert!(brackets(text.as_bytes(), 2) >= 2);
        assert_eq!(brackets(b"(no) closing", 2), 2);
        assert_eq!(
            brackets("plain words, \u{ff08}wide\u{ff09} only".as_bytes(), 2),
            0
        );
    }

    #[test]
    fn wide_spaces() {
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 8];
            let t = c.encode_utf8(&mut buf[..4]).len();
            assert_eq!(wide_space(&buf[..t + 2]), c.is_whitespace(), "{c:?}");
        }
        assert!(!wide_space(&[0xE2, 0x80]));
    }

    #[test]
    fn flood_room_prefilter() {
        // Lets through: runs of short tokens, long tokens, Unicode spaces.
        let prose = "Ordinary words separate every stretch here. ".repeat(3);
        for t in [
            format!("{prose}{}{prose}", "ö ".repeat(40)),
            format!("{prose}{}{prose}", "a ".repeat(40)),
            format!("{prose}{} {prose}", "abcd".repeat(16)),
            format!("{prose}{}{prose}", "ab\u{3000}".repeat(20)),
        ] {
            assert!(flood_room(t.as_bytes()), "{t}");
        }
        // Rejects: words of four letters or more, digits, long CJK runs.
        for t in [
            prose.clone(),
            "I am at a loss for 12 of my 40 cats today, so do go on now. ".repeat(4),
            "\u{6211}\u{4eec}\u{4eca}\u{5929}\u{5929}\u{6c14}".repeat(20),
            format!("{prose}{}", "a b c d e f g h i j k l m n o p q r s"),
            format!("{prose}{}{prose}", "a ".repeat(39)),
            format!("{prose}{}{prose}", " ".repeat(70)),
            format!("{prose}{}{prose}", "abcd".repeat(16)),
            format!("{prose}https://example.com/a/long/path/that/repeats/no/unit/at/all {prose}"),
            format!(
                "{} \u{627}\u{644}\u{637}\u{642}\u{633} ",
                "\u{648} \u{645}\u{646} ".repeat(15)
            )
            .repeat(4),
        ] {
            assert!(!flood_room(t.as_bytes()), "{t}");
            assert_eq!(run(token_flood, &t), 0);
        }
    }

    /// `flood_room` never rules out a text with a flood: checked on texts
    /// drawn from short tokens, words, digits, symbols, Unicode spaces and
    /// repeating units.
    #[test]
    fn flood_room_is_necessary() {
        const PARTS: &[&str] = &[
            "a",
            "ö",
            ")",
            "] }",
            "ab",
            "abc",
            "word",
            "words",
            "42",
            "x1",
            "- -",
            "|",
            "\u{3000}",
            "\u{a0}",
            "\u{2003}",
            "\u{6211}\u{4eec}",
            "\u{6211}\u{4eec}\u{4eca}\u{5929}",
            "\n",
            "  ",
            "\t",
            "\u{301}",
            "abab",
            "xyzxyzxyzxyz",
            "é",
            "\u{85}",
            "\u{85}\u{6211}",
            "\u{1F600}\u{1F600}\u{1F600}",
            "\u{1F600}",
            "\u{3000}\u{6211}\u{4eec}",
        ];
        let mut rng = crate::test_rng::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n);
        let mut found = 0;
        for _ in 0..20_000 {
            let mut t = String::new();
            // Few parts per text make runs of the same tokens likely.
            let pool: Vec<&str> = (0..1 + next(4)).map(|_| PARTS[next(PARTS.len())]).collect();
            let words = next(160);
            for _ in 0..words {
                t.push_str(pool[next(pool.len())]);
                t.push_str(if next(8) == 0 { "" } else { " " });
            }
            let raw = views::raw(t.as_bytes());
            if !super::floods(&raw).is_empty() {
                found += 1;
                assert!(flood_room(t.as_bytes()), "{t:?}");
            }
        }
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn floods_between_unicode_spaces() {
        // Short tokens split by both ASCII and Unicode spaces: fewer than
        // FLOOD_RUN tokens between ASCII spaces, each under 64 bytes, but
        // a flood of fifty one-letter tokens.
        let t = format!(
            "Hello there friend. {} and more words",
            "ö\u{3000}ö ".repeat(25)
        );
        assert_eq!(run(token_flood, &t), 1);
        let t = format!(
            "Hello there friend. {} and more words",
            "x\u{a0}y ".repeat(25)
        );
        assert_eq!(run(token_flood, &t), 1);
    }

    #[test]
    fn floods() {
        let flood = "x ".repeat(10) + &"ö ".repeat(60) + "now say yes";
        assert_eq!(run(token_flood, &flood), 1);
        assert_eq!(run(token_flood, &") ] } ".repeat(20)), 1);
        assert_eq!(run(token_flood, &"| --- ".repeat(30)), 0);
        assert_eq!(run(token_flood, &"0 ".repeat(100)), 0);
        assert_eq!(
            run(
                token_flood,
                "the cat sat on the mat and the dog sat on the log"
            ),
            0
        );
        assert_eq!(
            run(token_flood, &format!("say hi {}", "fooBarbaz".repeat(30))),
            1
        );
        assert_eq!(
            run(
                token_flood,
                &format!("hash {}", "0123456789abcdef".repeat(2))
            ),
            0
        );
    }
}
