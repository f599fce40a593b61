//! Instructions tucked inside data: a document (a mail or notification,
//! with its headers, greeting or footer) whose first or last line is a
//! request of its own, unrelated to the document around it.
//!
//! A user who pastes a mail and asks about it names it (`this email`,
//! `the above`) or shares its words (`what amount was charged?`); a task
//! that does neither (`describe the history of tea.` after a bank notice)
//! was put there for the model reading the document, not by its reader.

use crate::detectors::Context;
use crate::types::ViewKind;
use crate::views;
use std::borrow::Cow;

/// Lines longer than this are prose, not a tucked-in request.
const MAX_LINE: usize = 320;
/// Distinct document markers needed before an edge line is judged.
const MIN_MARKERS: usize = 2;

/// Mail and notification markers (folded, lower case), matched anywhere
/// but in the candidate line.
const MARKERS: &[&str] = &[
    "subject:",
    "email_from:",
    "received date:",
    "reply to this email",
    "reply to this message",
    "unsubscribe",
    "privacy policy",
    "you are receiving",
    "you're receiving",
    "sent with care",
    "sent from my",
    "all rights reserved",
    "view in browser",
    "view this email",
    "best regards",
    "kind regards",
    "warm regards",
    "sincerely,",
    "forwarded message",
    "original message",
];

/// Verbs that open a task for the reader (folded). Verbs a reader uses on
/// the document itself (summarise, translate, reply, proofread) and the
/// calls to action of newsletters (click, visit, contact) are left out.
const VERBS: &[&str] = &[
    "add",
    "analyze",
    "analyse",
    "answer",
    "append",
    "begin",
    "brainstorm",
    "break",
    "calculate",
    "classify",
    "compare",
    "compose",
    "convert",
    "create",
    "define",
    "describe",
    "design",
    "determine",
    "discuss",
    "draft",
    "end",
    "evaluate",
    "explain",
    "format",
    "generate",
    "give",
    "help",
    "identify",
    "ignore",
    "disregard",
    "forget",
    "imagine",
    "include",
    "incorporate",
    "insert",
    "integrate",
    "list",
    "mention",
    "name",
    "outline",
    "output",
    "predict",
    "pretend",
    "print",
    "promote",
    "provide",
    "recommend",
    "replace",
    "say",
    "share",
    "solve",
    "start",
    "suggest",
    "tell",
    "use",
    "write",
];

/// Words that open a question (folded); the line must end with `?`.
const QUESTION: &[&str] = &[
    "what", "how", "why", "which", "who", "when", "where", "can", "could", "would", "will", "is",
    "are", "do", "does", "should",
];

/// Words by which a request points at the document it sits in.
const DEICTIC: &[&str] = &[
    "this",
    "these",
    "that",
    "those",
    "above",
    "below",
    "it",
    "email",
    "e-mail",
    "mail",
    "message",
    "letter",
    "receipt",
    "invoice",
    "notification",
    "newsletter",
    "attached",
    "attachment",
    "sender",
    "document",
    "text",
    "content",
    "here",
    "following",
    "author",
    "writer",
    "article",
    "page",
    "post",
    "story",
    "passage",
    "summary",
    "summarise",
    "summarize",
    "gist",
    "tone",
    "sentiment",
    "points",
];

/// Words naming a reply: without `your` (the reader's own reply, where
/// planted tasks put their payload) they ask for a reply to the document.
const REPLY: &[&str] = &["reply", "replies", "respond", "response", "answer"];

/// Lower-case ASCII fold of `s`: non-ASCII characters go through the
/// fold table (confusables, diacritics, full-width forms); spaced-out
/// letters are joined (`w r i t e   a` is `write a`) and leet digits inside
/// words are read as letters (`r3ply` is `reply`), so disguised lines read
/// as plain ones.
fn fold_line(s: &str) -> String {
    let chars = fold_chars(s);
    let joined = match despace(&chars) {
        Cow::Borrowed(_) => chars,
        Cow::Owned(joined) => joined,
    };
    match deleet(&joined) {
        Cow::Borrowed(_) => joined,
        Cow::Owned(read) => read,
    }
}

