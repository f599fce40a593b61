//! What a regex's syntax proves about every one of its matches. The engine
//! turns these facts into exact gates: a regex whose every match needs a
//! long run of token characters is not run on text without one, and a
//! regex whose every match contains one of its keywords is searched only
//! around the keywords. Each fact is a necessary condition derived
//! conservatively: when the analysis cannot prove something, it claims
//! less, never more.

use crate::bitmask::{HI, ascii_letters, bytes_eq, bytes_in, load8};
use regex_syntax::hir::{Class, Hir, HirKind, Repetition};

/// The bytes that tokens, keys and other secrets are made of: a run of
/// them is what `min_run` counts.
#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// [`is_token`] per byte value: one look-up, where the test written out
/// was a chain of compares and branches that [`has_run`], probing prose
/// whose bytes are token bytes four times in five, mispredicted (perf put
/// ~4% of a run over benign prompts in it, twice its share of
/// instructions).
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'.');
        b += 1;
    }
    t
};

/// Whether `text` holds a run of `m` or more [`is_token`] bytes. Reads
/// about eight bytes in `m` on text without one: a run of `m` starting at
/// or after `i` must cover `i + m - 1`, so a non-token byte there or
/// before it rules out every start up to it. For `m` of eight or more the
/// eight bytes up to `i + m - 1` (sixteen for `m` of sixteen or more) are
/// tested at once ([`non_token8`], [`non_token16`]) and
/// the search goes on after the last non-token byte among them: one
/// branch a probe that prose takes nearly always, where a byte at a time
/// (the probe's byte, then back to the word's start) mispredicted about
/// once a probe (perf: 3.8% of a benign 2 KB prompt's time, in 0.7% of
/// its instructions; now 2.2%).
pub(crate) fn has_run(text: &[u8], m: usize) -> bool {
    if m == 0 {
        return true;
    }
    let mut i = 0;
    while i + m <= text.len() {
        let last = i + m - 1;
        // `text[known..=last]` are token bytes (the sixteen or eight up to
        // `last`, or `last` alone); a non-token byte there moves the start
        // past it.
        let known = if m >= 16 {
            // Sixteen bytes a probe, where a run is that long.
            let sixteen: &[u8; 16] = text[last - 15..=last].try_into().unwrap_or(&[0; 16]);
            let nt = non_token16(sixteen);
            if nt != 0 {
                i = last - 15 + (31 - nt.leading_zeros() as usize) + 1;
                continue;
            }
            last - 15
        } else if m >= 8 {
            let nt = non_token8(load8(text, last - 7));
            if nt != 0 {
                // The last non-token byte of the eight.
                i = last - 7 + (63 - nt.leading_zeros() as usize) / 8 + 1;
                continue;
            }
            last - 7
        } else {
            if !is_token(text[last]) {
                i = last + 1;
                continue;
            }
            last
        };
        // The run reaches back to `i`, or the next candidate starts after
        // the last non-token byte before the known ones.
        match text[i..known].iter().rposition(|&b| !is_token(b)) {
            None => return true,
            Some(k) => i += k + 1,
        }
    }
    false
}

/// The length of the longest run of [`is_token`] bytes in `text` where
/// that is [`LONG_RUN`] or more; a smaller number otherwise. So
/// `long_run(text) >= m` is [`has_run`]`(text, m)` for any `m` of at
/// least `LONG_RUN`, and one pass answers every such `m`: a text without
/// long tokens (prose) is read once for all the token-shaped regexes, not
/// once for each length, and sixteen bytes at a time with no chain from
/// one block's search to the next (`has_run` waits on each probe).
pub(crate) fn long_run(text: &[u8]) -> usize {
    // A run of `LONG_RUN` or more is no run within one block: it is
    // made of the tokens that end a block (after its last non-token
    // byte), whole token blocks, and those that start the next block.
    let (mut best, mut run) = (0usize, 0usize);
    let mut blocks = text.chunks_exact(16);
    for block in &mut blocks {
        let nt = non_token16(block.try_into().unwrap_or(&[0; 16]));
        if nt == 0 {
            run += 16;
            continue;
        }
        best = best.max(run + nt.trailing_zeros() as usize);
        run = nt.leading_zeros() as usize - 16;
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // The last bytes, padded with spaces (not token bytes).
        let mut block = [b' '; 16];
        block[..rest.len()].copy_from_slice(rest);
        best = best.max(run + non_token16(&block).trailing_zeros() as usize);
        run = 0;
    }
    best.max(run)
}

/// The least `m` for which [`long_run`] answers as [`has_run`] does.
pub(crate) const LONG_RUN: usize = 16;

/// The high bit of each byte of `x` that is not an [`is_token`] byte
/// (letters, digits and `-./`, `+`, `=`, `_`).
#[inline]
fn non_token8(x: u64) -> u64 {
    // `-` `.` `/` and the digits are one range, 0x2D..=0x39.
    let token = ascii_letters(x)
        | bytes_in(x, b'-', b'9')
        | bytes_eq(x, b'+')
        | bytes_eq(x, b'=')
        | bytes_eq(x, b'_');
    !token & HI
}

/// Bit `k`: byte `k` of `b` is not an [`is_token`] byte. With SSE2
/// compares, a third of the instructions of two words' tests.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn non_token16(b: &[u8; 16]) -> u32 {
    let v = crate::bitmask::sse2::Bytes16::load(b);
    let token = v
        .letters()
        .or(v.within(b'-', b'9'))
        .or(v.eq(b'+'))
        .or(v.eq(b'='))
        .or(v.eq(b'_'));
    !(token.bits() as u32) & 0xFFFF
}

