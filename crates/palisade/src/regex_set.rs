//! Which of several regexes match anywhere in a text, in one pass.
//!
//! The engine runs its regexes without keywords (number-shaped personal
//! data, some tokens) on every text only where this pass says they match.
//! regex-automata answers the question with an overlapping search
//! (`which_overlapping_matches`), which steps its lazy DFA through every
//! checked transition and stops at each match state: about 28
//! instructions a byte, a tenth of the time code and logs took to
//! inspect. Whether a pattern matches needs neither match positions nor
//! stops: this pass follows the cached transitions with one table look-up
//! a byte and leaves the loop only for a state that is not yet computed, a
//! match state (its patterns are noted) or the dead state: about 18
//! instructions a byte (callgrind, code and logs). Its look-ups form one
//! chain, each waiting on the last: a long text is read as two halves
//! side by side, overlapping by the longest match, when every pattern's
//! length is bounded.

use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchError, MatchKind, PatternID, PatternSet};

/// A lazy DFA of several patterns, every match of every one (the
/// patterns of a match state are all those matching there), with search
/// caches one per thread at a time.
pub(crate) struct MatchSet {
    dfa: DFA,
    caches: Pool<Option<Cache>, fn() -> Option<Cache>>,
    /// The longest match of any pattern, look-around bytes included,
    /// when every pattern's is bounded: then a long text is read as two
    /// halves side by side (see [`halves`]).
    longest: Option<usize>,
}

impl std::fmt::Debug for MatchSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchSet")
            .field("patterns", &self.dfa.pattern_len())
            .finish_non_exhaustive()
    }
}

impl MatchSet {
    /// The set of `patterns`, read with `syntax`; NFAs and caches bounded
    /// as the engine bounds its regexes'.
    pub(crate) fn new(
        patterns: &[String],
        syntax: syntax::Config,
        nfa_limit: usize,
        cache_capacity: usize,
    ) -> Result<MatchSet, String> {
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(cache_capacity)
                    // A capacity too small for the few states a search
                    // needs is raised to that (the NFA is bounded), not
                    // refused: a large policy still builds.
                    .skip_cache_capacity_check(true)
                    // A Unicode word boundary (a policy's `(?u:\b)`) is
                    // read in ASCII text, and the search gives up at the
                    // first other byte (see `which`): a lazy DFA refuses
                    // it otherwise, and the policy would not build.
                    .unicode_word_boundary(true)
                    // As regex-automata's own searches: a search that
                    // keeps clearing the cache gives up (and every pattern
                    // is then taken to match, see `which`).
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .syntax(syntax)
            .thompson(
                thompson::Config::new()
                    .which_captures(thompson::WhichCaptures::None)
                    .nfa_size_limit(Some(nfa_limit)),
            )
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        // The longest match: every pattern's maximum length (a pattern
        // that does not parse alone would not have built above).
        let longest = patterns.iter().try_fold(0usize, |m, p| {
            let hir = syntax::parse_with(p, &syntax).ok()?;
            Some(m.max(hir.properties().maximum_len()?))
        });
        Ok(MatchSet {
            dfa,
            caches: Pool::new(|| None),
            longest,
        })
    }

    /// Number of patterns.
    pub(crate) fn pattern_len(&self) -> usize {
        self.dfa.pattern_len()
    }

    /// Heap bytes of the DFA's NFA and tables (search caches not included).
    #[cfg(feature = "internal-checks")]
    pub(crate) fn memory_usage(&self) -> usize {
        self.dfa.memory_usage()
    }

    /// The patterns with a match somewhere in `text`. Fails closed: should
    /// the search give up (its cache cleared too often for the bytes it
    /// read, or a Unicode word boundary met a non-ASCII byte), every
    /// pattern is in, so that each regex decides for itself.
    pub(crate) fn which(&self, text: &[u8]) -> PatternSet {
        let mut found = PatternSet::new(self.pattern_len());
        let mut cache = self.caches.get();
        let cache = cache.get_or_insert_with(|| self.dfa.create_cache());
        let result = match self.longest {
            // Two chains of look-ups the processor overlaps, where one
            // waits on each.
            Some(l) if text.len() >= HALVES_FROM && l < text.len() / 4 => {
                halves(&self.dfa, cache, text, l, &mut found)
            }
            _ => matching(&self.dfa, cache, text, &mut found),
        };
        if result.is_err() {
            for p in 0..self.pattern_len() {
                found.insert(PatternID::must(p));
            }
        }
        found
    }
}