/// The character-level part of [`fold_line`]: case, confusables,
/// diacritics, full-width forms; invisible characters dropped.
fn fold_chars(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if views::is_ignorable(c) {
            continue;
        } else if let Some(f) = views::fold_char(c) {
            out.push_str(f);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Joins letters spaced one apart when most of the line is written so;
/// wider gaps are the word breaks.
fn despace(line: &str) -> Cow<'_, str> {
    let (toks, single) = token_counts(line.as_bytes());
    if toks < 8 || single * 10 < toks * 7 {
        return Cow::Borrowed(line);
    }
    Cow::Owned(
        line.split("  ")
            .filter(|w| !w.trim().is_empty())
            .map(|w| w.split(' ').collect::<String>())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The tokens of a line (runs of bytes other than ` `), and how many of
/// them are one character long.
fn token_counts(b: &[u8]) -> (usize, usize) {
    if !b.is_ascii() || b.len() < 3 {
        // One character: one byte that is not a UTF-8 continuation byte.
        let (mut toks, mut single) = (0usize, 0usize);
        for t in b.split(|&c| c == b' ').filter(|t| !t.is_empty()) {
            toks += 1;
            single += usize::from(t.iter().filter(|&&c| c & 0xC0 != 0x80).count() == 1);
        }
        return (toks, single);
    }
    // ASCII: a token starts where a byte follows a space (or the start),
    // and is one byte long if a space (or the end) follows too. Counted
    // over blocks without branches, so that the compiler vectorises it.
    let n = b.len();
    let first = b[0] != b' ';
    let last = b[n - 1] != b' ' && b[n - 2] == b' ';
    let mut toks = usize::from(first) + usize::from(last);
    let mut single = usize::from(first && b[1] == b' ') + usize::from(last);
    let (before, at, after) = (&b[..n - 2], &b[1..n - 1], &b[2..]);
    for k in (0..n - 2).step_by(128) {
        let end = (k + 128).min(n - 2);
        let (mut t, mut one) = (0u8, 0u8);
        for i in k..end {
            let starts = (at[i] != b' ') & (before[i] == b' ');
            t += u8::from(starts);
            one += u8::from(starts & (after[i] == b' '));
        }
        toks += usize::from(t);
        single += usize::from(one);
    }
    (toks, single)
}

/// The characters [`deleet`] reads as letters (all ASCII, so bytes tell
/// them, and letters, apart).
fn is_leet(b: u8) -> bool {
    matches!(b, b'0' | b'1' | b'3' | b'4' | b'5' | b'7' | b'@' | b'$')
}

/// Whether `b` holds a character [`deleet`] reads, tested over blocks
/// without branches (the compiler vectorises it): most lines hold none.
fn any_leet(b: &[u8]) -> bool {
    b.chunks(64).any(|block| {
        block.iter().fold(0u8, |a, &c| {
            let digit = c.wrapping_sub(b'0') < 8 && c != b'2' && c != b'6';
            a | u8::from(digit | (c == b'@') | (c == b'$'))
        }) != 0
    })
}

/// The letter a leet character stands for; any other character as it is.
fn unleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        c => c,
    }
}

/// Reads digits and `@`/`$` as letters inside words that mix them with
/// letters, and in all-digit words too once two mixed words show the line
/// is written so (`70` is `to` there, a number elsewhere).
fn deleet(line: &str) -> Cow<'_, str> {
    if !any_leet(line.as_bytes()) {
        return Cow::Borrowed(line);
    }
    let mixed = |w: &str| w.bytes().any(|b| b.is_ascii_alphabetic()) && w.bytes().any(is_leet);
    let leet_line = line.split(' ').filter(|w| mixed(w)).nth(1).is_some();
    let digits = |w: &str| {
        let core = w.trim_end_matches(|c: char| !c.is_alphanumeric());
        !core.is_empty() && core.bytes().all(is_leet)
    };
    let mut out = String::with_capacity(line.len());
    for w in line.split_inclusive(' ') {
        if mixed(w) || (leet_line && digits(w)) {
            out.extend(w.chars().map(unleet));
        } else {
            out.push_str(w);
        }
    }
    Cow::Owned(out)
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
}

/// Words of five letters or more that say nothing of a topic: a request
/// sharing only these with the document is not about it.
const PLAIN: &[&str] = &[
    "reply",
    "replies",
    "response",
    "responses",
    "answer",
    "answers",
    "question",
    "questions",
    "please",
    "thanks",
    "would",
    "could",
    "should",
    "about",
    "their",
    "there",
    "where",
    "which",
    "other",
    "every",
    "after",
    "before",
    "being",
    "while",
    "using",
];