/// [`non_token16`] from two words' tests ([`non_token8`]): where there is
/// no SSE2, and what its path is tested against.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline]
fn non_token16_words(b: &[u8; 16]) -> u32 {
    crate::bitmask::gather16(non_token8(load8(b, 0)), non_token8(load8(b, 8)))
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use non_token16_words as non_token16;

/// The length of the longest run of [`is_token`] bytes in `text` (what
/// [`has_run`] is tested against).
#[cfg(test)]
fn longest_run(text: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for &b in text {
        if is_token(b) {
            run += 1;
        } else {
            best = best.max(run);
            run = 0;
        }
    }
    best.max(run)
}

/// A regex that is one greedy repetition of a class of ASCII bytes
/// (`[A-Za-z0-9/+_-]{32,64}`, a token of some alphabet and length). Its
/// leftmost-first matches are the runs of class bytes at least `min` long,
/// cut every `max` bytes (a cut-off tail of `min` or more is another
/// match): a scan that skips like [`has_run`] finds them several times
/// faster than the lazy DFA on text full of long runs (encoded blobs on
/// one line, which the regex reads whole), and reads about one byte in
/// `min` elsewhere.
#[derive(Debug, Clone)]
pub(crate) struct ClassRun {
    class: [bool; 256],
    min: usize,
    max: usize,
}

impl ClassRun {
    /// The run shape of `hir`, when it is one: a greedy repetition, at
    /// least once, of a class of ASCII bytes only.
    pub(crate) fn of(hir: &Hir) -> Option<ClassRun> {
        let HirKind::Repetition(Repetition {
            min,
            max,
            greedy: true,
            sub,
        }) = hir.kind()
        else {
            return None;
        };
        let mut class = [false; 256];
        match sub.kind() {
            HirKind::Class(Class::Bytes(c)) => mark_bytes(&mut class, c),
            HirKind::Class(Class::Unicode(c)) => {
                for r in c.ranges() {
                    for ch in r.start()..=r.end() {
                        class[usize::from(u8::try_from(ch).ok().filter(u8::is_ascii)?)] = true;
                    }
                }
            }
            _ => return None,
        }
        if class[128..].iter().any(|&c| c) || *min == 0 {
            return None;
        }
        Some(ClassRun {
            class,
            min: *min as usize,
            max: max.map_or(usize::MAX, |m| m as usize),
        })
    }

    /// Calls `f` with each match in `text[lo..hi]`, in order: what the
    /// regex's `find_iter` over that range gives.
    pub(crate) fn each(&self, text: &[u8], lo: usize, hi: usize, mut f: impl FnMut(usize, usize)) {
        let hi = hi.min(text.len());
        let mut i = lo;
        while let Some(s) = run_start(&self.class, &text[..hi], i, self.min) {
            // `min` class bytes from `s`: the match runs on to the end of
            // the run, `max` bytes at most.
            let cap = s.saturating_add(self.max).min(hi);
            let mut e = s + self.min;
            while e < cap && self.class[usize::from(text[e])] {
                e += 1;
            }
            f(s, e);
            i = e;
        }
    }
}

/// Where the first run of `m` bytes of `class` (`m` at least 1) at or
/// after `from` in `text` starts. Reads about a byte in `m` where runs
/// are rare: a run starting at or after `i` covers `i + m - 1`, so a byte
/// not of the class there, or before it, rules out every start up to it.
fn run_start(class: &[bool; 256], text: &[u8], from: usize, m: usize) -> Option<usize> {
    let class = |b: u8| class[usize::from(b)];
    // Bytes from `known` up to the last probe are class bytes.
    let (mut i, mut known) = (from, from);
    while i + m <= text.len() {
        let last = i + m - 1;
        if !class(text[last]) {
            i = last + 1;
            known = i;
            continue;
        }
        // A run from `i` to `last`, unless a byte between the bytes
        // already known and `last` is not a class byte.
        let from = known.max(i);
        match text[from..last].iter().rposition(|&b| !class(b)) {
            None => return Some(i),
            Some(k) => {
                i = from + k + 1;
                known = last + 1;
            }
        }
    }
    None
}

/// A run of bytes of one narrow class that every match of a regex holds:
/// the digits and dots of an IPv4 address (`[0-9.]`, seven at least), the
/// digits and dashes of a social security number. Logs hold the regexes'
/// keywords (`5.`, `3-`) in every timestamp and number, and a search of
/// each window around one cost ~600 instructions (callgrind, JSON logs:
/// 10% of their inspection, for four such rules); a window without the run
/// is passed over, read about a byte in `len` ([`run_start`]).
///
/// The class is the regex's own: the union of its narrow classes and
/// literal bytes that are neither letters nor whitespace (`[0-9]`, `\.`,
/// `-`, hex digits), so that the run is rare in prose, where a gate would
/// cost a read and rule nothing out.
#[derive(Debug, Clone)]
pub(crate) struct NeededRun {
    class: [bool; 256],
    len: usize,
}

/// A shorter needed run is not worth a gate: most windows would hold one.
const MIN_NEEDED_RUN: usize = 6;
/// A class with more members is not narrow.
const NARROW: usize = 24;

impl NeededRun {
    /// The run every match of `hir` holds, when its class is narrow and
    /// it is long enough to be worth testing.
    pub(crate) fn of(hir: &Hir) -> Option<NeededRun> {
        NeededRun::any(hir).filter(|n| n.len >= MIN_NEEDED_RUN)
    }

    /// The run every match of `hir` holds, however short (`len` 0 when
    /// none is needed); `None` when the regex has no narrow class.
    fn any(hir: &Hir) -> Option<NeededRun> {
        let mut class = [false; 256];
        narrow_bytes(hir, &mut class);
        class.iter().any(|&c| c).then(|| NeededRun {
            len: class_runs(hir, &class).best(),
            class,
        })
    }

    /// Whether `text` holds the run: `len` class bytes in a row.
    pub(crate) fn holds(&self, text: &[u8]) -> bool {
        self.len == 0 || run_start(&self.class, text, 0, self.len).is_some()
    }
}

/// Adds to `set` the bytes of `h`'s narrow ASCII classes and literals
/// that are neither letters nor whitespace ([`NeededRun`]'s class).
fn narrow_bytes(h: &Hir, set: &mut [bool; 256]) {
    let plain = |b: u8| b.is_ascii_alphabetic() || is_space(b) || !b.is_ascii();
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => {
            for &b in lit.0.iter().filter(|&&b| !plain(b)) {
                set[usize::from(b)] = true;
            }
        }
        HirKind::Class(c) => {
            let members = class_bytes(c);
            let n = members.iter().filter(|&&m| m).count();
            let letters_only =
                (0..=255u8).all(|b| !members[usize::from(b)] || b.is_ascii_alphabetic());
            let spaced =
                (0..=255u8).any(|b| members[usize::from(b)] && (is_space(b) || !b.is_ascii()));
            if n <= NARROW && !letters_only && !spaced {
                union(set, &members);
            }
        }
        HirKind::Capture(c) => narrow_bytes(&c.sub, set),
        HirKind::Repetition(r) => narrow_bytes(&r.sub, set),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            for sub in subs {
                narrow_bytes(sub, set);
            }
        }
    }
}

/// The bytes class `c` matches; for a class of characters, their UTF-8
/// lead bytes where they are not ASCII (enough to tell it is not ASCII).
fn class_bytes(c: &Class) -> [bool; 256] {
    let mut set = [false; 256];
    match c {
        Class::Bytes(c) => mark_bytes(&mut set, c),
        Class::Unicode(c) => {
            for r in c.ranges() {
                let lead = |ch: char| ch.encode_utf8(&mut [0; 4]).as_bytes()[0];
                for b in lead(r.start())..=lead(r.end()) {
                    set[usize::from(b)] = true;
                }
            }
        }
    }
    set
}

/// Runs of class bytes that every match of a part of a regex holds (the
/// token bytes for [`Node`], a regex's own narrow class for
/// [`NeededRun`]), and how parts put together combine them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Runs {
    /// When every byte of every match is a class byte: the shortest
    /// match's length. Runs then pass through the part.
    all: Option<usize>,
    /// Otherwise: class bytes every match starts with, ends with, and
    /// holds in a row.
    pre: usize,
    suf: usize,
    inner: usize,
}

impl Runs {
    /// Nothing known.
    const NONE: Runs = Runs {
        all: None,
        pre: 0,
        suf: 0,
        inner: 0,
    };

    /// Every match all class bytes, the shortest `n` long.
    fn all(n: usize) -> Runs {
        Runs {
            all: Some(n),
            ..Runs::NONE
        }
    }

    /// The runs of the one string `s`.
    fn of_bytes(s: &[u8], class: impl Fn(u8) -> bool) -> Runs {
        if s.iter().all(|&b| class(b)) {
            return Runs::all(s.len());
        }
        Runs {
            all: None,
            pre: s.iter().take_while(|&&b| class(b)).count(),
            suf: s.iter().rev().take_while(|&&b| class(b)).count(),
            inner: s.split(|&b| !class(b)).map(<[u8]>::len).max().unwrap_or(0),
        }
    }

    fn pre(&self) -> usize {
        self.all.unwrap_or(self.pre)
    }

    fn suf(&self) -> usize {
        self.all.unwrap_or(self.suf)
    }