/// Notes into `found` the patterns that match somewhere in `text`. Out of
/// line: a pass over the whole text, kept apart from the engine's scan.
#[inline(never)]
fn matching(
    dfa: &DFA,
    cache: &mut Cache,
    text: &[u8],
    found: &mut PatternSet,
) -> Result<(), MatchError> {
    let sid = dfa.start_state_forward(cache, &Input::new(text))?;
    matching_from(dfa, cache, text, sid, 0, text.len(), found)
}

/// Texts from this long are read as two halves side by side.
const HALVES_FROM: usize = 2048;

/// [`matching`] for a text read as two halves side by side: the first
/// half's bytes, and from `longest` bytes before the middle to the end
/// (a match of at most `longest` bytes that ends past the middle starts
/// after that, so each match lies whole in one of them). Each half's
/// search sees the bytes around it as the whole text's search does (its
/// start state the byte before, its last step the byte after). Should
/// the cache be cleared under way (the other half's state then means
/// nothing), the text is read again the usual way.
#[inline(never)]
fn halves(
    dfa: &DFA,
    cache: &mut Cache,
    text: &[u8],
    longest: usize,
    found: &mut PatternSet,
) -> Result<(), MatchError> {
    let n = text.len();
    let mid = n / 2;
    let b0 = mid - longest;
    let mut sa = dfa.start_state_forward(cache, &Input::new(text).range(..mid))?;
    let clears = cache.clear_count();
    let mut sb = dfa.start_state_forward(cache, &Input::new(text).range(b0..))?;
    if cache.clear_count() != clears {
        return matching(dfa, cache, text, found);
    }
    let (mut ia, mut ib) = (0, b0);
    // Bytes read by both, for the cache's give-up rule.
    cache.search_start(0);
    while ia < mid && ib < n {
        // Cached transitions between untagged states: one look-up a byte
        // for each half.
        while ia < mid && ib < n {
            if sa.is_tagged() || sb.is_tagged() {
                break;
            }
            let na = dfa.next_state_untagged(cache, sa, text[ia]);
            let nb = dfa.next_state_untagged(cache, sb, text[ib]);
            if na.is_tagged() || nb.is_tagged() {
                break;
            }
            (sa, sb) = (na, nb);
            ia += 1;
            ib += 1;
        }
        if ia >= mid || ib >= n {
            break;
        }
        // The checked step for each (one of them at a state yet to be
        // computed, a match, the dead state, or leaving one). A step that
        // clears the cache leaves the other half's state pointing
        // nowhere: looked at after each.
        cache.search_update(ia + (ib - b0));
        let stepped = match checked(dfa, cache, sa, text, ia, clears)? {
            Some(na) => checked(dfa, cache, sb, text, ib, clears)?.map(|nb| (na, nb)),
            None => None,
        };
        let Some((na, nb)) = stepped else {
            cache.search_finish(ia + (ib - b0));
            return matching(dfa, cache, text, found);
        };
        (sa, sb) = (na, nb);
        for (sid, at) in [(sa, ia), (sb, ib)] {
            if sid.is_match() {
                note(dfa, cache, sid, found);
            } else if sid.is_quit() {
                return Err(MatchError::quit(text[at], at));
            }
        }
        // A dead half has nothing more to find: the other reads on alone.
        match (sa.is_dead(), sb.is_dead()) {
            (true, true) => {
                cache.search_finish(ia + (ib - b0));
                return Ok(());
            }
            (true, false) => ia = mid,
            (false, true) => ib = n,
            (false, false) => {
                ia += 1;
                ib += 1;
            }
        }
    }
    cache.search_finish(ia + (ib - b0));
    // Each half on to its end alone, from where it is (the second's
    // state means nothing once the first's cleared the cache).
    matching_from(dfa, cache, text, sa, ia, mid, found)?;
    if cache.clear_count() != clears {
        return matching(dfa, cache, text, found);
    }
    matching_from(dfa, cache, text, sb, ib, n, found)
}