/// The greeting of a letter (`hi david,`, `dear ms. lee`, `hello,`) at the
/// start of a line or right after a header's colon (`content: hi david`).
fn greeting(folded: &str) -> bool {
    let starts = |t: &str| {
        let t = t.trim_start();
        ["dear ", "hi ", "hello ", "hi,", "hello,"].iter().any(|g| {
            t.strip_prefix(g)
                .and_then(|r| r.trim_start().chars().next())
                .is_some_and(char::is_alphabetic)
        })
    };
    starts(folded) || folded.split(':').skip(1).take(4).any(starts)
}

/// Markers given by lines other than `skip` that open with mail headers
/// (`from:`, `to:`, `sent:`, `date:`, `cc:`): one for two such lines, two
/// for three or more.
fn headers(folded: &[String], skip: usize) -> usize {
    folded
        .iter()
        .enumerate()
        .filter(|(j, f)| {
            *j != skip && {
                let t = f.trim_start();
                ["from:", "to:", "sent:", "date:", "cc:"]
                    .iter()
                    .any(|h| t.starts_with(h))
            }
        })
        .count()
        .saturating_sub(1)
        .min(2)
}

/// `line` without the text it quotes: quoted words are content, not
/// pointers at the document.
fn unquoted(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quoted = false;
    for c in line.chars() {
        if matches!(c, '"' | '\u{201c}' | '\u{201d}') {
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// Whether `line` (folded) opens a task or asks a question of the reader.
fn is_request(line: &str) -> bool {
    let t = line
        .trim()
        .trim_start_matches(|c: char| !c.is_alphanumeric());
    // Trimmed again after `please `, so that the first word starts the
    // text and `t[first.len()..]` stays on a character boundary.
    let t = t
        .strip_prefix("please ")
        .unwrap_or(t)
        .trim_start_matches(|c: char| !c.is_alphanumeric());
    let Some(first) = words(t).next() else {
        return false;
    };
    if VERBS.contains(&first) {
        // An imperative sentence, not a heading or a label (`name: ...`).
        return !t[first.len()..].trim_start().starts_with(':') && words(t).count() >= 3;
    }
    QUESTION.contains(&first) && line.trim_end().ends_with('?') && words(t).count() >= 3
}

/// Letters in the longest word of [`VERBS`], [`QUESTION`] and `please`.
const MAX_OPENER: usize = 11;

/// How a line may open a request, by its first word.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Opens {
    /// With no word of [`VERBS`] or [`QUESTION`].
    No,
    /// With a question word only: the line must end with `?`.
    Question,
    /// With a verb, or `please` (which [`is_request`] skips).
    Yes,
}

/// How `w` may open a request: as the word itself or, with `prefix`, as
/// the start of a longer one.
fn opener(w: &[u8], prefix: bool) -> Opens {
    // The words as big-endian numbers of their bytes, padded with zeros:
    // their order is the words' order, and the words that start with `w`
    // are those between `w`'s number and that number with every byte past
    // `w` set. Compared as numbers, not slices: searched as slices, with a
    // `memcmp` call at every step, the look-ups took a fifth of the
    // detector's instructions on benign prompts.
    static SORTED: std::sync::OnceLock<Vec<(u128, Opens)>> = std::sync::OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut v: Vec<(u128, Opens)> = VERBS
            .iter()
            .chain(&["please"])
            .map(|o| (opener_key(o.as_bytes()), Opens::Yes))
            .chain(
                QUESTION
                    .iter()
                    .map(|o| (opener_key(o.as_bytes()), Opens::Question)),
            )
            .collect();
        v.sort();
        v
    });
    if w.len() > MAX_OPENER {
        return Opens::No;
    }
    let lo = opener_key(w);
    let hi = match prefix {
        true => lo | u128::MAX.checked_shr(8 * w.len() as u32).unwrap_or(0),
        false => lo,
    };
    let from = sorted.partition_point(|&(o, _)| o < lo);
    sorted[from..]
        .iter()
        .take_while(|&&(o, _)| o <= hi)
        .map(|&(_, how)| how)
        .max()
        .unwrap_or(Opens::No)
}