    /// The longest run every match holds.
    fn best(&self) -> usize {
        self.all.unwrap_or(self.inner.max(self.pre).max(self.suf))
    }

    /// One part, then the other.
    fn concat(a: Runs, b: Runs) -> Runs {
        match (a.all, b.all) {
            (Some(x), Some(y)) => Runs::all(x.saturating_add(y)),
            _ => Runs {
                all: None,
                pre: match a.all {
                    Some(x) => x.saturating_add(b.pre()),
                    None => a.pre,
                },
                suf: match b.all {
                    Some(y) => y.saturating_add(a.suf()),
                    None => b.suf,
                },
                inner: a.best().max(b.best()).max(a.suf().saturating_add(b.pre())),
            },
        }
    }

    /// A part `min` times or more.
    fn repeat(sub: Runs, min: usize) -> Runs {
        match sub.all {
            Some(a) => Runs::all(a.saturating_mul(min)),
            None if min == 0 => Runs::NONE,
            None => Runs {
                all: None,
                pre: sub.pre,
                suf: sub.suf,
                // Two times round join the end of one to the start of the
                // next.
                inner: sub.best().max(if min >= 2 {
                    sub.suf.saturating_add(sub.pre)
                } else {
                    0
                }),
            },
        }
    }

    /// One of several parts: the weakest counts (none: nothing known).
    fn either(parts: impl IntoIterator<Item = Runs>) -> Runs {
        parts
            .into_iter()
            .reduce(|a, b| match (a.all, b.all) {
                (Some(x), Some(y)) => Runs::all(x.min(y)),
                _ => Runs {
                    all: None,
                    pre: a.pre().min(b.pre()),
                    suf: a.suf().min(b.suf()),
                    inner: a.best().min(b.best()),
                },
            })
            .unwrap_or(Runs::NONE)
    }
}

/// The runs of `class` bytes that every match of `h` holds.
fn class_runs(h: &Hir, class: &[bool; 256]) -> Runs {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Runs::all(0),
        HirKind::Literal(lit) => Runs::of_bytes(&lit.0, |b| class[usize::from(b)]),
        HirKind::Class(c) => {
            let members = class_bytes(c);
            let within = members.iter().zip(class).all(|(&m, &c)| !m || c);
            if within && members.iter().any(|&m| m) {
                Runs::all(1)
            } else {
                Runs::NONE
            }
        }
        HirKind::Capture(c) => class_runs(&c.sub, class),
        HirKind::Repetition(r) => Runs::repeat(class_runs(&r.sub, class), r.min as usize),
        HirKind::Concat(subs) => subs
            .iter()
            .map(|sub| class_runs(sub, class))
            .fold(Runs::all(0), Runs::concat),
        HirKind::Alternation(subs) => Runs::either(subs.iter().map(|sub| class_runs(sub, class))),
    }
}

/// Facts true of every match of one regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Every match contains a run of at least this many token bytes.
    pub min_run: usize,
    /// No match contains a newline.
    pub one_line: bool,
    /// Every match is at most this long.
    pub max_len: Option<usize>,
    /// Every match contains one of the keywords it was analysed with.
    pub covered: bool,
    /// Every match starts with one of those keywords (ASCII case aside).
    pub keyword_first: bool,
    /// Every match starts with one of these bytes, when the syntax shows
    /// it: no match starts before the first of them in a text, nor at a
    /// line start without one.
    pub first: Option<FirstBytes>,
}

/// A set of bytes: those a regex's matches can start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FirstBytes([bool; 256]);

impl FirstBytes {
    /// The bytes `hir`'s matches can start with, read off its syntax (the
    /// classes and literals that can come first, past any part that can
    /// match nothing); `None` when it can match the empty string, which
    /// starts anywhere, or when every byte can start a match.
    pub(crate) fn of(hir: &Hir) -> Option<FirstBytes> {
        let (set, empty) = first_bytes(hir);
        (!empty && !set.iter().all(|&b| b)).then_some(FirstBytes(set))
    }

    /// Whether a match can start with `b`.
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b)]
    }

    /// The first position in `text[from..to]` whose byte is in the set.
    pub(crate) fn find(&self, text: &[u8], from: usize, to: usize) -> Option<usize> {
        let to = to.min(text.len());
        text.get(from..to)?
            .iter()
            .position(|&b| self.contains(b))
            .map(|k| from + k)
    }
}

/// Analyses `hir`; `keywords` are folded (lowercase) literals. With
/// `single_space`, the regex reads text where whitespace never comes two
/// in a row (the folded view): `\s*` there matches at most one byte.
pub(crate) fn facts(hir: &Hir, keywords: &[String], single_space: bool) -> Facts {
    let mut kws: Vec<&[u8]> = keywords
        .iter()
        .map(|k| k.as_bytes())
        .filter(|k| !k.is_empty())
        .collect();
    kws.sort_unstable();
    let mut at = [0u32; 257];
    for k in &kws {
        at[usize::from(k[0]) + 1] += 1;
    }
    for b in 0..256 {
        at[b + 1] += at[b];
    }
    let cx = Cx {
        kws: &kws,
        at,
        spaces: if single_space {
            Spaces::Single
        } else {
            Spaces::Any
        },
    };
    let n = node(hir, &cx);
    Facts {
        min_run: n.runs.best(),
        one_line: !n.newline,
        max_len: n.max,
        covered: n.covered,
        keyword_first: !kws.is_empty() && n.starts().iter().all(|s| cx.keyword_at(s, 0)),
        first: FirstBytes::of(hir),
    }
}

/// The bytes a match of `h` can start with, and whether it can match the
/// empty string.
fn first_bytes(h: &Hir) -> ([bool; 256], bool) {
    let mut set = [false; 256];
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => return (set, true),
        HirKind::Literal(lit) => match lit.0.first() {
            Some(&b) => set[usize::from(b)] = true,
            None => return (set, true),
        },
        HirKind::Class(Class::Bytes(c)) => mark_bytes(&mut set, c),
        HirKind::Class(Class::Unicode(c)) => {
            // UTF-8 lead bytes grow with the code point: a range's first
            // bytes lie between its ends' (a superset, as it may be).
            for r in c.ranges() {
                let lead = |ch: char| ch.encode_utf8(&mut [0; 4]).as_bytes()[0];
                for b in lead(r.start())..=lead(r.end()) {
                    set[usize::from(b)] = true;
                }
            }
        }
        HirKind::Capture(c) => return first_bytes(&c.sub),
        HirKind::Repetition(r) => {
            let (sub, empty) = first_bytes(&r.sub);
            return (sub, empty || r.min == 0);
        }
        HirKind::Concat(subs) => {
            for sub in subs {
                let (s, empty) = first_bytes(sub);
                union(&mut set, &s);
                if !empty {
                    return (set, false);
                }
            }
            return (set, true);
        }
        HirKind::Alternation(subs) => {
            let mut any_empty = false;
            for sub in subs {
                let (s, empty) = first_bytes(sub);
                union(&mut set, &s);
                any_empty |= empty;
            }
            return (set, any_empty);
        }
    }
    (set, false)
}

/// Marks the bytes of class `c` in `set`.
fn mark_bytes(set: &mut [bool; 256], c: &regex_syntax::hir::ClassBytes) {
    for r in c.ranges() {
        for b in r.start()..=r.end() {
            set[usize::from(b)] = true;
        }
    }
}

