//! Confidential context an application registers so that responses can be
//! checked for leaking it: system prompts, other confidential text, canary
//! tokens.

use crate::canary;
use crate::engine::fold_str;
use crate::error::Error;
use crate::policy::Leakage;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashSet;

/// Confidential context: what a response must not reproduce.
///
/// Register it for every call with [`Guard::with_context`](crate::Guard::with_context),
/// for one call with [`Guard::inspect_with`](crate::Guard::inspect_with), or for a
/// stream with [`Guard::stream`](crate::Guard::stream).
///
/// - a **system prompt** (or any other confidential text, see
///   [`Context::confidential`]) leaks when a response reproduces a run of
///   at least `leakage.min_run_words` consecutive words of it (policy), or
///   all of it when it is shorter. Matching is on folded text (case,
///   look-alike letters, punctuation, line breaks and markup do not matter)
///   and on decoded text (base64, hex, URL and HTML escapes), so a prompt
///   reformatted as a list, quoted in pieces or encoded is still found;
/// - a **canary** ([`canary::generate`]) leaks when it appears at all, even
///   spaced out, case-changed, split by invisible characters, or encoded.
///
/// # Example
///
/// ```
/// use palisade::{Action, Context, Guard};
///
/// let mut ctx = Context::new();
/// ctx.system_prompt("You are Bolt, the support assistant of Acme Rail. Never discuss refunds above 500 euros without a supervisor.");
/// let guard = Guard::default().with_context(&ctx);
/// let v = guard.inspect_response("Sure. My instructions: \"you are BOLT - the support assistant of ACME rail\".");
/// assert_eq!(v.action, Action::Block);
/// assert_eq!(v.findings[0].rule, "leakage.system-prompt.verbatim");
/// # Ok::<(), palisade::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    system_prompts: Vec<String>,
    confidential: Vec<String>,
    canaries: Vec<String>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Registers a system prompt (rule `leakage.system-prompt.verbatim`).
    pub fn system_prompt(&mut self, text: impl Into<String>) -> &mut Context {
        self.system_prompts.push(text.into());
        self
    }

    /// Registers other confidential text: retrieved documents, a password
    /// the model must check but never say, internal notes (rule
    /// `leakage.context.verbatim`).
    pub fn confidential(&mut self, text: impl Into<String>) -> &mut Context {
        self.confidential.push(text.into());
        self
    }

    /// Registers a canary token (rule `leakage.canary.token`). Any string
    /// with at least 12 letters and digits works; [`canary::generate`]
    /// makes good ones.
    ///
    /// # Errors
    ///
    /// A token with fewer than 12 letters and digits (after folding) is
    /// refused: it could occur in ordinary text.
    pub fn canary(&mut self, token: impl Into<String>) -> Result<&mut Context, Error> {
        let token = token.into();
        let n = squash(&fold_str(&token)).len();
        if n < canary::MIN_ALNUM {
            return Err(Error::invalid(
                "canary",
                format!(
                    "a canary needs at least {} letters and digits; this one has {n}",
                    canary::MIN_ALNUM
                ),
            ));
        }
        self.canaries.push(token);
        Ok(self)
    }

    /// Adds everything `other` registers.
    pub fn extend(&mut self, other: &Context) -> &mut Context {
        self.system_prompts
            .extend(other.system_prompts.iter().cloned());
        self.confidential.extend(other.confidential.iter().cloned());
        self.canaries.extend(other.canaries.iter().cloned());
        self
    }

    /// The registered system prompts.
    pub fn system_prompts(&self) -> &[String] {
        &self.system_prompts
    }

    /// The registered confidential texts.
    pub fn confidential_texts(&self) -> &[String] {
        &self.confidential
    }

    /// The registered canaries.
    pub fn canaries(&self) -> &[String] {
        &self.canaries
    }

    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.system_prompts.is_empty() && self.confidential.is_empty() && self.canaries.is_empty()
    }
}

/// Which rule a protected text reports under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    SystemPrompt,
    Confidential,
}

/// A context compiled for matching: shingle sets per shingle length, and an
/// automaton of squashed canaries.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    /// What was registered.
    pub source: Context,
    /// (kind, shingle length in words, hashes of every shingle).
    pub shingles: Vec<(TextKind, usize, HashSet<u64>)>,
    /// Short texts (2 words up to `min_run_words`), as word hashes: they
    /// also leak in pieces, their words in order with a few words between.
    pub pieces: Vec<(TextKind, Vec<u64>)>,
    /// Texts without letters or digits, matched as folded literals.
    pub literals: Vec<(TextKind, String)>,
    /// Squashed (folded, letters and digits only) canaries and generated
    /// canary bodies.
    pub canaries: Option<AhoCorasick>,
}