/// The bytes of `w` (at most [`MAX_OPENER`]) as a big-endian number,
/// padded with zeros ([`opener`]).
fn opener_key(w: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = w.len().min(MAX_OPENER);
    b[..n].copy_from_slice(&w[..n]);
    u128::from_be_bytes(b)
}

/// Whether [`fold_line`] of `raw` ends with `?` once trailing whitespace
/// is trimmed: joining spaced-out letters and reading leet neither add nor
/// remove a non-space character at the end, so the last one of
/// `fold_chars` decides.
fn folds_to_question(raw: &str) -> bool {
    for c in raw.chars().rev() {
        let last = if c.is_ascii() {
            Some(c)
        } else if views::is_ignorable(c) {
            None
        } else if let Some(f) = views::fold_char(c) {
            f.chars().rev().find(|f| !f.is_whitespace())
        } else {
            c.to_lowercase().rev().find(|f| !f.is_whitespace())
        };
        match last {
            Some(l) if !l.is_whitespace() => return l == '?',
            _ => {}
        }
    }
    false
}

/// What follows the letters a line's first word starts with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordEnd {
    /// The word is these letters: the line ends, or a character that ends
    /// a word whatever the fold does (punctuation, or a space when
    /// spaced-out letters are not joined).
    Exact,
    /// The word goes on with a character the fold may read as a letter
    /// (a digit, `@`, `$`), or with `-`, `'`, or unread text.
    Longer,
    /// The word goes on with a letter outside ASCII: no opener.
    Foreign,
}

/// A necessary condition for [`is_request`] on [`fold_line`] of a line,
/// which reads a few characters, not the line: the folded line's first
/// word is an opener (or `please`), and a question ends with `?`. The
/// first word starts with the first folded character when that is a
/// letter; its letters are the line's leading ASCII letters, or, if the
/// line is spaced out and joined, those letters with single spaces
/// skipped. A line starting otherwise (a space, a symbol, a digit) may be
/// a request.
///
/// `from` starts with the line and may go on past its end (`\n`), so
/// that the line's end is looked for only when a question needs it.
fn may_open_request(from: &str) -> bool {
    let mut p = Prefix::new(from);
    match p.get(0) {
        Some(c) if c.is_ascii_alphabetic() => {}
        // A first word with a letter outside ASCII is no opener.
        Some(c) if !c.is_ascii() && c.is_alphanumeric() => return false,
        _ => return true,
    }
    // How the word goes on at `c` (`None`: the end of what was read).
    let end = |c: Option<char>, complete: bool| match c {
        None if complete => WordEnd::Exact,
        None => WordEnd::Longer,
        Some(c) if c.is_ascii_alphanumeric() || matches!(c, '-' | '\'' | '@' | '$') => {
            WordEnd::Longer
        }
        Some(c) if c.is_alphanumeric() => WordEnd::Foreign,
        Some(_) => WordEnd::Exact,
    };
    let verdict = |word: &[u8], how: WordEnd| match how {
        _ if word.len() > MAX_OPENER => Opens::No,
        WordEnd::Exact => opener(word, false),
        WordEnd::Longer => opener(word, true),
        WordEnd::Foreign => Opens::No,
    };
    // Spaced-out letters not joined: the leading ASCII letters.
    let mut word = [0u8; MAX_OPENER + 1];
    let mut n = 0usize;
    let plain_end = loop {
        match p.get(n) {
            Some(c) if c.is_ascii_alphabetic() => {
                if n > MAX_OPENER {
                    break WordEnd::Exact;
                }
                word[n] = c as u8;
                n += 1;
            }
            c => break end(c, p.complete),
        }
    };
    let plain = verdict(&word[..n], plain_end);
    if plain == Opens::Yes {
        return true;
    }
    // Joined: single spaces dropped, two spaces end the piece (and word).
    let mut n = 0usize;
    let mut k = 0usize;
    let joined_end = loop {
        match p.get(k) {
            Some(c) if c.is_ascii_alphabetic() => {
                if n > MAX_OPENER {
                    break WordEnd::Exact;
                }
                word[n] = c as u8;
                n += 1;
            }
            Some(' ') => match p.get(k + 1) {
                Some(' ') => break WordEnd::Exact,
                Some(_) => {}
                None if p.complete => {}
                // A space at the end of what was read: the next may be one.
                None => break WordEnd::Longer,
            },
            c => break end(c, p.complete),
        }
        k += 1;
    };
    match plain.max(verdict(&word[..n], joined_end)) {
        Opens::Yes => true,
        Opens::Question => folds_to_question(from.split('\n').next().unwrap_or(from)),
        Opens::No => false,
    }
}