fn union(a: &mut [bool; 256], b: &[bool; 256]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x |= y;
    }
}

/// The most bytes a match of `hir` can have once each of its whitespace
/// runs is counted as one byte (its squeezed length), if bounded: a regex
/// whose only unbounded parts are whitespace (`name\s*=\s*value`) has
/// matches of any length, but never more than this many bytes apart from
/// its whitespace runs' second and later bytes. An upper bound: a part
/// counts its longest match, and joining parts only merges runs.
pub(crate) fn squeezed_max_len(hir: &Hir) -> Option<usize> {
    let cx = Cx {
        kws: &[],
        at: [0; 257],
        spaces: Spaces::Squeezed,
    };
    node(hir, &cx).max
}

/// The bytes `\s` matches (the engine parses without Unicode): what
/// [`squeezed_max_len`] and the folded view take for whitespace.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// How the text a regex reads has its whitespace, for lengths.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spaces {
    /// Runs of any length.
    Any,
    /// Never two whitespace bytes in a row (the folded view).
    Single,
    /// Lengths are squeezed: a run of whitespace counts one byte.
    Squeezed,
}

struct Cx<'a> {
    /// The keywords in byte order; those starting with byte `b` are
    /// `kws[at[b]..at[b + 1]]`.
    kws: &'a [&'a [u8]],
    at: [u32; 257],
    spaces: Spaces,
}

impl Cx<'_> {
    /// Whether `s` contains a keyword: only the keywords starting with a
    /// byte are tried where it occurs (most strings meet none; a rule can
    /// have dozens of keywords, and this runs for every string of every
    /// set the analysis makes).
    fn has_keyword(&self, s: &[u8]) -> bool {
        (0..s.len()).any(|i| self.keyword_at(s, i))
    }

    /// Whether a keyword starts at `s[i]`.
    fn keyword_at(&self, s: &[u8], i: usize) -> bool {
        let Some(&b) = s.get(i) else {
            return false;
        };
        let b = usize::from(b);
        let ks = &self.kws[self.at[b] as usize..self.at[b + 1] as usize];
        ks.iter().any(|k| s[i..].starts_with(k))
    }
}

/// Most strings kept in one set, and most bytes in one string: past these
/// the analysis forgets the set (claims less).
const MAX_SET: usize = 64;
const MAX_STR: usize = 64;

/// A set of strings (ASCII lowercased); `None` = unknown (any string).
type Set = Option<Vec<Vec<u8>>>;

#[derive(Debug, Clone)]
struct Node {
    /// The runs of token bytes every match holds.
    runs: Runs,
    /// Whether some match contains a newline.
    newline: bool,
    /// The longest match, when bounded.
    max: Option<usize>,
    /// Every string the node matches.
    exact: Set,
    /// Every match starts with one of these strings, and ends with one of
    /// those (`[""]` when nothing is known). Read through `starts()` and
    /// `ends()`: an exact node keeps its set in `exact` only.
    starts: Vec<Vec<u8>>,
    ends: Vec<Vec<u8>>,
    /// Every match contains a keyword.
    covered: bool,
}

impl Node {
    fn starts(&self) -> &[Vec<u8>] {
        self.exact.as_deref().unwrap_or(&self.starts)
    }

    fn ends(&self) -> &[Vec<u8>] {
        self.exact.as_deref().unwrap_or(&self.ends)
    }

    /// [`starts`](Self::starts), taken (the exact set copied).
    fn take_starts(&mut self) -> Vec<Vec<u8>> {
        match &self.exact {
            Some(e) => e.clone(),
            None => std::mem::take(&mut self.starts),
        }
    }

    /// [`ends`](Self::ends), taken (the exact set too: the node's last
    /// use).
    fn take_ends(&mut self) -> Vec<Vec<u8>> {
        match self.exact.take() {
            Some(e) => e,
            None => std::mem::take(&mut self.ends),
        }
    }

    /// A node that matches exactly the strings of `set`.
    fn exact(set: Vec<Vec<u8>>, cx: &Cx<'_>) -> Node {
        if set.is_empty() {
            // Matches nothing: claim nothing.
            return Node::unknown(false, None);
        }
        let newline = set.iter().any(|s| s.contains(&b'\n'));
        let max = set.iter().map(Vec::len).max();
        let mut n = Node {
            runs: Runs::either(set.iter().map(|s| Runs::of_bytes(s, is_token))),
            newline,
            max,
            exact: None,
            starts: Vec::new(),
            ends: Vec::new(),
            covered: false,
        };
        n.exact = Some(set);
        n.settle(cx);
        n
    }

    /// A node about which nothing is known but whether it can match a
    /// newline.
    fn unknown(newline: bool, max: Option<usize>) -> Node {
        Node {
            runs: Runs::NONE,
            newline,
            max,
            exact: None,
            starts: vec![Vec::new()],
            ends: vec![Vec::new()],
            covered: false,
        }
    }

    /// Derives `covered` from the string sets.
    fn settle(&mut self, cx: &Cx<'_>) {
        let every = |set: &[Vec<u8>]| set.iter().all(|s| cx.has_keyword(s));
        self.covered |=
            self.exact.as_deref().is_some_and(every) || every(self.starts()) || every(self.ends());
    }
}