/// The checked step from `sid` on byte `at` of `text`; `None` when it
/// cleared the cache (a clear count other than `clears`).
fn checked(
    dfa: &DFA,
    cache: &mut Cache,
    sid: LazyStateID,
    text: &[u8],
    at: usize,
    clears: usize,
) -> Result<Option<LazyStateID>, MatchError> {
    let next = dfa
        .next_state(cache, sid, text[at])
        .map_err(|_| MatchError::gave_up(at))?;
    Ok((cache.clear_count() == clears).then_some(next))
}

/// The search from state `sid` at `at` to `end`, then its last step: the
/// byte at `end` (as a search of `..end` within the text takes it) or the
/// end of the text.
fn matching_from(
    dfa: &DFA,
    cache: &mut Cache,
    text: &[u8],
    mut sid: LazyStateID,
    mut at: usize,
    end: usize,
    found: &mut PatternSet,
) -> Result<(), MatchError> {
    if sid.is_dead() {
        return Ok(());
    }
    cache.search_start(at);
    while at < end {
        // Cached transitions between untagged states: one look-up a byte.
        while at < end {
            if sid.is_tagged() {
                break;
            }
            let next = dfa.next_state_untagged(cache, sid, text[at]);
            if next.is_tagged() {
                break;
            }
            sid = next;
            at += 1;
        }
        if at >= end {
            break;
        }
        // A state yet to be computed, a match, the dead state, or a step
        // out of one of those: the checked transition (which may compute
        // states) and a look at where it leads.
        cache.search_update(at);
        sid = dfa
            .next_state(cache, sid, text[at])
            .map_err(|_| MatchError::gave_up(at))?;
        if sid.is_match() {
            note(dfa, cache, sid, found);
        } else if sid.is_dead() {
            cache.search_finish(at);
            return Ok(());
        } else if sid.is_quit() {
            return Err(MatchError::quit(text[at], at));
        }
        at += 1;
    }
    cache.search_finish(end);
    sid = match text.get(end) {
        Some(&b) => dfa.next_state(cache, sid, b),
        None => dfa.next_eoi_state(cache, sid),
    }
    .map_err(|_| MatchError::gave_up(end))?;
    if sid.is_match() {
        note(dfa, cache, sid, found);
    }
    Ok(())
}