/// The fold of a line's first characters, as `fold_chars` makes it, read
/// only as far as asked (folding characters outside ASCII takes look-ups).
struct Prefix<'a> {
    chars: std::str::Chars<'a>,
    buf: [char; 2 * MAX_OPENER + 4],
    len: usize,
    /// Nothing more will be read: the line ended, or `buf` is full.
    done: bool,
    /// The line ended (at the end of the text or a `\n`).
    complete: bool,
}

impl<'a> Prefix<'a> {
    fn new(from: &'a str) -> Prefix<'a> {
        let mut buf = ['\0'; 2 * MAX_OPENER + 4];
        // ASCII folds byte for byte: the common start is read at once.
        let b = from.as_bytes();
        let mut len = 0usize;
        while len < buf.len().min(b.len()) && b[len] < 0x80 && b[len] != b'\n' {
            buf[len] = char::from(b[len].to_ascii_lowercase());
            len += 1;
        }
        Prefix {
            chars: from[len..].chars(),
            buf,
            len,
            done: false,
            complete: false,
        }
    }

    /// The `k`-th folded character, or `None` past what can be read.
    #[inline]
    fn get(&mut self, k: usize) -> Option<char> {
        if k < self.len {
            return Some(self.buf[k]);
        }
        self.get_more(k)
    }

    fn get_more(&mut self, k: usize) -> Option<char> {
        while self.len <= k && !self.done {
            self.read();
        }
        self.buf[..self.len].get(k).copied()
    }

    /// Folds one more character of the line into `buf`.
    fn read(&mut self) {
        if self.len == self.buf.len() {
            self.done = true;
            return;
        }
        let c = match self.chars.next() {
            None | Some('\n') => {
                self.done = true;
                self.complete = true;
                return;
            }
            Some(c) => c,
        };
        if c.is_ascii() {
            self.buf[self.len] = c.to_ascii_lowercase();
            self.len += 1;
            return;
        }
        if views::is_ignorable(c) {
            return;
        }
        let mut push = |f: char| {
            if self.len < self.buf.len() {
                self.buf[self.len] = f;
                self.len += 1;
                true
            } else {
                false
            }
        };
        let pushed = match views::fold_char(c) {
            Some(f) => f.chars().all(&mut push),
            None => c.to_lowercase().all(&mut push),
        };
        if !pushed {
            // The buffer is full in the middle of a character's fold.
            self.done = true;
        }
    }
}

/// Whether the request points at the document or shares its content words.
fn related(line: &str, rest: &str) -> bool {
    let mut content = words(line)
        .filter(|w| w.len() >= 5 && !PLAIN.contains(w))
        .peekable();
    let bare = unquoted(line);
    let replies = words(&bare).any(|w| REPLY.contains(&w)) && !words(&bare).any(|w| w == "your");
    if replies || words(&bare).any(|w| DEICTIC.contains(&w)) {
        return true;
    }
    if content.peek().is_none() {
        return false;
    }
    let doc: std::collections::HashSet<&str> = words(rest).filter(|w| w.len() >= 5).collect();
    content.any(|w| doc.contains(w))
}

/// The start of the line holding `b[end - 1]`: just after the last `\n`
/// before `end`, or 0 (a vectorised search: the last line of a text may
/// be long).
fn line_start(b: &[u8], end: usize) -> usize {
    memchr::memrchr(b'\n', &b[..end]).map_or(0, |n| n + 1)
}

/// Finds a request on the first or last line of a mail-like document.
pub(crate) fn embedded_task(ctx: &Context<'_>) -> Vec<(usize, usize, ViewKind)> {
    // First and last lines are those of a whole document.
    if !ctx.document {
        return Vec::new();
    }
    let view = ctx.clean();
    let text: &str = &view.text;
    // The first and last non-blank lines (those holding the first and
    // last characters other than whitespace), found without splitting the
    // text; the first line's end is looked for only if it may be a request.
    let blank = |l: &str| l.trim().is_empty();
    let Some(first) = text.find(|c: char| !c.is_whitespace()) else {
        return Vec::new();
    };
    let end = text.trim_end().len();
    let head = text[..first].rfind('\n').map_or(0, |n| n + 1);
    let tail = line_start(text.as_bytes(), end);
    if tail <= first {
        return Vec::new();
    }
    let line_at = |s: usize| text[s..].split('\n').next().unwrap_or("");
    // Most texts have no request on their first or last line: only then
    // is every line folded.
    let candidate = |s: usize| {
        // The first word decides most lines: only openers are folded.
        if !may_open_request(&text[s..]) {
            return false;
        }
        let raw = line_at(s);
        // An ASCII line folds to as many bytes as it has.
        if raw.is_ascii() && raw.len() > 2 * MAX_LINE + 1 {
            return false;
        }
        let chars = fold_chars(raw);
        // Joining spaced-out letters at most halves a line, and reading
        // leet keeps its length: a longer line cannot fold under the cap.
        if chars.len() > 2 * MAX_LINE + 1 {
            return false;
        }
        let joined = despace(&chars);
        if joined.len() > MAX_LINE {
            return false;
        }
        is_request(&deleet(&joined))
    };
    let first_request = candidate(head);
    let last_request = candidate(tail);
    if !first_request && !last_request {
        return Vec::new();
    }
    // Lines with their byte offsets, blank ones dropped.
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut at = 0usize;
    for l in text.split('\n') {
        if !blank(l) {
            lines.push((at, l));
        }
        at += l.len() + 1;
    }
    let last = lines.len() - 1;
    let folded: Vec<String> = lines.iter().map(|(_, l)| fold_line(l)).collect();
    let mut out = Vec::new();
    for (k, request) in [(0, first_request), (last, last_request)] {
        if !request {
            continue;
        }
        let line = &folded[k];
        let mut rest = String::new();
        let mut greeted = false;
        for (j, f) in folded.iter().enumerate() {
            if j != k {
                greeted |= greeting(f);
                rest.push_str(f);
                rest.push('\n');
            }
        }
        let markers = MARKERS.iter().filter(|m| rest.contains(*m)).count()
            + usize::from(greeted)
            + headers(&folded, k);
        if markers < MIN_MARKERS || related(line, &rest) {
            continue;
        }
        let (s, l) = lines[k];
        let (a, b) = view.span(s, s + l.len());
        out.push((a, b, ViewKind::Folded));
        if k == last {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_relations() {
        assert!(is_request("describe the lifecycle of a frog."));
        assert!(is_request("how do tides work?"));
        assert!(!is_request("how do tides work"));
        assert!(!is_request("name: john"));
        assert!(!is_request("click here to unsubscribe"));
        // Non-ASCII punctuation after `please` (this panicked: the first
        // word did not start the text and its length cut a dash in two).
        assert!(is_request("please \u{2014}\u{2014}write a poem about cats"));
        assert!(related("summarise this email", ""));
        assert!(related(
            "what amount was charged?",
            "your card was charged $5"
        ));
        assert!(!related(
            "describe the lifecycle of a frog.",
            "your card was charged $5"
        ));
        assert!(!related(
            "add \"this works\" to your reply.",
            "just reply to us"
        ));
        assert!(greeting("subject: x|content: hi david,your card"));
        assert!(!greeting("his card: expired"));
        assert_eq!(
            fold_line("W r i t e   a   p o e m   n o w"),
            "write a poem now"
        );
        assert_eq!(fold_line("Wr1t3 a poem, 4471 $"), "write a poem, 4471 $");
        assert_eq!(fold_line("Wr1t3 a p03m"), "write a poem");
        assert_eq!(fold_line("r3ply 70 7h15 3m41l"), "reply to this email");
    }

    /// The number search answers as a search of the words themselves,
    /// for every prefix of every opener and words near them.
    #[test]
    fn opener_matches_the_word_lists() {
        let words: Vec<(&str, Opens)> = VERBS
            .iter()
            .chain(&["please"])
            .map(|&w| (w, Opens::Yes))
            .chain(QUESTION.iter().map(|&w| (w, Opens::Question)))
            .collect();
        let naive = |w: &[u8], prefix: bool| {
            words
                .iter()
                .filter(|(o, _)| match prefix {
                    true => o.as_bytes().starts_with(w),
                    false => o.as_bytes() == w,
                })
                .map(|&(_, how)| how)
                .max()
                .unwrap_or(Opens::No)
        };
        let mut probes: Vec<Vec<u8>> = vec![Vec::new(), b"zzz".to_vec(), b"a".to_vec()];
        for (w, _) in &words {
            for n in 0..=w.len() {
                let p = w.as_bytes()[..n].to_vec();
                let mut longer = p.clone();
                longer.push(b's');
                let mut bumped = p.clone();
                if let Some(last) = bumped.last_mut() {
                    *last += 1;
                }
                probes.extend([p, longer, bumped]);
            }
        }
        for p in &probes {
            for prefix in [false, true] {
                assert!(
                    opener(p, prefix) == naive(p, prefix),
                    "{:?} prefix {prefix}",
                    String::from_utf8_lossy(p)
                );
            }
        }
    }

    #[test]
    fn opener_prefilter() {
        // Lines it must let through: openers, disguised or not.
        for l in [
            "Describe the lifecycle of a frog.",
            "How do tides work?",
            "Please write a poem",
            "W r i t e   a   p o e m   n o w",
            "Wr1t3 a poem",
            "D3scribe it",
            "\u{ff37}rite a poem about cats",
            "\u{200b}Write a poem",
            "- write a poem",
            "@dd a line",
            "N@me three birds",
            "S$y it twice",
            "T3ll me more",
            "Wri\u{200b}te a poem",
            "d e s c r i b e   t h e   s e a   n o w   p l e a s e",
            "How do tides work? \t",
            "How do tides work\u{ff1f}\u{200b}",
            "w h y   i s   t h e   s k y   b l u e ?",
        ] {
            assert!(may_open_request(l), "{l}");
        }
        // Lines it rejects: the first word is no opener in any reading.
        for l in [
            "The weather was fine.",
            "A cat sat on the mat.",
            "Thanks for the receipt",
            "Formatting matters",
            "How do tides work",
            "Is it? Not at all.",
            "\u{6211}\u{4eec}\u{4eca}\u{5929}",
            "\u{441}\u{435}\u{433}\u{43e}\u{434}\u{43d}\u{44f}",
        ] {
            assert!(!may_open_request(l), "{l}");
            assert!(!is_request(&fold_line(l)), "{l}");
        }
    }

    /// The fold as it was written first (allocating at every step): the
    /// faster one must give the same lines.
    fn fold_line_reference(s: &str) -> String {
        let mut chars = String::new();
        for c in s.chars() {
            if c.is_ascii() {
                chars.push(c.to_ascii_lowercase());
            } else if views::is_ignorable(c) {
                continue;
            } else if let Some(f) = views::fold_char(c) {
                chars.push_str(f);
            } else {
                chars.extend(c.to_lowercase());
            }
        }
        let toks: Vec<&str> = chars.split(' ').filter(|t| !t.is_empty()).collect();
        let single = toks.iter().filter(|t| t.chars().count() == 1).count();
        let joined = if toks.len() < 8 || single * 10 < toks.len() * 7 {
            chars.clone()
        } else {
            chars
                .split("  ")
                .filter(|w| !w.trim().is_empty())
                .map(|w| w.split(' ').collect::<String>())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let is_leet = |c: char| matches!(c, '0' | '1' | '3' | '4' | '5' | '7' | '@' | '$');
        let mixed = |w: &str| w.chars().any(|c| c.is_ascii_alphabetic()) && w.chars().any(is_leet);
        let leet_line = joined.split(' ').filter(|w| mixed(w)).count() >= 2;
        let mut out = String::new();
        for w in joined.split_inclusive(' ') {
            let core = w.trim_end_matches(|c: char| !c.is_alphanumeric());
            let digits = !core.is_empty() && core.chars().all(is_leet);
            if mixed(w) || (leet_line && digits) {
                out.extend(w.chars().map(unleet));
            } else {
                out.push_str(w);
            }
        }
        out
    }

    #[test]
    fn fold_line_matches_reference() {
        const PARTS: &[&str] = &[
            "Write",
            "a",
            "p o e m",
            "r3ply",
            "70",
            "7h15",
            "3m41l",
            "$5",
            "@",
            "5pm",
            "2024",
            "x",
            " ",
            "  ",
            "   ",
            "\u{ff37}",
            "\u{0430}",
            "\u{200b}",
            "\u{e9}",
            "\u{6211}",
            "\u{3000}",
            "\u{130}",
            "\u{1d5d4}",
            "1",
            "0",
            "I",
            "b y e",
            ".",
            ",",
            "!",
            "\t",
        ];
        let mut rng = crate::test_rng::Rng::new(0x853c_49e6_748f_ea9b);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..50_000 {
            let mut line = String::new();
            for _ in 0..next(24) {
                line.push_str(PARTS[next(PARTS.len())]);
                if next(2) == 0 {
                    line.push(' ');
                }
            }
            assert_eq!(fold_line(&line), fold_line_reference(&line), "{line:?}");
        }
    }

    #[test]
    fn token_and_leet_counts() {
        let reference = |s: &str| {
            let toks: Vec<&str> = s.split(' ').filter(|t| !t.is_empty()).collect();
            let one = toks.iter().filter(|t| t.chars().count() == 1).count();
            (toks.len(), one)
        };
        for s in [
            "",
            "a",
            " a",
            "a ",
            "ab",
            "a b",
            " a b ",
            "ab c  d",
            "w r i t e   a   p o e m",
            "x y",
            "  x",
            "the cat sat",
            "\u{e9} \u{e9}t\u{e9} x",
            "a\u{3000}b c",
        ] {
            assert_eq!(token_counts(s.as_bytes()), reference(s), "{s:?}");
        }
        let long = "a b cd ".repeat(100);
        assert_eq!(token_counts(long.as_bytes()), reference(&long));
        for c in 0..=255u8 {
            let block = [b'x'; 100];
            let mut with = block;
            with[77] = c;
            assert_eq!(any_leet(&with), is_leet(c), "{c}");
        }
        assert!(!any_leet(b""));
    }

    #[test]
    fn opener_prefilter_stops_at_line_end() {
        assert!(!may_open_request("The end\nDescribe the sea now"));
        assert!(may_open_request("Describe\nthe sea"));
        assert!(may_open_request("How do tides work?\nWell"));
        assert!(!may_open_request("How do tides work\nWhy?"));
        assert!(!may_open_request("Is\n"));
        assert_eq!(line_start(b"ab\ncd", 5), 3);
        assert_eq!(line_start(b"abcd", 4), 0);
        let long = format!("{}\n{}", "x".repeat(100), "y".repeat(100));
        assert_eq!(line_start(long.as_bytes(), long.len()), 101);
        assert_eq!(line_start(long.as_bytes(), 100), 0);
    }

    /// The prefilter never rejects a line that folds to a request: checked
    /// on lines drawn from openers, near-openers, spacing, leet and symbols.
    #[test]
    fn opener_prefilter_is_necessary() {
        const PARTS: &[&str] = &[
            "write",
            "Write",
            "wr1te",
            "W r i t e",
            "w r",
            "i t e",
            "please",
            "Please ",
            "is",
            "I",
            "s",
            "can",
            "c4n",
            "ca",
            "n",
            "for",
            "format",
            "forma t",
            "a",
            "an",
            "d",
            "add",
            "@dd",
            "$ay",
            "3nd",
            "end",
            "the",
            "x",
            "7",
            "42",
            "-",
            "'",
            ",",
            ".",
            "?",
            ":",
            " ",
            "  ",
            "   ",
            "\u{ff57}",
            "\u{0430}",
            "\u{200b}",
            "\u{e9}",
            "\u{6211}",
            "\u{3000}",
            "\u{2014}",
            "\u{130}",
            "a poem about tea",
            "h o w",
            "d o",
            "tides?",
            "\t",
            "n",
            "\u{ff1f}",
            "me",
            "@",
            "$",
            "4",
            "3",
            "1",
            "0",
            "5",
            "s",
            "ay",
            "gi",
            "ve",
            "t",
            "ell",
        ];
        let mut rng = crate::test_rng::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..200_000 {
            let mut line = String::new();
            for _ in 0..1 + next(9) {
                line.push_str(PARTS[next(PARTS.len())]);
                if next(3) == 0 {
                    line.push(' ');
                }
            }
            if !may_open_request(&line) {
                assert!(!is_request(&fold_line(&line)), "{line:?}");
            }
        }
    }
}