fn node(h: &Hir, cx: &Cx<'_>) -> Node {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Node::exact(vec![Vec::new()], cx),
        HirKind::Literal(lit) => {
            if lit.0.len() > MAX_STR {
                let mut n = Node::unknown(lit.0.contains(&b'\n'), Some(lit.0.len()));
                n.runs = Runs::of_bytes(&lit.0, is_token);
                n.covered = cx.has_keyword(&lower(&lit.0));
                return n;
            }
            Node::exact(vec![lower(&lit.0)], cx)
        }
        HirKind::Class(c) => class(c, cx),
        HirKind::Capture(c) => node(&c.sub, cx),
        HirKind::Repetition(r) => {
            let mut sub = node(&r.sub, cx);
            let min = r.min as usize;
            // Whitespace never repeats where spaces are single, and a
            // run of it counts one byte where lengths are squeezed.
            let spaces = cx.spaces != Spaces::Any
                && sub
                    .exact
                    .as_deref()
                    .is_some_and(|set| set.iter().all(|s| matches!(s[..], [b] if is_space(b))));
            let rmax = match r.max {
                _ if spaces && cx.spaces == Spaces::Squeezed => 1,
                _ if spaces && min > 1 => 0,
                Some(m) if spaces => m.min(1),
                None if spaces => 1,
                Some(m) => m,
                None => u32::MAX,
            };
            if rmax == 0 {
                return Node::exact(vec![Vec::new()], cx);
            }
            // A fixed count or an optional part of a known set stays known.
            if let Some(set) = &sub.exact {
                if rmax == r.min {
                    let mut acc = vec![Vec::new()];
                    let mut ok = true;
                    for _ in 0..min {
                        match product(&acc, set) {
                            Some(p) => acc = p,
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok {
                        return Node::exact(acc, cx);
                    }
                } else if min == 0 && rmax == 1 {
                    let mut u = set.clone();
                    u.push(Vec::new());
                    if let Some(u) = dedup(u) {
                        return Node::exact(u, cx);
                    }
                }
            }
            let max = match rmax {
                u32::MAX => None,
                k => sub.max.and_then(|m| m.checked_mul(k as usize)),
            };
            let mut n = Node::unknown(sub.newline, max);
            n.runs = Runs::repeat(sub.runs, min);
            if min >= 1 {
                n.starts = sub.take_starts();
                n.ends = sub.take_ends();
                n.covered = sub.covered;
            }
            n.settle(cx);
            n
        }
        HirKind::Concat(subs) => {
            let mut it = subs.iter().map(|s| node(s, cx));
            let Some(first) = it.next() else {
                return Node::exact(vec![Vec::new()], cx);
            };
            it.fold(first, |a, b| concat(a, b, cx))
        }
        HirKind::Alternation(subs) => {
            let mut ns: Vec<Node> = subs.iter().map(|s| node(s, cx)).collect();
            if ns.is_empty() {
                return Node::unknown(false, None);
            }
            if ns.iter().all(|n| n.exact.is_some()) {
                let u: Vec<Vec<u8>> = ns
                    .iter()
                    .flat_map(|n| n.exact.clone().unwrap_or_default())
                    .collect();
                if let Some(u) = dedup(u) {
                    return Node::exact(u, cx);
                }
            }
            let max = ns.iter().try_fold(0, |a: usize, n| n.max.map(|m| a.max(m)));
            let mut n = Node::unknown(ns.iter().any(|n| n.newline), max);
            n.runs = Runs::either(ns.iter().map(|n| n.runs));
            n.covered = ns.iter().all(|n| n.covered);
            n.starts = dedup(ns.iter_mut().flat_map(Node::take_starts).collect())
                .unwrap_or_else(|| vec![Vec::new()]);
            n.ends = dedup(ns.iter_mut().flat_map(Node::take_ends).collect())
                .unwrap_or_else(|| vec![Vec::new()]);
            n.settle(cx);
            n
        }
    }
}

fn class(c: &Class, cx: &Cx<'_>) -> Node {
    // Members as code points; bytes above ASCII count as themselves.
    let ranges: Vec<(u32, u32)> = match c {
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
    };
    let newline = ranges.iter().any(|&(s, e)| s <= 0x0A && 0x0A <= e);
    let size: u64 = ranges.iter().map(|&(s, e)| u64::from(e - s) + 1).sum();
    let unicode = matches!(c, Class::Unicode(_));
    // One character: up to four bytes of UTF-8 in a Unicode class.
    let width = if unicode {
        ranges
            .iter()
            .map(|&(_, e)| char::from_u32(e).map_or(4, char::len_utf8))
            .max()
            .unwrap_or(1)
    } else {
        1
    };
    if size == 0 {
        return Node::unknown(false, None);
    }
    // A few members (hex digits in both cases, 22, among them): known, as
    // single characters, ASCII case folded.
    if size <= 32 {
        let mut set: Vec<Vec<u8>> = Vec::new();
        for &(s, e) in &ranges {
            for cp in s..=e {
                let bytes = if unicode || cp < 0x80 {
                    match char::from_u32(cp) {
                        Some(ch) => ch.to_string().into_bytes(),
                        None => return Node::unknown(newline, Some(width)),
                    }
                } else {
                    vec![cp as u8]
                };
                set.push(lower(&bytes));
            }
        }
        if let Some(set) = dedup(set) {
            return Node::exact(set, cx);
        }
    }
    let token = ranges
        .iter()
        .all(|&(s, e)| e < 0x80 && (s..=e).all(|b| is_token(b as u8)));
    let mut n = Node::unknown(newline, Some(width));
    if token {
        n.runs = Runs::all(1);
    }
    n
}

fn concat(mut a: Node, mut b: Node, cx: &Cx<'_>) -> Node {
    let max = a.max.zip(b.max).and_then(|(x, y)| x.checked_add(y));
    let mut n = Node::unknown(a.newline || b.newline, max);
    n.runs = Runs::concat(a.runs, b.runs);
    if let (Some(x), Some(y)) = (&a.exact, &b.exact) {
        if let Some(p) = product(x, y) {
            let mut e = Node::exact(p, cx);
            e.covered |= a.covered || b.covered;
            return e;
        }
    }
    // Keywords that straddle the two parts: the end of every `a` match
    // followed by the start of every `b` match.
    let seam = product(a.ends(), b.starts());
    n.covered = a.covered
        || b.covered
        || seam
            .as_deref()
            .is_some_and(|s| s.iter().all(|x| cx.has_keyword(x)));
    n.starts = match &a.exact {
        Some(x) => product(x, b.starts()).unwrap_or_else(|| x.clone()),
        None => std::mem::take(&mut a.starts),
    };
    n.ends = match &b.exact {
        Some(y) => product(a.ends(), y).unwrap_or_else(|| y.clone()),
        None => std::mem::take(&mut b.ends),
    };
    n.settle(cx);
    n
}

/// Every `x + y`, or `None` past the size caps.
fn product(xs: &[Vec<u8>], ys: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if xs.len().saturating_mul(ys.len()) > MAX_SET {
        return None;
    }
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for x in xs {
        for y in ys {
            if x.len() + y.len() > MAX_STR {
                return None;
            }
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    dedup(out)
}

fn dedup(mut v: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    v.sort_unstable();
    v.dedup();
    (v.len() <= MAX_SET).then_some(v)
}

fn lower(b: &[u8]) -> Vec<u8> {
    b.to_ascii_lowercase()
}

/// A regex for every prefix of every match of `hir`, the empty string
/// included. Searched with `\z` after it, it finds where a match may be in
/// progress at the end of a text that was cut short (a stream's window):
/// the text from there on is how some match begins. Captures are dropped,
/// and an assertion a prefix ends at counts as passing: the set claims
/// more prefixes than there are, never fewer. (Bounds are kept: a
/// `[\s\S]{0,200}` read as unbounded would keep a match in progress
/// through any text after its start.)
pub(crate) fn prefixes(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Hir::empty(),
        // `abc`: `(?:a(?:b(?:c)?)?)?`.
        HirKind::Literal(lit) => lit.0.iter().rev().fold(Hir::empty(), |rest, &b| {
            optional(Hir::concat(vec![Hir::literal([b]), rest]))
        }),
        HirKind::Class(_) => optional(h.clone()),
        HirKind::Capture(c) => prefixes(&c.sub),
        HirKind::Repetition(r) => match r.max {
            Some(0) => Hir::empty(),
            max => Hir::concat(vec![
                Hir::repetition(Repetition {
                    min: 0,
                    max: max.map(|m| m - 1),
                    greedy: r.greedy,
                    sub: Box::new(uncaptured(&r.sub)),
                }),
                prefixes(&r.sub),
            ]),
        },
        // A prefix of `a b c` is a prefix of `a`, or `a` and a prefix of
        // `b c`: built from the right, each part appears twice.
        HirKind::Concat(parts) => {
            let mut rest = Hir::empty();
            for (i, part) in parts.iter().enumerate().rev() {
                rest = if i + 1 == parts.len() {
                    prefixes(part)
                } else {
                    Hir::alternation(vec![
                        Hir::concat(vec![uncaptured(part), rest]),
                        prefixes(part),
                    ])
                };
            }
            rest
        }
        HirKind::Alternation(alts) => Hir::alternation(alts.iter().map(prefixes).collect()),
    }
}

fn optional(h: Hir) -> Hir {
    Hir::repetition(Repetition {
        min: 0,
        max: Some(1),
        greedy: true,
        sub: Box::new(h),
    })
}

/// `h` without its capture groups (a regex may not name a group twice).
fn uncaptured(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Capture(c) => uncaptured(&c.sub),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(uncaptured(&r.sub)),
            ..r.clone()
        }),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(uncaptured).collect()),
        HirKind::Alternation(alts) => Hir::alternation(alts.iter().map(uncaptured).collect()),
        _ => h.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Facts of `pattern` (parsed as the engine does, case-insensitive) on
    /// text whose whitespace runs may be long (`of`) or are single
    /// (`folded`).
    fn analyse(pattern: &str, keywords: &[&str], single_space: bool) -> Facts {
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        facts(&parse(pattern), &kws, single_space)
    }

    #[test]
    fn squeezed_length_counts_a_whitespace_run_once() {
        let max = |p: &str| squeezed_max_len(&parse(p));
        assert_eq!(max(r"name\s*=\s*v{1,3}"), Some(10));
        assert_eq!(max(r"a\s{2,}b[ \t]+c\s?"), Some(6));
        assert_eq!(max(r"a\s\s\sb"), Some(5));
        assert_eq!(max(r"(?:key|password)\s*:\s*[a-z]{1,4}"), Some(15));
        assert_eq!(max(r"a[\s,]*b"), None);
        assert_eq!(max(r"a\s+b.*"), None);
        assert_eq!(max(r"(?:\s*x)*"), None);
    }

    /// `pattern` parsed as the engine parses a case-insensitive rule.
    fn parse(pattern: &str) -> Hir {
        parse_with(pattern, true)
    }

    /// `pattern` parsed as the engine does, case-insensitive or not.
    fn parse_with(pattern: &str, insensitive: bool) -> Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .case_insensitive(insensitive)
            .build()
            .parse(pattern)
            .unwrap()
    }

    fn of(pattern: &str, keywords: &[&str]) -> Facts {
        analyse(pattern, keywords, false)
    }

    fn folded(pattern: &str, keywords: &[&str]) -> Facts {
        analyse(pattern, keywords, true)
    }

    #[test]
    fn first_bytes_of_matches() {
        // Parsed as a case-insensitive rule is: letters in both cases.
        let first = |p: &str| {
            of(p, &[])
                .first
                .map(|f| (0..=255u8).filter(|&b| f.contains(b)).collect::<Vec<u8>>())
        };
        assert_eq!(first(r"[\[{<(]\s*(?:insert|put)"), Some(b"(<[{".to_vec()));
        assert_eq!(first(r"a?b|c"), Some(b"ABCabc".to_vec()));
        assert_eq!(first(r"\bkey"), Some(b"Kk".to_vec()));
        // Past a line start and optional blanks: the fence's symbols.
        let fence = first(r"(?m)^[ \t]*[^\sA-Za-z0-9#]{2,}end").unwrap();
        assert!(fence.contains(&b' ') && fence.contains(&b'=') && fence.contains(&0xE2));
        assert!(
            !fence
                .iter()
                .any(|b| b.is_ascii_alphanumeric() || *b == b'#' || *b == b'\n')
        );
        // A regex that can match nothing starts anywhere.
        assert_eq!(first(r"a*"), None);
        assert_eq!(first(r"(?:x|)"), None);
        // A non-ASCII character: its UTF-8 lead byte.
        assert_eq!(first(r"é"), Some(vec![0xC3]));
        // Every byte can start one: nothing to skip.
        assert_eq!(first(r"(?s-u:.)x"), None);
    }

    #[test]
    fn token_runs() {
        assert_eq!(of(r"[A-Za-z0-9/+_-]{32,64}", &[]).min_run, 32);
        assert_eq!(of(r"ghp_[A-Za-z0-9]{36}", &[]).min_run, 40);
        // A separator outside the token bytes breaks the run.
        assert_eq!(of(r"[a-z]{10}:[a-z]{20}", &[]).min_run, 20);
        assert_eq!(
            of(
                r"(?:^|[^a-z])x[a-z]{23,27}\.[a-z]{6}\.[a-z]{27}(?:[^a-z]|$)",
                &[]
            )
            .min_run,
            59
        );
        // Alternatives: the weakest branch counts.
        assert_eq!(of(r"(?:[a-z]{30}|[0-9]{12})", &[]).min_run, 12);
        // Optional parts add nothing.
        assert_eq!(of(r"[a-z]{5}(?:[0-9]{40})?", &[]).min_run, 5);
        // Anything at all: no run is needed.
        assert_eq!(of(r".+", &[]).min_run, 0);
        assert_eq!(longest_run(b"an api key: sk-abc.def/ghi and"), 14);
    }

    #[test]
    fn run_search_agrees_with_the_longest_run() {
        let texts: [&[u8]; 6] = [
            b"",
            b"abc",
            b"an api key: sk-abc.def/ghi and more words here",
            b"x y z aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            b"aaaa bbbbbbbb cccccccccccccccc dddddddd",
            b"\xff\xfe0123456789\xff",
        ];
        for t in texts {
            let longest = longest_run(t);
            for m in 0..=t.len() + 1 {
                assert_eq!(has_run(t, m), m <= longest, "{t:?} {m}");
            }
        }
    }

    proptest::proptest! {
        /// One pass for every long run: the longest run where it is long,
        /// and `has_run`'s answer for every length from `LONG_RUN` on.
        #[test]
        fn long_run_answers_as_has_run(
            pieces in proptest::collection::vec((0usize..16, 1usize..40), 0..24),
        ) {
            let alphabet = b"aZ09-./+=_ ,;:!\x80\xe9";
            let mut t = Vec::new();
            for (c, n) in pieces {
                t.extend(std::iter::repeat_n(alphabet[c], n));
            }
            let (got, longest) = (long_run(&t), longest_run(&t));
            if longest >= LONG_RUN {
                proptest::prop_assert_eq!(got, longest);
            } else {
                proptest::prop_assert!(got < LONG_RUN);
            }
            for m in LONG_RUN..=t.len() + 1 {
                proptest::prop_assert_eq!(got >= m, has_run(&t, m), "{}", m);
            }
        }
    }

    #[test]
    fn sixteen_bytes_tested_as_each_byte_is() {
        for b in 0..=255u8 {
            let block = [
                b'a', b, b' ', 0xFF, b, b'0', b'~', b, b'_', b'Z', b, b'=', b'+', b'@', b'[', b,
            ];
            let nt = non_token16(&block);
            assert_eq!(nt, non_token16_words(&block), "{b:#x}");
            for (k, &c) in block.iter().enumerate() {
                assert_eq!(nt >> k & 1 == 1, !is_token(c), "{c:#x}");
            }
        }
    }

    #[test]
    fn eight_bytes_tested_as_each_byte_is() {
        for b in 0..=255u8 {
            let x = u64::from_le_bytes([b'a', b, b' ', b'\xff', b, b'0', b'~', b]);
            let nt = non_token8(x);
            for (k, &c) in x.to_le_bytes().iter().enumerate() {
                assert_eq!(nt >> (8 * k + 7) & 1 == 1, !is_token(c), "{c:#x}");
            }
        }
    }

    #[test]
    fn run_search_agrees_with_the_longest_run_on_random_text() {
        // Token bytes, spaces, punctuation that is not a token byte, and
        // bytes past ASCII, in runs of random length.
        let alphabet = b"aZ09-./+=_ ,;:!\x80\xe9";
        let mut rng = crate::test_rng::Rng::new(0x5eed_4a11);
        for _ in 0..3000 {
            let mut t = Vec::new();
            let len = rng.below(120);
            while t.len() < len {
                let c = alphabet[rng.below(alphabet.len())];
                let run = 1 + rng.below(if is_token(c) { 30 } else { 3 });
                t.extend(std::iter::repeat_n(c, run));
            }
            let longest = longest_run(&t);
            for m in 0..=t.len() + 1 {
                assert_eq!(has_run(&t, m), m <= longest, "{t:?} {m}");
            }
        }
    }

    #[test]
    fn lines_and_lengths() {
        let f = of(
            r"(?m)^[ \t]*[^\sa-z0-9#]{2,}[ \t]*(?:end|begin)[^\n]{0,60}$",
            &[],
        );
        assert!(f.one_line);
        assert_eq!(f.max_len, None);
        assert!(!of(r"\[\s*prompt\s*\]", &[]).one_line);
        assert!(of(r"a.b", &[]).one_line);
        assert_eq!(of(r"a.b", &[]).max_len, Some(3));
        assert_eq!(of(r"\[ ?prompt ?\]", &[]).max_len, Some(10));
        // Where whitespace is single, `\s*` and `\s+` are one byte at most.
        assert_eq!(of(r"\[\s*prompt\s+here\]", &[]).max_len, None);
        assert_eq!(folded(r"\[\s*prompt\s+here\]", &[]).max_len, Some(14));
        assert_eq!(folded(r"(?:a|bc)[ \t]{0,8}(?:x\s)+", &[]).max_len, None);
        assert_eq!(
            folded(r"(?:a|bc)[ \t]{0,8}(?:x\s){3}", &[]).max_len,
            Some(9)
        );
        // `\s{2}` cannot match there at all.
        assert_eq!(folded(r"a\s{2}b", &[]).max_len, Some(2));
    }

    #[test]
    fn keywords_inside_every_match() {
        let kws = &["end", "begin", "stop"];
        assert!(
            of(
                r"(?m)^[^\sa-z0-9]{2,}[ \t]*(?:end|begin|stop)\b[^\n]{0,60}$",
                kws
            )
            .covered
        );
        // One branch without a keyword: not covered.
        assert!(!of(r"(?:end|halt) of it", kws).covered);
        // Keywords across a seam of two parts.
        assert!(of(r"[0-9]+ig(?:nore|nite)\s+x", &["ignore", "ignite"]).covered);
        assert!(!of(r"[0-9]+ig(?:nore|nite)\s+x", &["ignore"]).covered);
        assert!(
            of(
                r"[\[{<(]\s*(?:insert|enter)\s+(?:your\s+)?prompt\s*[\]}>)]",
                &["prompt"]
            )
            .covered
        );
        assert!(
            !of(
                r"[\[{<(]\s*(?:insert|enter)\s+(?:your\s+)?prompt\s*[\]}>)]",
                &["query"]
            )
            .covered
        );
        // An optional keyword proves nothing.
        assert!(!of(r"x(?:end)?y", kws).covered);
        // Repeated at least once: covered.
        assert!(of(r"(?:stop)+", kws).covered);
        assert!(!of(r"(?:stop)*", kws).covered);
        // Case-insensitive parse: classes of one letter are that letter.
        assert!(of(r"END", kws).covered);
    }

    #[test]
    fn keywords_at_a_seam_of_digits() {
        let digit = |sep: char| (0..10).map(|d| format!("{d}{sep}")).collect::<Vec<_>>();
        let dots = digit('.');
        let dots: Vec<&str> = dots.iter().map(String::as_str).collect();
        let dashes = digit('-');
        let dashes: Vec<&str> = dashes.iter().map(String::as_str).collect();
        // A digit run's last digit before the separator.
        assert!(of(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}", &dots).covered);
        assert!(of(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}", &dots).covered);
        assert!(of(r"x[0-9]{3}-[0-9]{2}-[0-9]{4}", &dashes).covered);
        // A run that may be empty leaves the separator alone.
        assert!(!of(r"[0-9]{0,3}\.[0-9]", &dots).covered);
        // A class of hex digits (22 members, 16 once case is folded).
        let hex: Vec<String> = "0123456789abcdef"
            .chars()
            .map(|c| format!("{c}:"))
            .collect();
        let hex: Vec<&str> = hex.iter().map(String::as_str).collect();
        assert!(of(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7}", &hex).covered);
        assert!(!of(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7}", &hex[..15]).covered);
    }

    #[test]
    fn keywords_first_in_every_match() {
        let first = |p: &str, kws: &[&str]| of(p, kws).keyword_first;
        let kws = &["token", "auth_token", "authtoken", "secret"];
        assert!(first(
            r#"(?:auth_?token|token|secret)["']?\s*[:=]\s*\S+"#,
            kws
        ));
        // A branch starting with a word that is not a keyword (`client`
        // before `secret`): covered, but not first.
        let p = r"(?:client_?secret|token)\s*=\s*\S+";
        assert!(of(p, kws).covered && !first(p, kws));
        assert!(first(p, &["client_secret", "clientsecret", "token"]));
        // Anything before the keyword, even optional, or a leading gap.
        assert!(!first(r"x?token=\S+", kws));
        assert!(!first(r"\s*token=\S+", kws));
        // Assertions match no bytes; an optional keyword is not first.
        assert!(first(r"(?-u:\b)token(?-u:\b)", kws));
        assert!(!first(r"(?:token)?[0-9]+", kws));
        assert!(!first(r"token", &[]));
    }

    /// Regexes of the shapes rules use: literals, classes, bounded runs
    /// (short and widened), alternations, captures, lazy repetition,
    /// assertions.
    const SHAPES: &[&str] = &[
        r"-----begin (?:[a-z]+ )*key-----[\s\S]{4,}?-----end key-----",
        r"(?:key|token)\s*[:=]\s*(?P<secret>[a-z0-9]{6,80})(?:[^a-z0-9]|$)",
        r"(?m)^[ \t]*(?:ab|ba)[^\n]{0,70}\|[ \t]*sh",
        r"(?:^|[^a-z])ab[a-z]{2,}\.b[a-z]*",
        r"\bk(?:ey){1,3}\b",
        r"a{2}b{0,3}(?:c|d)+",
    ];

    /// What the texts for [`SHAPES`] are made of.
    const PIECES: &[&str] = &[
        "key",
        "token",
        " ",
        "  ",
        "=",
        ":",
        "abc123",
        "x9",
        "-----begin ",
        "rsa ",
        "key-----",
        "-----end key-----",
        "\n",
        "\t",
        "ab",
        "ba",
        "|",
        "sh",
        ".",
        "b",
        "k",
        "ey",
        "a",
        "c",
        "d",
        "zz",
        "0",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000,
            ..Default::default()
        })]
        /// Every cut of every match is found in progress at the end of the
        /// text cut there, starting no later than the match.
        #[test]
        fn prefixes_find_every_match_cut_short(
            which in 0..SHAPES.len(),
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..40),
        ) {
            let text = pieces.concat();
            use regex_automata::meta::Regex;
            let pattern = SHAPES[which];
            let re = Regex::builder().build_from_hir(&parse(pattern)).unwrap();
            let p = Hir::concat(vec![
                prefixes(&parse(pattern)),
                Hir::look(regex_syntax::hir::Look::End),
            ]);
            let partial = Regex::builder().build_from_hir(&p).unwrap();
            let text = text.as_bytes();
            for m in re.find_iter(text) {
                for cut in m.start()..=m.end() {
                    let found = partial.find(&text[..cut]);
                    proptest::prop_assert!(
                        found.is_some_and(|f| f.start() <= m.start()),
                        "{pattern} on {:?}: match {:?} cut at {cut}: {found:?}",
                        String::from_utf8_lossy(text),
                        m.range()
                    );
                }
            }
        }

        /// The scan finds what the regex's `find_iter` finds over the same
        /// range, case-sensitive or not.
        #[test]
        fn class_run_scan_is_find_iter(
            which in 0..RUN_SHAPES.len(),
            insensitive in proptest::bool::ANY,
            text in "[a-hA-H0-9/+=_ .\\-\\n\\u{e9}]{0,60}",
            lo in 0usize..70,
            hi in 0usize..70,
        ) {
            let hir = parse_with(RUN_SHAPES[which], insensitive);
            let re = regex_automata::meta::Regex::builder().build_from_hir(&hir).unwrap();
            let run = ClassRun::of(&hir).unwrap();
            let t = text.as_bytes();
            let (lo, hi) = (lo.min(t.len()), hi.min(t.len()));
            let want: Vec<(usize, usize)> = if lo <= hi {
                re.find_iter(regex_automata::Input::new(t).range(lo..hi))
                    .map(|m| (m.start(), m.end()))
                    .collect()
            } else {
                Vec::new()
            };
            let mut got = Vec::new();
            run.each(t, lo, hi, |s, e| got.push((s, e)));
            proptest::prop_assert_eq!(got, want, "{} on {:?} {}..{}", RUN_SHAPES[which], text, lo, hi);
        }
    }

    /// The needed run of `pattern` as (its class's bytes, length), however
    /// short.
    fn needed(pattern: &str) -> Option<(Vec<u8>, usize)> {
        NeededRun::any(&parse_with(pattern, false)).map(|n| {
            let class = (0..=255u8).filter(|&b| n.class[usize::from(b)]).collect();
            (class, n.len)
        })
    }

    #[test]
    fn needed_runs() {
        let digits = |extra: &[u8]| {
            let mut v: Vec<u8> = extra.iter().copied().chain(b'0'..=b'9').collect();
            v.sort_unstable();
            v
        };
        // The address itself; the context classes around it are wide.
        assert_eq!(
            needed(
                r"(?:^|[^0-9A-Za-z.])(?P<secret>(?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:[^0-9A-Za-z.]|$)"
            ),
            Some((digits(b"."), 7))
        );
        assert_eq!(
            needed(r"(?:^|[^0-9A-Za-z-])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9-]|$)"),
            Some((digits(b"-"), 11))
        );
        // Repetitions join their ends; optional parts add nothing.
        assert_eq!(needed(r"(?:[0-9]{2}:){2}x"), Some((digits(b":"), 6)));
        assert_eq!(needed(r"[0-9]{4}(?:-[0-9]{4})?"), Some((digits(b"-"), 4)));
        // One time round joins nothing: `1x2` has no two digits in a row.
        assert_eq!(needed(r"(?:[0-9]x[0-9]){1,3}"), Some((digits(b""), 1)));
        assert_eq!(needed(r"(?:[0-9]x[0-9]){2,3}"), Some((digits(b""), 2)));
        // Alternatives: the weakest branch counts.
        assert_eq!(needed(r"(?:[0-9]{8}|[0-9]{3}x)"), Some((digits(b""), 3)));
        // Look-arounds take no bytes: the run goes through them.
        assert_eq!(needed(r"[0-9]{3}\b[0-9]{3}"), Some((digits(b""), 6)));
        // Letters, whitespace and wide classes are not narrow: no class.
        assert_eq!(needed(r"ignore\s+previous"), None);
        assert_eq!(needed(r"[A-Za-z0-9]{40}"), None);
        assert_eq!(needed(r"(?i)key"), None);
        // A gate only where the run is long enough to be rare.
        assert!(NeededRun::of(&parse_with(r"[0-9]{5}", false)).is_none());
        assert!(NeededRun::of(&parse_with(r"[0-9]{6}", false)).is_some());
    }

    /// Leaves and shapes of the random regexes of `needed_run_is_in_every_match`.
    fn regex_shapes() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = proptest::sample::select(vec![
            "[0-9]", r"\.", "-", ":", "[0-9a-f]", "x", "[a-z]", r"\b", "^", "$", "[^0-9]", " ",
            "[0-9.]", "[xy]", "",
        ])
        .prop_map(String::from);
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..5).prop_map(|v| v.concat()),
                proptest::collection::vec(inner.clone(), 2..4)
                    .prop_map(|v| format!("(?:{})", v.join("|"))),
                (inner.clone(), 0u32..4, 0u32..3)
                    .prop_map(|(r, min, more)| format!("(?:{r}){{{min},{}}}", min + more)),
                inner.clone().prop_map(|r| format!("(?:{r})?")),
                inner.prop_map(|r| format!("(?:{r})+")),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 10000,
            ..Default::default()
        })]
        /// Every match of a regex, from any start, holds the run its syntax
        /// says it needs, and `holds` finds a run exactly where one is.
        #[test]
        fn needed_run_is_in_every_match(
            pattern in regex_shapes(),
            text in "[0-9a-fxy .:\\-]{0,40}",
            from in 0usize..40,
        ) {
            let Ok(hir) = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(&pattern)
            else {
                return Ok(());
            };
            let Some(need) = NeededRun::any(&hir) else {
                return Ok(());
            };
            let re = regex_automata::meta::Regex::builder().build_from_hir(&hir).unwrap();
            let t = text.as_bytes();
            let from = from.min(t.len());
            for m in re.find_iter(regex_automata::Input::new(t).range(from..)) {
                let bytes = &t[m.range()];
                proptest::prop_assert!(
                    need.holds(bytes),
                    "{pattern} on {text:?}: match {:?} lacks a run of {}", m.range(), need.len
                );
            }
            let longest = t
                .split(|&b| !need.class[usize::from(b)])
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            let n = NeededRun { len: need.len.max(1), class: need.class };
            proptest::prop_assert_eq!(n.holds(t), longest >= n.len, "{:?} {}", text, n.len);
        }
    }

    /// Run shapes: a greedy repetition, at least once, of ASCII bytes.
    #[test]
    fn class_runs() {
        let run = |p: &str| ClassRun::of(&parse(p)).map(|r| (r.min, r.max));
        assert_eq!(run("[A-Za-z0-9/+_-]{32,64}"), Some((32, 64)));
        assert_eq!(run("[0-9a-f]{40}"), Some((40, 40)));
        assert_eq!(run("[a-z]+"), Some((1, usize::MAX)));
        assert_eq!(run("[a-z]{2,}"), Some((2, usize::MAX)));
        for p in [
            "[a-z]*",
            "[a-z]{2,4}?",
            "1{3,5}",
            "[a-z]{3}[0-9]",
            "(?:[a-z]|é){3}",
            "[^a]{3}",
        ] {
            assert_eq!(run(p), None, "{p}");
        }
        // Case-insensitive parsing folds the class as the regex does.
        let r = ClassRun::of(&parse("[a-f]{3}")).unwrap();
        let mut got = Vec::new();
        r.each(b"xxABCdef--", 0, 10, |s, e| got.push((s, e)));
        assert_eq!(got, [(2, 5), (5, 8)]);
    }

    const RUN_SHAPES: &[&str] = &[
        "[A-Za-z0-9/+_-]{3,6}",
        "[0-9a-f]{4}",
        "[a-z]{2,}",
        "[A-Z2-7]{1,3}",
        "[a-z0-9]+",
    ];
}