/// Notes the patterns of the match state `sid`.
fn note(dfa: &DFA, cache: &Cache, sid: LazyStateID, found: &mut PatternSet) {
    for k in 0..dfa.match_len(cache, sid) {
        found.insert(dfa.match_pattern(cache, sid, k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    const PATTERNS: &[&str] = &[
        r"(?:^|[^0-9])[0-9]{3}-[0-9]{4}(?:[^0-9]|$)",
        r"(?-u:\b)[A-Z]{2}[0-9]{2}(?-u:\b)",
        r"ab+c",
        r"^x",
        r"y$",
        r"b",
    ];

    /// `patterns` as a set, and as regex-automata's overlapping search
    /// (what the set must agree with).
    fn set_and_search(patterns: &[&str]) -> (MatchSet, Regex) {
        set_and_search_cached(patterns, 1 << 16)
    }

    /// [`set_and_search`] with a search cache of `cache` bytes.
    fn set_and_search_cached(patterns: &[&str], cache: usize) -> (MatchSet, Regex) {
        let syntax = syntax::Config::new().unicode(false).utf8(false);
        let pats: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let set = MatchSet::new(&pats, syntax, 1 << 20, cache).unwrap();
        let search = Regex::builder()
            .configure(Regex::config().match_kind(MatchKind::All))
            .syntax(syntax)
            .build_many(patterns)
            .unwrap();
        (set, search)
    }

    proptest::proptest! {
        /// The patterns found are those regex-automata's overlapping
        /// search finds, anchors and word boundaries included.
        #[test]
        fn finds_what_the_overlapping_search_finds(
            text in "([0-9]{1,4}|-|[A-Z]{1,3}|a|b|c|x|y| |\n){0,30}"
        ) {
            static SETS: std::sync::LazyLock<(MatchSet, Regex)> =
                std::sync::LazyLock::new(|| set_and_search(PATTERNS));
            let (ours, meta) = &*SETS;
            let mut want = PatternSet::new(PATTERNS.len());
            meta.which_overlapping_matches(&Input::new(&text), &mut want);
            let got = ours.which(text.as_bytes());
            proptest::prop_assert_eq!(
                got.iter().collect::<Vec<_>>(),
                want.iter().collect::<Vec<_>>(),
                "{:?}", text
            );
        }
    }

    /// Patterns of bounded length: a long text is read as two halves.
    const BOUNDED: &[&str] = &[
        r"(?:^|[^0-9])[0-9]{3}-[0-9]{4}(?:[^0-9]|$)",
        r"(?-u:\b)[A-Z]{2}[0-9]{2}(?-u:\b)",
        r"ab{1,3}c",
        r"^x",
        r"y$",
        r"b",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

        /// Long texts, read as two halves, give the patterns the
        /// overlapping search over the whole text finds, with matches
        /// anywhere around the middle and at the ends.
        #[test]
        fn halves_find_what_the_whole_text_search_finds(
            tokens in proptest::collection::vec("[0-9]{1,4}|-|[A-Z]{1,3}|a|b|c|x|y| |\n", 1..12),
            len in 2048usize..4200,
            off in 0usize..24,
            at in proptest::collection::vec(0usize..4200, 0..4),
        ) {
            static SETS: std::sync::LazyLock<(MatchSet, Regex)> =
                std::sync::LazyLock::new(|| set_and_search(BOUNDED));
            let (ours, meta) = &*SETS;
            proptest::prop_assert!(ours.longest.is_some());
            // Filler without any pattern's bytes, then the tokens written
            // one after the other at the places asked: across the middle
            // (starting up to 24 bytes before it), at the end, anywhere.
            let mut text = vec![b'.'; len];
            let run = tokens.concat();
            let mut places = at;
            places.push(len / 2 - off);
            places.push(len);
            for p in places {
                let p = p.min(len - run.len());
                text[p..p + run.len()].copy_from_slice(run.as_bytes());
            }
            let mut want = PatternSet::new(BOUNDED.len());
            meta.which_overlapping_matches(&Input::new(&text), &mut want);
            let got = ours.which(&text);
            proptest::prop_assert_eq!(
                got.iter().collect::<Vec<_>>(),
                want.iter().collect::<Vec<_>>(),
                "{:?}", String::from_utf8_lossy(&text)
            );
        }
    }

    /// A match of each bounded pattern at every offset across the middle
    /// of texts of odd and even lengths, with filler that matches nothing
    /// and with letters that end a word boundary: the halves find what
    /// the whole-text search finds.
    #[test]
    fn halves_find_matches_across_the_middle() {
        let (set, meta) = set_and_search(BOUNDED);
        for len in [2048, 2049, 3001] {
            for piece in [
                "AB12",
                "xAB12",
                "AB12Z",
                " 123-4567 ",
                "123-4567",
                "abbbc",
                "ab",
            ] {
                for fill in [b'.', b'Q'] {
                    for off in 0..16 {
                        let mut text = vec![fill; len];
                        let at = len / 2 - off;
                        text[at..at + piece.len()].copy_from_slice(piece.as_bytes());
                        let mut want = PatternSet::new(BOUNDED.len());
                        meta.which_overlapping_matches(&Input::new(&text), &mut want);
                        let got = set.which(&text);
                        assert_eq!(
                            got.iter().collect::<Vec<_>>(),
                            want.iter().collect::<Vec<_>>(),
                            "{piece:?} at {at} of {len}, filler {fill}"
                        );
                    }
                }
            }
        }
    }

    /// Halves whose cache keeps being cleared under way (the smallest
    /// cache, texts that make new states all along): the text is read
    /// again the usual way, which finds what the whole-text search finds
    /// or gives up to every pattern; never a half's stale state.
    #[test]
    fn halves_survive_cache_clears() {
        let (small, meta) = set_and_search_cached(BOUNDED, 0);
        let mut rng = crate::test_rng::Rng::new(0x9E37_79B9_7F4A_7C15);
        const ALPHABET: &[u8] = b"0123456789-ABCXYZabcxy .\n";
        for len in [2048, 4099, 20_000] {
            let text: Vec<u8> = (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            let mut want = PatternSet::new(BOUNDED.len());
            meta.which_overlapping_matches(&Input::new(&text), &mut want);
            let got = small.which(&text);
            let all = got.len() == BOUNDED.len();
            assert!(
                all || got.iter().eq(want.iter()),
                "{len} bytes: {:?} against {:?}",
                got.iter().collect::<Vec<_>>(),
                want.iter().collect::<Vec<_>>()
            );
        }
    }

    /// A Unicode word boundary (a policy's `(?u:\b)`) builds: the DFA
    /// reads it in ASCII text and gives up at the first non-ASCII byte,
    /// and then every pattern is in.
    #[test]
    fn unicode_word_boundaries_build_and_fail_closed() {
        let pats = vec![r"(?u:\b)cat(?u:\b)".to_string(), "never".to_string()];
        let syntax = syntax::Config::new().unicode(false).utf8(false);
        let set = MatchSet::new(&pats, syntax, 1 << 20, 1 << 16).unwrap();
        let found = |t: &str| {
            set.which(t.as_bytes())
                .iter()
                .map(|p| p.as_usize())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("a cat sat"), vec![0]);
        assert_eq!(found("concatenate"), Vec::<usize>::new());
        assert_eq!(found("a caté sat"), vec![0, 1]);
    }

    /// A policy rule without keywords using a Unicode word boundary
    /// builds (it is in the always-run set) and finds what it should.
    #[test]
    fn policy_with_unicode_word_boundary_builds() {
        let policy = crate::Policy::from_toml(
            "[[rules]]\nid = \"acme.cat\"\ncategory = \"leakage\"\nseverity = \"high\"\nregex = '(?u:\\b)cat(?u:\\b)'\n",
        )
        .unwrap();
        let guard = crate::Guard::new(&policy).unwrap();
        let at = |t: &str| {
            let v = guard.inspect_prompt(t);
            v.findings
                .iter()
                .filter(|f| f.rule == "acme.cat")
                .map(|f| (f.start, f.end))
                .collect::<Vec<_>>()
        };
        assert_eq!(at("a cat sat"), vec![(2, 5)]);
        assert_eq!(at("concatenate"), vec![]);
        assert_eq!(at("a caté cat sat"), vec![(8, 11)]);
    }

    /// A search whose states keep overflowing the cache gives up, and
    /// then every pattern is in: the set never says a pattern is absent
    /// without having read the whole text.
    #[test]
    fn gives_up_to_every_pattern() {
        // The n-th byte from the end being 1: a DFA of 2^n states.
        let pats = vec!["[01]*1[01]{14}$".to_string(), "never".to_string()];
        // The smallest cache: it holds a few states.
        let set = MatchSet::new(&pats, syntax::Config::new(), 1 << 20, 0).unwrap();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let text: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b'0' + (x & 1) as u8
            })
            .collect();
        let found = set.which(&text);
        assert!(
            found.contains(PatternID::must(1)),
            "the search did not give up"
        );
        // With room for the states its bytes make, the search reads it
        // through: `never` is absent.
        let roomy = MatchSet::new(&pats, syntax::Config::new(), 1 << 20, 1 << 20).unwrap();
        let found = roomy.which(&text[..64]);
        assert!(!found.contains(PatternID::must(1)));
    }
}