impl Compiled {
    pub fn new(ctx: &Context, leakage: &Leakage) -> Compiled {
        let mut out = Compiled {
            source: ctx.clone(),
            ..Compiled::default()
        };
        let texts = ctx
            .system_prompts
            .iter()
            .map(|t| (TextKind::SystemPrompt, t))
            .chain(ctx.confidential.iter().map(|t| (TextKind::Confidential, t)));
        // A response read through the deleet view shows a leetspelled
        // secret as letters (`qu4rtz` as `quartz`): the secret's own deleet
        // rendering is registered too when it differs.
        let texts = texts.flat_map(|(kind, text)| {
            let folded = fold_str(text);
            let v = crate::views::View::identity(crate::types::ViewKind::Folded, &folded);
            let read = crate::views::deleet(&v).text.into_owned();
            let leet = (read != folded).then_some((kind, read));
            std::iter::once((kind, folded)).chain(leet)
        });
        for (kind, folded) in texts {
            let words = words(&folded);
            if words.is_empty() {
                let lit = folded.trim();
                if lit.chars().filter(|c| !c.is_whitespace()).count() >= leakage.min_secret_chars {
                    out.literals.push((kind, lit.to_string()));
                }
                continue;
            }
            let alnum: usize = words.iter().map(|w| folded[w.0..w.1].chars().count()).sum();
            if alnum < leakage.min_secret_chars {
                continue;
            }
            let n = words.len().min(leakage.min_run_words);
            let hashes: Vec<u64> = words.iter().map(|w| word_hash(&folded[w.0..w.1])).collect();
            if (2..leakage.min_run_words).contains(&hashes.len()) {
                out.pieces.push((kind, hashes.clone()));
            }
            let slot = match out.shingles.iter().position(|s| s.0 == kind && s.1 == n) {
                Some(i) => i,
                None => {
                    out.shingles.push((kind, n, HashSet::new()));
                    out.shingles.len() - 1
                }
            };
            let set = &mut out.shingles[slot].2;
            let mut roll = Rolling::new(n);
            for h in hashes {
                if let Some(s) = roll.push(h) {
                    set.insert(s);
                }
            }
        }
        let mut needles: Vec<String> = Vec::new();
        for c in &ctx.canaries {
            let sq = squash(&fold_str(c));
            if canary::is_generated(c) {
                needles.push(sq[canary::PREFIX.len() - 1..].to_string());
            }
            needles.push(sq);
        }
        needles.sort();
        needles.dedup();
        if !needles.is_empty() {
            out.canaries = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&needles)
                .ok();
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty()
            && self.pieces.is_empty()
            && self.literals.is_empty()
            && self.canaries.is_none()
    }
}

/// Letters and digits of folded text, ASCII-lowercase.
fn squash(folded: &str) -> String {
    folded.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether `c` is written without spaces between words (Han, kana, Hangul
/// syllables, Thai...): each such character counts as a word.
fn unspaced(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Words of folded text: maximal runs of letters and digits (each Han,
/// kana... character alone), as byte spans.
pub(crate) fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let alnum = if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            c.is_alphanumeric()
        };
        if alnum && !unspaced(c) {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            out.push((s, i));
        }
        if alnum {
            out.push((i, i + c.len_utf8()));
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// FNV-1a of a word, never zero.
pub(crate) fn word_hash(w: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in w.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h | 1
}

/// A rolling polynomial hash over the last `n` word hashes.
#[derive(Debug)]
pub(crate) struct Rolling {
    n: usize,
    window: std::collections::VecDeque<u64>,
    hash: u64,
    /// BASE^(n-1), to remove the oldest word.
    top: u64,
}

const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rolling {
    pub fn new(n: usize) -> Rolling {
        let mut top: u64 = 1;
        for _ in 1..n {
            top = top.wrapping_mul(BASE);
        }
        Rolling {
            n,
            window: std::collections::VecDeque::with_capacity(n + 1),
            hash: 0,
            top,
        }
    }

    /// Adds a word; returns the shingle hash once `n` words are in.
    pub fn push(&mut self, h: u64) -> Option<u64> {
        if self.window.len() == self.n {
            let old = self.window.pop_front().unwrap_or(0);
            self.hash = self.hash.wrapping_sub(old.wrapping_mul(self.top));
        }
        self.hash = self.hash.wrapping_mul(BASE).wrapping_add(h);
        self.window.push_back(h);
        (self.window.len() == self.n).then_some(self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split() {
        let t = "you are bolt, the 2nd 密码 ok";
        let w: Vec<&str> = words(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(w, ["you", "are", "bolt", "the", "2nd", "密", "码", "ok"]);
    }

    #[test]
    fn rolling_matches_direct() {
        let hs = [11u64, 22, 33, 44, 55];
        let mut r = Rolling::new(3);
        let got: Vec<u64> = hs.iter().filter_map(|&h| r.push(h)).collect();
        let mut r2 = Rolling::new(3);
        let direct: Vec<u64> = hs[2..].iter().map(|_| 0).collect::<Vec<_>>();
        assert_eq!(got.len(), direct.len());
        // The hash of 22,33,44 is the same wherever the window starts.
        let a = [22u64, 33, 44].iter().filter_map(|&h| r2.push(h)).next();
        assert_eq!(Some(got[1]), a);
    }

    #[test]
    fn short_canary_refused() {
        assert!(Context::new().canary("abc-123").is_err());
        assert!(Context::new().canary(canary::generate()).is_ok());
    }
}
