//! Literal search: Aho-Corasick DFAs of our own (`Compact`, built directly
//! from the literals in a cache-friendly layout), NFAs of our own for the
//! large sets that run on little text (`Sparse`) and, for literal sets the
//! DFA does not fit, aho-corasick's DFA and NFAs, all driven by loops of
//! our own. The crate's overlapping iterator keeps its position in a state
//! struct and returns to the caller for every match; these loops keep the
//! state in a register and call back in place, which takes several times
//! fewer instructions per byte on the hot path.

use crate::error::Error;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::{contiguous, noncontiguous};
use aho_corasick::{Anchored, MatchKind, dfa};

/// Distinct literals in one automaton, each with its owners.
#[derive(Debug)]
pub(crate) struct Literals<T> {
    aut: Aut,
    owners: Owners<T>,
}

/// The owners of each literal, in one vector: literal `p`'s are
/// `all[at[p]..at[p + 1]]` (one allocation, not one per literal).
#[derive(Debug)]
struct Owners<T> {
    all: Vec<T>,
    at: Vec<u32>,
}

impl<T> Owners<T> {
    #[inline(always)]
    fn get(&self, p: usize) -> &[T] {
        &self.all[self.at[p] as usize..self.at[p + 1] as usize]
    }
}

#[derive(Debug)]
enum Aut {
    /// The DFA in the compact layout of [`Compact`].
    Compact(Compact),
    /// The NFA of [`Sparse`].
    Sparse(Sparse),
    Dfa(dfa::DFA),
    Contiguous(contiguous::NFA),
    /// The fallback when the others exceed their size limits.
    Noncontiguous(noncontiguous::NFA),
}

impl<T: Clone> Literals<T> {
    /// An automaton over `pats` (`None` when there are none): a DFA when
    /// `dfa` (fastest, largest), else an NFA.
    pub fn build(pats: Vec<(String, T)>, dfa: bool) -> Result<Option<Literals<T>>, Error> {
        Self::build_sized(pats, dfa, DENSE_STATES)
    }

    /// [`build`](Self::build), with full rows for `dense_states` states
    /// of an NFA (tests take one: the others' sparse edges; a set that
    /// reads only a few short words takes a few, to stay small).
    pub fn build_sized(
        pats: Vec<(String, T)>,
        dfa: bool,
        dense_states: usize,
    ) -> Result<Option<Literals<T>>, Error> {
        if pats.is_empty() {
            return Ok(None);
        }
        // Distinct literals in byte order (the tries sort them so too),
        // each with its owners in the order given.
        // Byte order decided by each literal's first eight bytes where
        // they differ (most comparisons), by the rest where they tie.
        let head = |s: &str| {
            let b = s.as_bytes();
            let mut k = [0u8; 8];
            let n = b.len().min(8);
            k[..n].copy_from_slice(&b[..n]);
            u64::from_be_bytes(k)
        };
        let mut keyed: Vec<(u64, String, T)> =
            pats.into_iter().map(|(s, t)| (head(&s), s, t)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let pats = keyed.into_iter().map(|(_, s, t)| (s, t));
        let mut strings: Vec<String> = Vec::new();
        let mut owners = Owners {
            all: Vec::with_capacity(pats.len()),
            at: vec![0],
        };
        for (s, t) in pats {
            if strings.last() != Some(&s) {
                if !strings.is_empty() {
                    owners.at.push(owners.all.len() as u32);
                }
                strings.push(s);
            }
            owners.all.push(t);
        }
        owners.at.push(owners.all.len() as u32);
        let ours = match dfa {
            true => Compact::build(&strings).map(Aut::Compact),
            false => Sparse::build(&strings, dense_states).map(Aut::Sparse),
        };
        if let Some(aut) = ours {
            return Ok(Some(Literals { aut, owners }));
        }
        let fail = |e: aho_corasick::BuildError| {
            Error::rule(
                "<phrases>",
                format!("cannot build the phrase automaton: {e}"),
            )
        };
        // No prefilter: `each` never uses one, and with one the automaton
        // marks its start state special, which would send every return to
        // the start state (most bytes of ordinary text) down the slow path.
        let nfa = noncontiguous::NFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&strings)
            .map_err(fail)?;
        let aut = if dfa {
            dfa::DFA::builder()
                .match_kind(MatchKind::Standard)
                .build_from_noncontiguous(&nfa)
                .map(Aut::Dfa)
                .ok()
        } else {
            None
        };
        let aut = match aut {
            Some(a) => a,
            None => match contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .build_from_noncontiguous(&nfa)
            {
                Ok(c) => Aut::Contiguous(c),
                Err(_) => Aut::Noncontiguous(nfa),
            },
        };
        Ok(Some(Literals { aut, owners }))
    }
}

impl<T> Literals<T> {
    /// Heap bytes of the automaton.
    #[cfg(any(test, feature = "internal-checks"))]
    pub fn memory_usage(&self) -> usize {
        match &self.aut {
            Aut::Compact(a) => a.memory_usage(),
            Aut::Sparse(a) => a.memory_usage(),
            Aut::Dfa(a) => a.memory_usage(),
            Aut::Contiguous(a) => a.memory_usage(),
            Aut::Noncontiguous(a) => a.memory_usage(),
        }
    }

    /// Number of distinct literals.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.owners.at.len() - 1
    }

    /// Calls `f(owners, start, end)` for every occurrence of every literal
    /// inside `hay[lo..hi]` (overlapping occurrences included), in order of
    /// their end.
    #[inline]
    pub fn each(&self, hay: &[u8], lo: usize, hi: usize, f: impl FnMut(&[T], usize, usize)) {
        let hi = hi.min(hay.len());
        if lo >= hi {
            return;
        }
        match &self.aut {
            Aut::Compact(a) => a.run(&self.owners, &hay[..hi], lo, a.start, f),
            Aut::Sparse(a) => a.run(&self.owners, &hay[lo..hi], lo, f),
            Aut::Dfa(a) => run(a, &self.owners, hay, lo, hi, f),
            Aut::Contiguous(a) => run(a, &self.owners, hay, lo, hi, f),
            Aut::Noncontiguous(a) => run(a, &self.owners, hay, lo, hi, f),
        }
    }

    /// [`each`](Self::each) over the whole of `hay`; a DFA or our NFA reads
    /// a text of some length as two halves, a longer one as four quarters (a
    /// compact DFA; the others stay at two halves), side by side (state
    /// chains whose look-ups the CPU overlaps, as in
    /// [`each_with`](Self::each_with)): one chain alone waits on each
    /// look-up, two still mostly do.
    pub fn each_split(&self, hay: &[u8], mut f: impl FnMut(&[T], usize, usize)) {
        let a = match &self.aut {
            Aut::Compact(a) => a,
            Aut::Dfa(a) => return dfa_halves(a, &self.owners, hay, f),
            Aut::Sparse(a) => return a.run_split(&self.owners, hay, f),
            _ => return self.each(hay, 0, hay.len(), f),
        };
        let (mut s, mut at) = (a.start, 0);
        let reach = a.longest;
        if hay.len() >= QUARTERS_FROM && hay.len() / 4 > reach {
            // Four chains: chain `j` reads `m` bytes from `j * d`, starting
            // a literal's length before the previous one's end, so it finds
            // every match that ends after that (`at >= reach`); those wait
            // until the chains before have reported.
            let d = (hay.len() + 1 - reach) / 4;
            let m = d + reach - 1;
            let mut st = [a.start; 4];
            // Prose has a match state about every 150 bytes, three in four
            // of them past the first quarter: room for twice that.
            let mut later: Vec<(usize, u16, usize)> = Vec::with_capacity(hay.len() / 64);
            while at < m {
                (at, st) = a.to_match_four(hay, d, m, at, st);
                if a.is_match(st[0]) {
                    a.report(&self.owners, st[0], at, &mut f);
                }
                if at >= reach {
                    for (j, &t) in st.iter().enumerate().skip(1) {
                        if a.is_match(t) {
                            later.push((j, t, j * d + at));
                        }
                    }
                }
            }
            // Chain after chain, each in order of end: a pass per chain,
            // not a sort (a repeated phrase has thousands of matches; the
            // stable sort's merging was 1.6% of its time).
            for j in 1..4 {
                for &(_, t, end) in later.iter().filter(|l| l.0 == j) {
                    a.report(&self.owners, t, end, &mut f);
                }
            }
            (at, s) = (3 * d + m, st[3]);
        } else if let Some(next) = halves(
            hay.len(),
            reach,
            a.start,
            |mid, d, at, s, t| a.to_match_duo(hay, mid, d, at, s, t),
            |s| a.is_match(s),
            |s, end| a.report(&self.owners, s, end, &mut f),
        ) {
            (at, s) = next;
        }
        a.run(&self.owners, hay, at, s, f);
    }

    /// Reports the matches `spans[*next..]` (in order of end, as
    /// [`each`](Self::each) found them) that end before `upto`, each found
    /// again alone: one literal has a given start and end.
    fn replay(
        &self,
        hay: &[u8],
        spans: &[(usize, usize)],
        next: &mut usize,
        upto: usize,
        f: &mut impl FnMut(&[T], usize, usize),
    ) {
        while let Some(&(s, e)) = spans.get(*next).filter(|m| m.1 < upto) {
            self.each(hay, s, e, |o, s2, e2| {
                if (s2, e2) == (s, e) {
                    f(o, s, e);
                }
            });
            *next += 1;
        }
    }

    /// Where in `hay` literals that each hold a byte of `near` can occur:
    /// within a literal's length of such a byte, as spans in order, apart.
    /// `None` where those would cover most of `hay` (then the whole is
    /// read), or for an automaton that is not a compact DFA.
    pub fn spans_near(&self, hay: &[u8], near: &[bool; 256]) -> Option<Vec<(usize, usize)>> {
        let Aut::Compact(a) = &self.aut else {
            return None;
        };
        let mut spans = Spans::new(a.longest, hay.len());
        crate::views::each_near(hay, near, |p| spans.add(p));
        spans.finish()
    }

    /// [`Literals::spans_near`] from the positions of the `near` bytes in
    /// a text of `len` bytes, in order (as `views::gates_marked` notes
    /// them).
    pub fn spans_at(&self, len: usize, at: &[u32]) -> Option<Vec<(usize, usize)>> {
        let Aut::Compact(a) = &self.aut else {
            return None;
        };
        let mut spans = Spans::new(a.longest, len);
        for &p in at {
            if !spans.add(p as usize) {
                break;
            }
        }
        spans.finish()
    }

    /// [`each`](Self::each) over each of `spans` (in order, apart, as
    /// [`spans_near`](Self::spans_near) gives them): in order of end.
    pub fn each_in(
        &self,
        hay: &[u8],
        spans: &[(usize, usize)],
        mut f: impl FnMut(&[T], usize, usize),
    ) {
        for &(lo, hi) in spans {
            self.each(hay, lo, hi, &mut f);
        }
    }

    /// [`each`](Self::each) over the whole of `hay` for `self` and for
    /// `other`, in one pass when both are DFAs: the two state chains then
    /// advance side by side, so the CPU overlaps their table look-ups.
    /// Each automaton's matches come in order of their end; the two
    /// interleave.
    pub fn each_with(
        &self,
        other: &Literals<T>,
        hay: &[u8],
        mut f: impl FnMut(&[T], usize, usize),
    ) {
        if let (Aut::Compact(a), Aut::Compact(b)) = (&self.aut, &other.aut) {
            let (mut sa, mut sb) = (a.start, b.start);
            let mut at = 0;
            // Texts of some length are read as two halves side by side
            // (four state chains, whose look-ups the CPU overlaps). The
            // second half starts from the start states a literal's length
            // before the middle, so it finds every match that ends after
            // the middle; those wait until the first half is reported.
            let reach = a.longest.max(b.longest);
            let mid = hay.len() / 2;
            if hay.len() >= HALVES_FROM && mid > reach {
                let d = mid + 1 - reach;
                let (mut ta, mut tb) = (a.start, b.start);
                // Sized for a prompt's matches: growing one by one cost
                // several reallocations a call.
                let mut later: Vec<(bool, u16, usize)> = Vec::with_capacity(32);
                while at < mid {
                    (at, sa, sb, ta, tb) =
                        Compact::to_match_quad(a, b, hay, mid, d, at, sa, sb, ta, tb);
                    Compact::report_pair((a, &self.owners, sa), (b, &other.owners, sb), at, &mut f);
                    // Matches that end by the middle are the first half's.
                    if at + d > mid {
                        if a.is_match(ta) {
                            later.push((true, ta, at + d));
                        }
                        if b.is_match(tb) {
                            later.push((false, tb, at + d));
                        }
                    }
                }
                for (is_a, s, end) in later {
                    match is_a {
                        true => a.report(&self.owners, s, end, &mut f),
                        false => b.report(&other.owners, s, end, &mut f),
                    }
                }
                // The second half goes on alone.
                (at, sa, sb) = (mid + d, ta, tb);
            }
            while at < hay.len() {
                (at, sa, sb) = Compact::to_match_pair(a, b, hay, at, sa, sb);
                Compact::report_pair((a, &self.owners, sa), (b, &other.owners, sb), at, &mut f);
            }
            return;
        }
        let (Aut::Dfa(a), Aut::Dfa(b)) = (&self.aut, &other.aut) else {
            // Automata of two kinds (a policy too large for one compact
            // DFA) read the text one after the other: the other's matches
            // are noted, then found again one by one, each reported where
            // it falls among this one's in order of end (after this one's
            // at a tie, as above). Reading the whole text with each and
            // reporting all of one first broke the order of end.
            let mut theirs: Vec<(usize, usize)> = Vec::new();
            other.each(hay, 0, hay.len(), |_, s, e| theirs.push((s, e)));
            let mut next = 0;
            self.each(hay, 0, hay.len(), |o, s, e| {
                other.replay(hay, &theirs, &mut next, e, &mut f);
                f(o, s, e);
            });
            other.replay(hay, &theirs, &mut next, usize::MAX, &mut f);
            return;
        };
        let (Ok(mut sa), Ok(mut sb)) = (a.start_state(Anchored::No), b.start_state(Anchored::No))
        else {
            return;
        };
        let mut at = 0;
        while at < hay.len() {
            (at, sa, sb) = to_special_pair(a, b, hay, at, sa, sb);
            if a.is_special(sa) {
                if a.is_dead(sa) {
                    return run_from(b, &other.owners, hay, at, sb, f);
                }
                report(a, &self.owners, sa, at, &mut f);
            }
            if b.is_special(sb) {
                if b.is_dead(sb) {
                    return run_from(a, &self.owners, hay, at, sa, f);
                }
                report(b, &other.owners, sb, at, &mut f);
            }
        }
    }
}

/// An Aho-Corasick DFA laid out for the cache: 16-bit state numbers, rows
/// of a power-of-two width (one 64-byte line for the letters-and-spaces
/// anchors), states numbered breadth first so that the shallow states
/// most bytes of ordinary text visit sit together, match states first (a
/// state is a match state when its number is below `matches`). Its byte
/// classes are the bytes the literals use, one each, and one for every
/// other byte (such a byte leads every state to the start state).
///
/// aho-corasick's own DFA, whose classes are byte ranges and whose states
/// follow the order the literals were added, missed the first-level data
/// cache on about one transition in five on English text; and building
/// this one directly takes a fraction of the time of building that one
/// (and its NFA first).
#[derive(Debug)]
struct Compact {
    /// Row `s` (state `s`) is `trans[s << shift..][..1 << shift]`.
    trans: Vec<u16>,
    shift: u32,
    classes: [u8; 256],
    start: u16,
    /// States below this number are match states.
    matches: u16,
    /// The literals matched in match state `s`:
    /// `found[found_at[s]..found_at[s + 1]]`.
    found: Vec<u32>,
    found_at: Vec<u32>,
    /// Length of each literal, and the longest.
    lens: Vec<u32>,
    longest: usize,
}

impl Compact {
    /// The Aho-Corasick DFA of `strings` (distinct, none empty), built
    /// directly: a trie over byte classes, made breadth first from the
    /// literals in byte order, then in that order each state's failure
    /// state and full row (a missing edge takes the failure state's,
    /// already complete, being shallower) and its matches (its own
    /// literal, then its failure state's). `None` when the literals use
    /// more than 63 distinct bytes (rows wider than 64 would take more
    /// cache lines than aho-corasick's byte ranges: the non-ASCII
    /// keywords' UTF-8 bytes) or make more states than 16-bit numbers hold,
    /// or one is empty; aho-corasick builds those.
    fn build(strings: &[String]) -> Option<Compact> {
        // One class per byte used, in byte order: the order of classes is
        // then the order of bytes.
        let mut used = [false; 256];
        for s in strings {
            for &b in s.as_bytes() {
                used[usize::from(b)] = true;
            }
        }
        let mut classes = [0u8; 256];
        let mut n_classes = 1usize;
        for b in 0..256 {
            if used[b] {
                if n_classes == 64 {
                    return None;
                }
                classes[b] = n_classes as u8;
                n_classes += 1;
            }
        }
        // Rows of 32 at least: the search loops take the shift as a
        // constant, 5 or 6.
        let shift = n_classes.next_power_of_two().trailing_zeros().max(5);
        let width = 1usize << shift;
        let Trie {
            ends,
            first,
            labels,
        } = Trie::build(strings, usize::from(u16::MAX))?;
        let states = ends.len();
        // Full rows in breadth-first order: a state's row is its failure
        // state's (shallower, so complete) with its own children written
        // over it; a child's failure state is where its parent's failure
        // state goes on the child's byte. (Root: no failure state, every
        // missing edge back to the root.)
        let mut trie: Vec<u16> = vec![0; states * width];
        let mut fail = vec![0u16; states];
        // Whether a state matches: its own literal, or its failure
        // state's (shallower, so already known).
        let mut matching = vec![false; states];
        for u in 0..states {
            let f = usize::from(fail[u]);
            matching[u] = ends[u].is_some() || (u != 0 && matching[f]);
            if u != 0 {
                trie.copy_within(f * width..(f + 1) * width, u * width);
            }
            for v in first[u] as usize..first[u + 1] as usize {
                let c = usize::from(classes[usize::from(labels[v])]);
                if u != 0 {
                    fail[v] = trie[f * width + c];
                }
                trie[u * width + c] = v as u16;
            }
        }
        // Match states first, each group in breadth-first order.
        let (mut m, mut rest): (Vec<usize>, Vec<usize>) = (0..states).partition(|&u| matching[u]);
        let matches = m.len();
        m.append(&mut rest);
        let mut number = vec![0u16; states];
        for (n, &u) in m.iter().enumerate() {
            number[u] = n as u16;
        }
        let mut trans = vec![0u16; states * width];
        let (mut found, mut found_at) = (Vec::new(), vec![0u32]);
        for (n, &u) in m.iter().enumerate() {
            for c in 0..n_classes {
                trans[n * width + c] = number[usize::from(trie[u * width + c])];
            }
            if n < matches {
                // A matching failure state is shallower: numbered before.
                let f = usize::from(number[usize::from(fail[u])]);
                let fail_matches = match u != 0 && f < matches {
                    true => found_at[f]..found_at[f + 1],
                    false => 0..0,
                };
                push_matches(&mut found, ends[u], fail_matches);
                found_at.push(found.len() as u32);
            }
        }
        Some(Compact {
            trans,
            shift,
            classes,
            start: number[0],
            matches: matches as u16,
            found,
            found_at,
            lens: strings.iter().map(|s| s.len() as u32).collect(),
            longest: strings.iter().map(String::len).max().unwrap_or(0),
        })
    }

    #[cfg(any(test, feature = "internal-checks"))]
    fn memory_usage(&self) -> usize {
        self.trans.len() * 2 + (self.found.len() + self.found_at.len() + self.lens.len()) * 4
    }

    #[inline(always)]
    fn next<const SHIFT: u32>(&self, s: u16, b: u8) -> u16 {
        self.trans[(usize::from(s) << SHIFT) | usize::from(self.classes[usize::from(b)])]
    }

    #[inline(always)]
    fn is_match(&self, s: u16) -> bool {
        s < self.matches
    }

    /// Calls `f` for the literals of match state `s`, ending at `end`.
    #[inline(always)]
    fn report<T>(
        &self,
        owners: &Owners<T>,
        s: u16,
        end: usize,
        f: &mut impl FnMut(&[T], usize, usize),
    ) {
        let lists = (&self.found[..], &self.found_at[..], &self.lens[..]);
        report_found(lists, owners, usize::from(s), end, f);
    }

    /// [`Compact::report`] for each of two automata whose state is a
    /// match state.
    #[inline(always)]
    fn report_pair<T>(
        (a, oa, sa): (&Compact, &Owners<T>, u16),
        (b, ob, sb): (&Compact, &Owners<T>, u16),
        end: usize,
        f: &mut impl FnMut(&[T], usize, usize),
    ) {
        if a.is_match(sa) {
            a.report(oa, sa, end, f);
        }
        if b.is_match(sb) {
            b.report(ob, sb, end, f);
        }
    }

    /// Searches `hay[at..]` from state `s`.
    #[inline(always)]
    fn run<T>(
        &self,
        owners: &Owners<T>,
        hay: &[u8],
        mut at: usize,
        mut s: u16,
        mut f: impl FnMut(&[T], usize, usize),
    ) {
        while at < hay.len() {
            (at, s) = self.to_match(hay, at, s);
            if !self.is_match(s) {
                return;
            }
            self.report(owners, s, at, &mut f);
        }
    }

    /// Steps from `s` over `hay[at..]` until a match state, returning the
    /// position after the byte that led there (or the end) and the state.
    /// Out of line for the reason [`to_special`] is.
    fn to_match(&self, hay: &[u8], at: usize, s: u16) -> (usize, u16) {
        if self.shift == 5 {
            self.to_match_by::<5>(hay, at, s)
        } else {
            self.to_match_by::<6>(hay, at, s)
        }
    }

    /// [`Compact::to_match`] for rows of `1 << SHIFT` (the shift a
    /// constant: a variable one costs a register and a move each byte).
    #[inline(never)]
    fn to_match_by<const SHIFT: u32>(&self, hay: &[u8], mut at: usize, mut s: u16) -> (usize, u16) {
        while let Some(&b) = hay.get(at) {
            s = self.next::<SHIFT>(s, b);
            at += 1;
            if self.is_match(s) {
                break;
            }
        }
        (at, s)
    }

    /// [`Compact::to_match`] for two automata at once: stops when either
    /// reaches a match state.
    fn to_match_pair(
        a: &Compact,
        b: &Compact,
        hay: &[u8],
        at: usize,
        sa: u16,
        sb: u16,
    ) -> (usize, u16, u16) {
        let pair = match (a.shift, b.shift) {
            (5, 5) => Compact::pair_by::<5, 5>,
            (5, _) => Compact::pair_by::<5, 6>,
            (_, 5) => Compact::pair_by::<6, 5>,
            _ => Compact::pair_by::<6, 6>,
        };
        pair(a, b, hay, at, sa, sb)
    }

    /// [`Compact::to_match_pair`] for two places at once: steps `a` and
    /// `b` from `sa`, `sb` over `hay[at..mid]` and from `ta`, `tb` over
    /// the bytes `d` further on, until any of the four reaches a match
    /// state or `at` reaches `mid` (`mid + d` is at most `hay.len()`).
    #[allow(clippy::too_many_arguments)]
    fn to_match_quad(
        a: &Compact,
        b: &Compact,
        hay: &[u8],
        mid: usize,
        d: usize,
        at: usize,
        sa: u16,
        sb: u16,
        ta: u16,
        tb: u16,
    ) -> (usize, u16, u16, u16, u16) {
        let quad = match (a.shift, b.shift) {
            (5, 5) => Compact::quad_by::<5, 5>,
            (5, _) => Compact::quad_by::<5, 6>,
            (_, 5) => Compact::quad_by::<6, 5>,
            _ => Compact::quad_by::<6, 6>,
        };
        quad(a, b, hay, mid, d, at, sa, sb, ta, tb)
    }

    /// [`Compact::to_match_quad`] for rows of `1 << SA` and `1 << SB`.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn quad_by<const SA: u32, const SB: u32>(
        a: &Compact,
        b: &Compact,
        hay: &[u8],
        mid: usize,
        d: usize,
        mut at: usize,
        mut sa: u16,
        mut sb: u16,
        mut ta: u16,
        mut tb: u16,
    ) -> (usize, u16, u16, u16, u16) {
        let (first, second) = (&hay[..mid], &hay[d..mid + d]);
        while at < mid {
            let (x, y) = (first[at], second[at]);
            sa = a.next::<SA>(sa, x);
            sb = b.next::<SB>(sb, x);
            ta = a.next::<SA>(ta, y);
            tb = b.next::<SB>(tb, y);
            at += 1;
            if a.is_match(sa) | b.is_match(sb) | a.is_match(ta) | b.is_match(tb) {
                break;
            }
        }
        (at, sa, sb, ta, tb)
    }

    /// [`Compact::to_match`] for two places at once: steps from `s` over
    /// `hay[at..mid]` and from `t` over the bytes `d` further on, until
    /// either reaches a match state or `at` reaches `mid` (`mid + d` is at
    /// most `hay.len()`).
    fn to_match_duo(
        &self,
        hay: &[u8],
        mid: usize,
        d: usize,
        at: usize,
        s: u16,
        t: u16,
    ) -> (usize, u16, u16) {
        if self.shift == 5 {
            self.duo_by::<5>(hay, mid, d, at, s, t)
        } else {
            self.duo_by::<6>(hay, mid, d, at, s, t)
        }
    }

    /// [`Compact::to_match`] for four places at once: steps `st[j]` over
    /// `hay[j * d..][at..m]` until any reaches a match state or `at`
    /// reaches `m` (`3 * d + m` is at most `hay.len()`).
    fn to_match_four(
        &self,
        hay: &[u8],
        d: usize,
        m: usize,
        at: usize,
        st: [u16; 4],
    ) -> (usize, [u16; 4]) {
        if self.shift == 5 {
            self.four_by::<5>(hay, d, m, at, st)
        } else {
            self.four_by::<6>(hay, d, m, at, st)
        }
    }

    /// [`Compact::to_match`] for two automata at two places of `hay`, `a`
    /// over `x.0..x.1` from state `sa` and `b` over `y.0..y.1` from `sb`
    /// (both ranges not empty): stops when either reaches a match state
    /// or the end of its range. Returns both positions and states.
    fn to_match_apart(
        a: &Compact,
        b: &Compact,
        hay: &[u8],
        x: (usize, usize),
        y: (usize, usize),
        sa: u16,
        sb: u16,
    ) -> (usize, usize, u16, u16) {
        let apart = match (a.shift, b.shift) {
            (5, 5) => Compact::apart_by::<5, 5>,
            (5, _) => Compact::apart_by::<5, 6>,
            (_, 5) => Compact::apart_by::<6, 5>,
            _ => Compact::apart_by::<6, 6>,
        };
        let n = (x.1 - x.0).min(y.1 - y.0);
        let k = apart(a, b, &hay[x.0..x.0 + n], &hay[y.0..y.0 + n], sa, sb);
        (x.0 + k.0, y.0 + k.0, k.1, k.2)
    }

    /// [`Compact::to_match_apart`] for rows of `1 << SA` and `1 << SB`,
    /// over `xs` and `ys` of one length: how many bytes it read, and the
    /// states.
    #[inline(never)]
    fn apart_by<const SA: u32, const SB: u32>(
        a: &Compact,
        b: &Compact,
        xs: &[u8],
        ys: &[u8],
        mut sa: u16,
        mut sb: u16,
    ) -> (usize, u16, u16) {
        let ys = &ys[..xs.len()];
        let mut k = 0;
        while k < xs.len() {
            sa = a.next::<SA>(sa, xs[k]);
            sb = b.next::<SB>(sb, ys[k]);
            k += 1;
            if a.is_match(sa) | b.is_match(sb) {
                break;
            }
        }
        (k, sa, sb)
    }

    /// [`Compact::to_match_four`] for rows of `1 << SHIFT`.
    #[inline(never)]
    fn four_by<const SHIFT: u32>(
        &self,
        hay: &[u8],
        d: usize,
        m: usize,
        mut at: usize,
        st: [u16; 4],
    ) -> (usize, [u16; 4]) {
        let c0 = &hay[..m];
        let (c1, c2, c3) = (
            &hay[d..d + m],
            &hay[2 * d..2 * d + m],
            &hay[3 * d..3 * d + m],
        );
        let [mut s0, mut s1, mut s2, mut s3] = st;
        while at < m {
            s0 = self.next::<SHIFT>(s0, c0[at]);
            s1 = self.next::<SHIFT>(s1, c1[at]);
            s2 = self.next::<SHIFT>(s2, c2[at]);
            s3 = self.next::<SHIFT>(s3, c3[at]);
            at += 1;
            if self.is_match(s0) | self.is_match(s1) | self.is_match(s2) | self.is_match(s3) {
                break;
            }
        }
        (at, [s0, s1, s2, s3])
    }

    /// [`Compact::to_match_duo`] for rows of `1 << SHIFT`.
    #[inline(never)]
    fn duo_by<const SHIFT: u32>(
        &self,
        hay: &[u8],
        mid: usize,
        d: usize,
        at: usize,
        s: u16,
        t: u16,
    ) -> (usize, u16, u16) {
        two_chains(&Rows::<SHIFT>(self), hay, mid, d, at, (s, t))
    }

    /// [`Compact::to_match_pair`] for rows of `1 << SA` and `1 << SB`.
    #[inline(never)]
    fn pair_by<const SA: u32, const SB: u32>(
        a: &Compact,
        b: &Compact,
        hay: &[u8],
        mut at: usize,
        mut sa: u16,
        mut sb: u16,
    ) -> (usize, u16, u16) {
        while let Some(&x) = hay.get(at) {
            sa = a.next::<SA>(sa, x);
            sb = b.next::<SB>(sb, x);
            at += 1;
            if a.is_match(sa) || b.is_match(sb) {
                break;
            }
        }
        (at, sa, sb)
    }
}

/// The spans of [`Literals::spans_near`], built a position at a time.
struct Spans {
    reach: usize,
    len: usize,
    spans: Vec<(usize, usize)>,
    covered: usize,
    most: bool,
}

impl Spans {
    fn new(reach: usize, len: usize) -> Spans {
        Spans {
            reach,
            len,
            spans: Vec::new(),
            covered: 0,
            most: false,
        }
    }

    /// Takes in the literals around position `p`; `false` once the spans
    /// cover most of the text.
    fn add(&mut self, p: usize) -> bool {
        let (lo, hi) = (
            p.saturating_sub(self.reach - 1),
            (p + self.reach).min(self.len),
        );
        match self.spans.last_mut() {
            Some(last) if lo <= last.1 => {
                self.covered += hi - last.1;
                last.1 = hi;
            }
            _ => {
                self.covered += hi - lo;
                self.spans.push((lo, hi));
            }
        }
        // Dense from the start (code, logs): decided early, not after
        // reading half the text.
        self.most = self.covered * 2 > self.len || (p >= 256 && self.covered * 4 > p * 3);
        !self.most
    }

    fn finish(self) -> Option<Vec<(usize, usize)>> {
        (!self.most).then_some(self.spans)
    }
}

/// A job of [`each_lanes`]: literals and the range of the text they read
/// (as [`Literals::each`] takes them).
pub type Job<'a, T> = (&'a Literals<T>, usize, usize);

/// A lane's job under way: its compact DFA, where it reads (`at..end`)
/// and its state.
struct Running<'a, T> {
    lits: &'a Literals<T>,
    a: &'a Compact,
    at: usize,
    end: usize,
    s: u16,
}

/// [`Literals::each`] for two lanes of jobs over `hay`, read side by side:
/// a lane's jobs run one after the other, in order, and `f` gets each
/// job's matches in order of end (the two lanes' interleaved). Two chains
/// of look-ups the processor overlaps, where one job at a time waits on
/// each (pass two reads a few hundred bytes per rule, rule after rule).
/// A job whose literals are not a compact DFA runs alone in its turn.
pub fn each_lanes<T>(hay: &[u8], lanes: [&[Job<'_, T>]; 2], mut f: impl FnMut(&[T], usize, usize)) {
    let [mut xs, mut ys] = lanes;
    let (mut x, mut y): (Option<Running<'_, T>>, Option<Running<'_, T>>) = (None, None);
    loop {
        if x.is_none() {
            x = next_job(&mut xs, hay, &mut f);
        }
        if y.is_none() {
            y = next_job(&mut ys, hay, &mut f);
        }
        match (&mut x, &mut y) {
            (None, None) => return,
            (Some(p), Some(q)) => {
                (p.at, q.at, p.s, q.s) =
                    Compact::to_match_apart(p.a, q.a, hay, (p.at, p.end), (q.at, q.end), p.s, q.s);
                if p.a.is_match(p.s) {
                    p.a.report(&p.lits.owners, p.s, p.at, &mut f);
                }
                if q.a.is_match(q.s) {
                    q.a.report(&q.lits.owners, q.s, q.at, &mut f);
                }
                if p.at >= p.end {
                    x = None;
                }
                if q.at >= q.end {
                    y = None;
                }
            }
            (Some(p), None) | (None, Some(p)) => {
                // The other lane has no job left: this one's goes on alone.
                p.a.run(&p.lits.owners, &hay[..p.end], p.at, p.s, &mut f);
                x = None;
                y = None;
            }
        }
    }
}

/// Starts the next job of `jobs` that reads any byte, running alone (and
/// whole) those whose literals are not a compact DFA.
fn next_job<'a, T>(
    jobs: &mut &'a [Job<'a, T>],
    hay: &[u8],
    f: &mut impl FnMut(&[T], usize, usize),
) -> Option<Running<'a, T>> {
    while let Some((&(lits, lo, hi), rest)) = jobs.split_first() {
        *jobs = rest;
        let end = hi.min(hay.len());
        if lo >= end {
            continue;
        }
        match &lits.aut {
            Aut::Compact(a) => {
                return Some(Running {
                    lits,
                    a,
                    at: lo,
                    end,
                    s: a.start,
                });
            }
            _ => lits.each(hay, lo, end, &mut *f),
        }
    }
    None
}

/// Texts from this long are read as two halves side by side by
/// [`Literals::each_with`] (shorter ones gain too little).
const HALVES_FROM: usize = 256;

/// Texts from this long are read by [`Literals::each_split`] as four
/// quarters side by side.
const QUARTERS_FROM: usize = 1024;

/// How many of a [`Sparse`] NFA's states have full rows (a row takes four
/// bytes per byte class: 64 KB for 64 classes).
const DENSE_STATES: usize = 256;

/// Pushes the literals a state matches: its own, then its failure
/// state's (longest first: in order of start for one end), listed already
/// (shallower) at `fail_matches` of `found`: copied, not found again along
/// the failure chain, whose states mostly match nothing.
fn push_matches(found: &mut Vec<u32>, own: Option<u32>, fail_matches: std::ops::Range<u32>) {
    found.extend(own);
    found.extend_from_within(fail_matches.start as usize..fail_matches.end as usize);
}

/// A trie of literals, numbered breadth first.
struct Trie {
    /// The literal ending at each node.
    ends: Vec<Option<u32>>,
    /// The children of node `u` are the nodes `first[u]..first[u + 1]`.
    first: Vec<u32>,
    /// The byte on the edge into each node (0 for the root).
    labels: Vec<u8>,
}

impl Trie {
    /// The trie of `strings` (distinct, none empty), made breadth first:
    /// node `k` stands for the literals `sorted[lo..hi]` (in byte order)
    /// that begin with its path, `depth` bytes long; the one that ends
    /// there comes first and each child's make a run. Nodes are numbered
    /// in the order made, which is breadth-first order with each node's
    /// children in byte order and in a row, so the passes over the trie
    /// read it in turn (made literal by literal, the nodes they read were
    /// scattered over megabytes, and builds waited on memory). `None` for
    /// an empty literal or past `limit` nodes.
    fn build(strings: &[String], limit: usize) -> Option<Trie> {
        if strings.iter().any(String::is_empty) {
            return None;
        }
        let mut sorted: Vec<u32> = (0..strings.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| strings[a as usize].cmp(&strings[b as usize]));
        let bytes = |i: usize| strings[sorted[i] as usize].as_bytes();
        // How many bytes each literal shares with the one before it: the
        // literals of a node that go on with the same byte are a run whose
        // neighbours share more than the node's depth (read from one array,
        // not from each literal again at every depth).
        let shared: Vec<u32> = (0..sorted.len())
            .map(|i| match i {
                0 => 0,
                _ => {
                    let (a, b) = (bytes(i - 1), bytes(i));
                    a.iter().zip(b).take_while(|(x, y)| x == y).count() as u32
                }
            })
            .collect();
        // Each literal adds a node per byte past what it shares with the
        // one before it: the trie's size, known before it is made (grown
        // by doubling, its arrays were copied over and over: 2% of a
        // guard's build).
        let nodes = 1
            + (0..sorted.len())
                .map(|i| bytes(i).len() - shared[i] as usize)
                .sum::<usize>();
        if nodes > limit {
            return None;
        }
        let mut ends: Vec<Option<u32>> = Vec::with_capacity(nodes);
        let mut first: Vec<u32> = Vec::with_capacity(nodes + 1);
        let mut labels: Vec<u8> = Vec::with_capacity(nodes);
        let mut span: Vec<(usize, usize, usize)> = Vec::with_capacity(nodes);
        ends.push(None);
        labels.push(0);
        span.push((0, strings.len(), 0));
        let mut k = 0;
        while k < span.len() {
            first.push(span.len() as u32);
            let (mut i, hi, depth) = span[k];
            if i < hi && bytes(i).len() == depth {
                ends[k] = Some(sorted[i]);
                i += 1;
            }
            while i < hi {
                let b = bytes(i)[depth];
                let mut j = i + 1;
                while j < hi && shared[j] as usize > depth {
                    j += 1;
                }
                ends.push(None);
                labels.push(b);
                span.push((i, j, depth + 1));
                i = j;
            }
            k += 1;
        }
        first.push(span.len() as u32);
        debug_assert_eq!(span.len(), nodes);
        Some(Trie {
            ends,
            first,
            labels,
        })
    }
}

/// An Aho-Corasick NFA for large literal sets that run on little text
/// (the squashed view's thousands of joined phrases): the breadth-first
/// trie of [`Trie`], each node's children found by their edge bytes
/// (a few, in a row), a full row for the root, and failure states. It
/// takes a fraction of the memory of a DFA and of the time of
/// aho-corasick's NFAs to build (which make their tries byte by byte
/// through linked lists of edges).
#[derive(Debug)]
struct Sparse {
    /// Full rows (one next state per byte class) for the shallowest
    /// states, below `dense_states`: the states that ordinary text visits
    /// most. Row `s` is `dense[s << shift..][..1 << shift]`.
    dense: Vec<u32>,
    dense_states: u32,
    shift: u32,
    /// A class per byte the literals use, and class 0 for every other
    /// byte (which leads every state to the root).
    classes: [u8; 256],
    first: Vec<u32>,
    labels: Vec<u8>,
    fail: Vec<u32>,
    /// The literals matched in state `s`:
    /// `found[found_at[s]..found_at[s + 1]]`.
    found: Vec<u32>,
    found_at: Vec<u32>,
    /// Bit `s % 64` of word `s / 64`: state `s` matches a literal. A bit
    /// a state is read in the L1 cache where `found_at`'s two words a
    /// state mostly were not (the squashed phrases' NFA has about 95,000
    /// states, and the squashed view of code visits states all over it).
    matching: Vec<u64>,
    lens: Vec<u32>,
    longest: usize,
}

impl Sparse {
    /// The NFA of `strings` (distinct, none empty; `None` otherwise),
    /// with full rows for the first `dense_states` states (one at least:
    /// the root).
    fn build(strings: &[String], dense_states: usize) -> Option<Sparse> {
        let Trie {
            ends,
            first,
            labels,
        } = Trie::build(strings, u32::MAX as usize)?;
        let states = ends.len();
        // Class 0 for the bytes no literal uses, 1, 2, ... for the others
        // in byte order; with all 256 in use, a class per byte.
        // (The root's label is a placeholder, not an edge.)
        let mut used = [false; 256];
        for &l in &labels[1..] {
            used[usize::from(l)] = true;
        }
        let mut classes = [0u8; 256];
        let mut n = 0usize;
        if used.iter().all(|&u| u) {
            classes = std::array::from_fn(|b| b as u8);
            n = 255;
        } else {
            for b in (0..256).filter(|&b| used[b]) {
                n += 1;
                classes[b] = n as u8;
            }
        }
        let shift = (n + 1).next_power_of_two().trailing_zeros().clamp(1, 8);
        let width = 1usize << shift;
        // The root's row, the only full one while failure states are
        // found.
        let mut dense = vec![0u32; width];
        for v in first[0]..first[1] {
            dense[usize::from(classes[usize::from(labels[v as usize])])] = v;
        }
        let mut a = Sparse {
            dense,
            dense_states: 1,
            shift,
            classes,
            first,
            labels,
            fail: vec![0; states],
            found: Vec::new(),
            found_at: Vec::with_capacity(states + 1),
            matching: vec![0; states.div_ceil(64)],
            lens: strings.iter().map(|s| s.len() as u32).collect(),
            longest: strings.iter().map(String::len).max().unwrap_or(0),
        };
        // Breadth first, a node's failure state is where its parent's
        // failure state goes on its byte (shallower states are done).
        for u in 1..states {
            for v in a.first[u]..a.first[u + 1] {
                let f = a.next(a.fail[u], a.labels[v as usize]);
                a.fail[v as usize] = f;
            }
        }
        // Full rows for the shallowest states, breadth first: a missing
        // edge takes the failure state's row, already full.
        let full = states.min(dense_states.max(1));
        a.dense.resize(full * width, 0);
        for u in 1..full {
            let f = a.fail[u] as usize;
            a.dense.copy_within(f * width..(f + 1) * width, u * width);
            for v in a.first[u]..a.first[u + 1] {
                let c = usize::from(a.classes[usize::from(a.labels[v as usize])]);
                a.dense[u * width + c] = v;
            }
        }
        a.dense_states = full as u32;
        a.found_at.push(0);
        for (u, &own) in ends.iter().enumerate() {
            let f = a.fail[u] as usize;
            let fail_matches = match u {
                0 => 0..0,
                _ => a.found_at[f]..a.found_at[f + 1],
            };
            push_matches(&mut a.found, own, fail_matches);
            if a.found.len() > *a.found_at.last().unwrap_or(&0) as usize {
                a.matching[u / 64] |= 1 << (u % 64);
            }
            a.found_at.push(a.found.len() as u32);
        }
        Some(a)
    }

    #[cfg(any(test, feature = "internal-checks"))]
    fn memory_usage(&self) -> usize {
        self.dense.len() * 4
            + (self.first.len() + self.fail.len() + self.found.len() + self.found_at.len()) * 4
            + self.matching.len() * 8
            + self.labels.len()
            + self.lens.len() * 4
    }

    /// The state after `s` on byte `b`.
    #[inline(always)]
    fn next(&self, mut s: u32, b: u8) -> u32 {
        loop {
            if s < self.dense_states {
                return self.dense
                    [(s as usize) << self.shift | usize::from(self.classes[usize::from(b)])];
            }
            let (lo, hi) = (self.first[s as usize], self.first[s as usize + 1]);
            if let Some(i) = self.labels[lo as usize..hi as usize]
                .iter()
                .position(|&l| l == b)
            {
                return lo + i as u32;
            }
            s = self.fail[s as usize];
        }
    }

    #[inline(always)]
    fn is_match(&self, s: u32) -> bool {
        self.matching[s as usize / 64] & (1 << (s % 64)) != 0
    }

    /// Calls `f` for the literals of state `s`, ending at `end`.
    #[inline(always)]
    fn report<T>(
        &self,
        owners: &Owners<T>,
        s: u32,
        end: usize,
        f: &mut impl FnMut(&[T], usize, usize),
    ) {
        let lists = (&self.found[..], &self.found_at[..], &self.lens[..]);
        report_found(lists, owners, s as usize, end, f);
    }

    /// Calls `f` for every occurrence in `hay`, which starts at `base` of
    /// the caller's text.
    fn run<T>(
        &self,
        owners: &Owners<T>,
        hay: &[u8],
        base: usize,
        f: impl FnMut(&[T], usize, usize),
    ) {
        self.run_from(owners, hay, 0, 0, base, f);
    }

    /// [`Sparse::run`] from byte `at` of `hay`, in state `s`. Inlined, as
    /// `run` was, so that the caller's `f` is too (out of line, pass two's
    /// shared NFA called its sink 200,000 times on one repeated phrase).
    #[inline(always)]
    fn run_from<T>(
        &self,
        owners: &Owners<T>,
        hay: &[u8],
        at: usize,
        mut s: u32,
        base: usize,
        mut f: impl FnMut(&[T], usize, usize),
    ) {
        for (i, &b) in hay.iter().enumerate().skip(at) {
            s = self.next(s, b);
            if self.is_match(s) {
                self.report(owners, s, base + i + 1, &mut f);
            }
        }
    }

    /// [`Sparse::run`] over the whole of `hay` as two halves side by side
    /// (see [`halves`]): two chains of look-ups the CPU overlaps, where one
    /// waits on each (the squashed view of code, read by the squashed
    /// phrases' NFA, visits states all over its 95,000).
    fn run_split<T>(&self, owners: &Owners<T>, hay: &[u8], mut f: impl FnMut(&[T], usize, usize)) {
        let (at, s) = halves(
            hay.len(),
            self.longest,
            0,
            |mid, d, at, s, t| self.duo(hay, mid, d, at, s, t),
            |s| self.is_match(s),
            |s, end| self.report(owners, s, end, &mut f),
        )
        .unwrap_or((0, 0));
        self.run_from(owners, hay, at, s, 0, f);
    }

    /// Steps from `s` over `hay[at..mid]` and from `t` over the bytes `d`
    /// further on, until either reaches a match state or `at` reaches
    /// `mid` (`mid + d` is at most `hay.len()`).
    #[inline(never)]
    fn duo(
        &self,
        hay: &[u8],
        mid: usize,
        d: usize,
        at: usize,
        s: u32,
        t: u32,
    ) -> (usize, u32, u32) {
        two_chains(self, hay, mid, d, at, (s, t))
    }
}

/// Calls `f` for the literals state `s` matches, ending at `end`, from
/// an automaton's match lists `(found, found_at, lens)`: state `s`'s are
/// `found[found_at[s]..found_at[s + 1]]`, literal `p` is `lens[p]` long
/// (the compact DFA's and our NFA's alike).
#[inline(always)]
fn report_found<T>(
    (found, found_at, lens): (&[u32], &[u32], &[u32]),
    owners: &Owners<T>,
    s: usize,
    end: usize,
    f: &mut impl FnMut(&[T], usize, usize),
) {
    for &p in &found[found_at[s] as usize..found_at[s + 1] as usize] {
        f(owners.get(p as usize), end - lens[p as usize] as usize, end);
    }
}

/// Calls `f` for the matches of special state `sid`, ending at `end`.
#[inline(always)]
fn report<A: Automaton, T>(
    a: &A,
    owners: &Owners<T>,
    sid: StateID,
    end: usize,
    f: &mut impl FnMut(&[T], usize, usize),
) {
    if a.is_match(sid) {
        for k in 0..a.match_len(sid) {
            let p = a.match_pattern(sid, k);
            f(owners.get(p.as_usize()), end - a.pattern_len(p), end);
        }
    }
}

#[inline(always)]
fn run<A: Automaton, T>(
    a: &A,
    owners: &Owners<T>,
    hay: &[u8],
    lo: usize,
    hi: usize,
    f: impl FnMut(&[T], usize, usize),
) {
    let Ok(sid): Result<StateID, _> = a.start_state(Anchored::No) else {
        return;
    };
    run_from(a, owners, &hay[..hi], lo, sid, f);
}

/// Searches `hay[at..]` from state `sid`.
#[inline(always)]
fn run_from<A: Automaton, T>(
    a: &A,
    owners: &Owners<T>,
    hay: &[u8],
    mut at: usize,
    mut sid: StateID,
    mut f: impl FnMut(&[T], usize, usize),
) {
    while at < hay.len() {
        (at, sid) = to_special(a, hay, at, sid);
        if !a.is_special(sid) || a.is_dead(sid) {
            return;
        }
        report(a, owners, sid, at, &mut f);
    }
}

/// Steps from `sid` over `hay[at..]` until a special state (match or
/// dead), returning the position after the byte that led there (or the
/// end) and the state. Kept out of line so that the loop holds its state
/// in registers: inlined into its caller, the callback's variables pushed
/// the state out to the stack on every byte.
#[inline(never)]
fn to_special<A: Automaton>(
    a: &A,
    hay: &[u8],
    mut at: usize,
    mut sid: StateID,
) -> (usize, StateID) {
    while let Some(&b) = hay.get(at) {
        sid = a.next_state(Anchored::No, sid, b);
        at += 1;
        if a.is_special(sid) {
            break;
        }
    }
    (at, sid)
}

/// [`Literals::each_split`] for an aho-corasick DFA (literals with too
/// many distinct bytes for [`Compact`], such as the non-ASCII ones of
/// many scripts): a text of some length as two halves side by side
/// ([`halves`]), as [`Compact`]'s are read.
fn dfa_halves<T>(
    a: &dfa::DFA,
    owners: &Owners<T>,
    hay: &[u8],
    mut f: impl FnMut(&[T], usize, usize),
) {
    let Ok(start) = a.start_state(Anchored::No) else {
        return;
    };
    let (at, s) = halves(
        hay.len(),
        a.max_pattern_len(),
        start,
        |mid, d, at, s, t| to_special_duo(a, hay, mid, d, at, s, t),
        |s| a.is_match(s),
        |s, end| report(a, owners, s, end, &mut f),
    )
    .unwrap_or((0, start));
    run_from(a, owners, hay, at, s, f);
}

/// The two-halves read of [`Literals::each_split`], for either kind of
/// DFA (states `S`) over a text of `len` bytes whose literals are at most
/// `reach` long: the second chain starts a literal's length before the
/// middle, so it finds every match that ends past the middle, and those
/// are reported (`report(state, end)`) after the first half's, so matches
/// come in order of end. `duo(mid, d, at, s, t)` steps the first chain
/// from `at` and the second `d` bytes further on until either is in a
/// match state or the first reaches `mid`. Returns where the second
/// chain stopped and its state, to read on from; `None` for a text too
/// short to split.
fn halves<S: Copy>(
    len: usize,
    reach: usize,
    start: S,
    mut duo: impl FnMut(usize, usize, usize, S, S) -> (usize, S, S),
    is_match: impl Fn(S) -> bool,
    mut report: impl FnMut(S, usize),
) -> Option<(usize, S)> {
    let mid = len / 2;
    if len < HALVES_FROM || mid <= reach {
        return None;
    }
    let d = mid + 1 - reach;
    let (mut at, mut s, mut t) = (0, start, start);
    let mut later: Vec<(S, usize)> = Vec::with_capacity(32);
    while at < mid {
        (at, s, t) = duo(mid, d, at, s, t);
        if is_match(s) {
            report(s, at);
        }
        if at + d > mid && is_match(t) {
            later.push((t, at + d));
        }
    }
    for (t, end) in later {
        report(t, end);
    }
    Some((mid + d, t))
}

/// [`to_special`] for two places at once: steps from `s` over
/// `hay[at..mid]` and from `t` over the bytes `d` further on, until either
/// reaches a special state or `at` reaches `mid` (`mid + d` is at most
/// `hay.len()`).
#[inline(never)]
fn to_special_duo(
    a: &dfa::DFA,
    hay: &[u8],
    mid: usize,
    d: usize,
    at: usize,
    s: StateID,
    t: StateID,
) -> (usize, StateID, StateID) {
    two_chains(a, hay, mid, d, at, (s, t))
}

/// One step of an automaton, for [`two_chains`]: the state after `s` on
/// byte `b`, and whether a state stops the chains (a match, or a state
/// aho-corasick marks special).
trait Step {
    type S: Copy;
    fn step(&self, s: Self::S, b: u8) -> Self::S;
    fn stops(&self, s: Self::S) -> bool;
}

/// A compact DFA with rows of `1 << SHIFT` (the shift a constant).
struct Rows<'a, const SHIFT: u32>(&'a Compact);

impl<const SHIFT: u32> Step for Rows<'_, SHIFT> {
    type S = u16;
    #[inline(always)]
    fn step(&self, s: u16, b: u8) -> u16 {
        self.0.next::<SHIFT>(s, b)
    }
    #[inline(always)]
    fn stops(&self, s: u16) -> bool {
        self.0.is_match(s)
    }
}

impl Step for Sparse {
    type S = u32;
    #[inline(always)]
    fn step(&self, s: u32, b: u8) -> u32 {
        self.next(s, b)
    }
    #[inline(always)]
    fn stops(&self, s: u32) -> bool {
        self.is_match(s)
    }
}

impl Step for dfa::DFA {
    type S = StateID;
    #[inline(always)]
    fn step(&self, s: StateID, b: u8) -> StateID {
        self.next_state(Anchored::No, s, b)
    }
    #[inline(always)]
    fn stops(&self, s: StateID) -> bool {
        self.is_special(s)
    }
}

/// One automaton's two chains side by side (the loop of each kind's
/// `duo` for [`halves`], inlined into each one's own): steps `s` over
/// `hay[at..mid]` and `t` over the bytes `d` further on until either
/// stops or `at` reaches `mid` (`mid + d` is at most `hay.len()`).
#[inline(always)]
fn two_chains<A: Step>(
    a: &A,
    hay: &[u8],
    mid: usize,
    d: usize,
    mut at: usize,
    (mut s, mut t): (A::S, A::S),
) -> (usize, A::S, A::S) {
    let (first, second) = (&hay[..mid], &hay[d..mid + d]);
    while at < mid {
        s = a.step(s, first[at]);
        t = a.step(t, second[at]);
        at += 1;
        if a.stops(s) | a.stops(t) {
            break;
        }
    }
    (at, s, t)
}

/// [`to_special`] for two DFAs at once: stops when either reaches a
/// special state.
#[inline(never)]
fn to_special_pair(
    a: &dfa::DFA,
    b: &dfa::DFA,
    hay: &[u8],
    mut at: usize,
    mut sa: StateID,
    mut sb: StateID,
) -> (usize, StateID, StateID) {
    while let Some(&x) = hay.get(at) {
        sa = a.next_state(Anchored::No, sa, x);
        sb = b.next_state(Anchored::No, sb, x);
        at += 1;
        if a.is_special(sa) || b.is_special(sb) {
            break;
        }
    }
    (at, sa, sb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every occurrence of every literal, found the slow way.
    fn naive(
        pats: &[(String, usize)],
        hay: &[u8],
        lo: usize,
        hi: usize,
    ) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (p, o) in pats {
            let p = p.as_bytes();
            for s in lo..hi {
                if s + p.len() <= hi && &hay[s..s + p.len()] == p {
                    out.push((*o, s, s + p.len()));
                }
            }
        }
        out.sort();
        out
    }

    /// The literals `lits` as patterns owned by their index, with twenty
    /// more distinct bytes when `wide` (rows of 64, or too many for them).
    fn patterns(mut lits: Vec<String>, wide: bool) -> Vec<(String, usize)> {
        if wide {
            lits.push((b'A'..=b'T').map(char::from).collect());
        }
        lits.into_iter().enumerate().map(|(i, l)| (l, i)).collect()
    }

    /// `one` read side by side with a narrow second automaton, both ways
    /// round, finds what each finds alone, in order of end.
    fn check_side_by_side(
        one: &Literals<usize>,
        pats: &[(String, usize)],
        hay: &[u8],
    ) -> Result<(), TestCaseError> {
        let other_pats = vec![
            ("a".to_string(), 1000),
            ("b c".to_string(), 1001),
            ("dd".to_string(), 1002),
        ];
        let other = Literals::build(other_pats.clone(), true).unwrap().unwrap();
        for (x, y) in [(one, &other), (&other, one)] {
            let mut both = Vec::new();
            x.each_with(y, hay, |o, s, e| both.extend(o.iter().map(|&o| (o, s, e))));
            prop_assert!(
                both.windows(2).all(|w| w[0].2 <= w[1].2),
                "not in order of end"
            );
            both.sort();
            let mut alone = naive(pats, hay, 0, hay.len());
            alone.extend(naive(&other_pats, hay, 0, hay.len()));
            alone.sort();
            prop_assert_eq!(both, alone);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// The compact DFA, the sparse NFA and a naive search find the
        /// same occurrences; two automata in one pass find what each finds
        /// alone, with rows of 32 and of 64 (literals with more than 31
        /// distinct bytes).
        #[test]
        fn compact_dfa_finds_every_occurrence(
            lits in prop::collection::vec("[a-d ]{1,5}|[e-z0-9.:]{1,3}|[\\x21-\\x7e]{1,2}|[aé日]{1,3}", 1..40),
            hay in "[a-f .:0-9\\x80-\\xff日]{0,60}|[\\x00-\\x7f]{0,60}",
            wide in any::<bool>(),
        ) {
            let hay = hay.as_bytes();
            let pats = patterns(lits, wide);
            let dfa = Literals::build(pats.clone(), true).unwrap().unwrap();
            // At most 63 distinct bytes (and a class for the others) fit
            // rows of 64; more keep aho-corasick's layout.
            let mut distinct: Vec<u8> = pats.iter().flat_map(|p| p.0.bytes()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(matches!(dfa.aut, Aut::Compact(_)), distinct.len() <= 63);
            let nfa = Literals::build(pats.clone(), false).unwrap().unwrap();
            // Full rows for the root only: every other state's edges are
            // looked up.
            let thin = Literals::build_sized(pats.clone(), false, 1).unwrap().unwrap();
            let (lo, hi) = (hay.len() / 3, hay.len());
            let mut seen = [Vec::new(), Vec::new(), Vec::new()];
            for (k, l) in [&dfa, &nfa, &thin].into_iter().enumerate() {
                l.each(hay, lo, hi, |o, s, e| seen[k].extend(o.iter().map(|&o| (o, s, e))));
                seen[k].sort();
            }
            let want = naive(&pats, hay, lo, hi);
            prop_assert_eq!(&seen[0], &want);
            prop_assert_eq!(&seen[1], &want);
            prop_assert_eq!(&seen[2], &want);
            // The pair loop, against a narrow second automaton.
            check_side_by_side(&dfa, &pats, hay)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Two lanes of jobs read side by side: each job finds what its
        /// literals find alone over its range, in order of end, and a
        /// lane's jobs end one before the next starts. Jobs draw compact
        /// DFAs with rows of 32 and 64, NFAs (which run alone) and empty
        /// ranges.
        #[test]
        fn lanes_find_what_each_job_finds(
            hay in "[a-e .:]{0,300}",
            jobs in prop::collection::vec((
                prop::collection::vec("[a-d ]{1,4}|[a-e.:]{1,3}", 1..8),
                0u8..3,
                0usize..320,
                0usize..200,
                any::<bool>(),
            ), 0..12),
        ) {
            let hay = hay.as_bytes();
            // One automaton per job, its owners the job's number.
            let sets: Vec<Literals<usize>> = jobs
                .iter()
                .enumerate()
                .map(|(j, (lits, kind, ..))| {
                    let mut pats: Vec<(String, usize)> = lits.iter().map(|l| (l.clone(), j)).collect();
                    if *kind == 1 {
                        pats.push(((b'A'..=b'T').map(char::from).collect(), j));
                    }
                    Literals::build(pats, *kind != 2).unwrap().unwrap()
                })
                .collect();
            let mut lanes: [Vec<Job<'_, usize>>; 2] = [Vec::new(), Vec::new()];
            let mut lane_of = Vec::new();
            for (j, (_, _, lo, len, second)) in jobs.iter().enumerate() {
                lanes[usize::from(*second)].push((&sets[j], *lo, lo + len));
                lane_of.push(usize::from(*second));
            }
            let mut got: Vec<(usize, usize, usize)> = Vec::new();
            each_lanes(hay, [&lanes[0], &lanes[1]], |o, s, e| got.extend(o.iter().map(|&o| (o, s, e))));
            for (j, (_, _, lo, len, _)) in jobs.iter().enumerate() {
                let mut want = Vec::new();
                sets[j].each(hay, *lo, lo + len, |o, s, e| want.extend(o.iter().map(|&o| (o, s, e))));
                let mine: Vec<_> = got.iter().copied().filter(|g| g.0 == j).collect();
                prop_assert_eq!(&mine, &want, "job {}", j);
            }
            // Within a lane, jobs in order: no report of an earlier job
            // after one of a later job.
            for l in 0..2 {
                let order: Vec<usize> = got.iter().map(|g| g.0).filter(|&j| lane_of[j] == l).collect();
                prop_assert!(order.windows(2).all(|w| w[0] <= w[1]), "lane {} out of order: {:?}", l, order);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Two compact DFAs read side by side over texts long enough to be
        /// read as two halves find what each finds alone, in order of end.
        #[test]
        fn halves_find_every_occurrence_in_order(
            lits in prop::collection::vec("[a-d ]{1,6}|[a-z.:]{1,3}|[aé]{1,2}", 1..30),
            hay in "[a-e .:é]{200,900}",
            wide in any::<bool>(),
        ) {
            let pats = patterns(lits, wide);
            let one = Literals::build(pats.clone(), true).unwrap().unwrap();
            check_side_by_side(&one, &pats, hay.as_bytes())?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// One compact DFA read as two halves, and read only around the
        /// bytes its literals hold (`:` and `-`, each literal one or
        /// both), finds every occurrence, in order of end: on texts short
        /// and long, with those bytes rare (a few windows) and common (the
        /// whole text, as two halves).
        #[test]
        fn split_and_near_find_every_occurrence_in_order(
            lits in prop::collection::vec("[a-d ]{0,5}[:-][a-d ]{0,5}|[a-d ]{0,3}[:-][a-d :-]{0,3}", 1..30),
            pieces in prop::collection::vec((
                prop_oneof![
                    "[a-e .\\x80-\\xff]{0,90}",
                    "[a-e .]{0,200}",
                    "[a-d :-]{0,60}",
                ],
                any::<prop::sample::Index>(),
            ), 0..12),
            wide in any::<bool>(),
        ) {
            // Filler, each piece followed by one of the literals.
            let mut hay = Vec::new();
            for (fill, pick) in &pieces {
                hay.extend_from_slice(fill.as_bytes());
                hay.extend_from_slice(pick.get(&lits).as_bytes());
            }
            let hay = &hay[..];
            let pats = patterns(lits, wide);
            let dfa = Literals::build(pats.clone(), true).unwrap().unwrap();
            let mut near = [false; 256];
            near[usize::from(b':')] = true;
            near[usize::from(b'-')] = true;
            let want = naive(&pats, hay, 0, hay.len());
            let mut split = Vec::new();
            dfa.each_split(hay, |o, s, e| split.extend(o.iter().map(|&o| (o, s, e))));
            // The same with a literal of 94 distinct bytes (found nowhere
            // here): too many for the compact DFA, an aho-corasick one.
            let mut many = pats.clone();
            many.push(((b'!'..=b'~').map(char::from).collect(), usize::MAX));
            let aho = Literals::build(many, true).unwrap().unwrap();
            prop_assert!(matches!(aho.aut, Aut::Dfa(_)));
            let mut aho_split = Vec::new();
            aho.each_split(hay, |o, s, e| aho_split.extend(o.iter().map(|&o| (o, s, e))));
            // Our NFA, with full rows for the root alone and for more.
            let mut nfa_splits = Vec::new();
            for dense in [1, DENSE_STATES] {
                let nfa = Literals::build_sized(pats.clone(), false, dense).unwrap().unwrap();
                prop_assert!(matches!(nfa.aut, Aut::Sparse(_)));
                let mut got = Vec::new();
                nfa.each_split(hay, |o, s, e| got.extend(o.iter().map(|&o| (o, s, e))));
                nfa_splits.push(got);
            }
            let mut windows = Vec::new();
            let mut take = |o: &[usize], s, e| windows.extend(o.iter().map(|&o| (o, s, e)));
            match dfa.spans_near(hay, &near) {
                Some(spans) => dfa.each_in(hay, &spans, &mut take),
                None => dfa.each_split(hay, &mut take),
            }
            for mut got in [split, windows, aho_split].into_iter().chain(nfa_splits) {
                prop_assert!(got.windows(2).all(|w| w[0].2 <= w[1].2), "not in order of end");
                got.sort();
                prop_assert_eq!(&got, &want);
            }
        }
    }

    /// A literal as long as the longest, at every place in texts read as
    /// two halves and as four quarters: found once, wherever it ends.
    #[test]
    fn parts_meet_without_gap_or_overlap() {
        let pats = vec![("ab-cd".to_string(), 0), ("-".to_string(), 1)];
        // The compact DFA (halves, quarters) and our NFA (halves).
        for dfa in [true, false] {
            parts_meet(&pats, &Literals::build(pats.clone(), dfa).unwrap().unwrap());
        }
    }

    fn parts_meet(pats: &[(String, usize)], l: &Literals<usize>) {
        for len in [
            HALVES_FROM,
            HALVES_FROM + 1,
            301,
            QUARTERS_FROM,
            QUARTERS_FROM + 1,
            1337,
        ] {
            for at in 0..=len - 5 {
                let mut hay = vec![b'x'; len];
                hay[at..at + 5].copy_from_slice(b"ab-cd");
                for k in (0..len).step_by(97).filter(|k| !(at..at + 5).contains(k)) {
                    hay[k] = b'-';
                }
                let mut got = Vec::new();
                l.each_split(&hay, |o, s, e| got.extend(o.iter().map(|&o| (o, s, e))));
                got.sort();
                assert_eq!(got, naive(pats, &hay, 0, len), "{len} {at}");
            }
        }
    }

    /// The same for an aho-corasick DFA (a literal of 94 distinct bytes,
    /// too many for the compact one) read as two halves: the long literal
    /// itself at every place.
    #[test]
    fn halves_of_a_wide_dfa_meet_without_gap_or_overlap() {
        let long: String = (b'!'..=b'~').map(char::from).collect();
        let pats = vec![(long.clone(), 0), ("x-".to_string(), 1)];
        let l = Literals::build(pats.clone(), true).unwrap().unwrap();
        assert!(matches!(l.aut, Aut::Dfa(_)));
        for len in [HALVES_FROM, HALVES_FROM + 1, 301, 400] {
            for at in 0..=len - long.len() {
                let mut hay = vec![b'x'; len];
                hay[at..at + long.len()].copy_from_slice(long.as_bytes());
                for k in (0..len)
                    .step_by(37)
                    .filter(|k| !(at..at + long.len()).contains(k))
                {
                    hay[k] = b'-';
                }
                let mut got = Vec::new();
                l.each_split(&hay, |o, s, e| got.extend(o.iter().map(|&o| (o, s, e))));
                assert!(
                    got.windows(2).all(|w| w[0].2 <= w[1].2),
                    "{len} {at}: order"
                );
                got.sort();
                assert_eq!(got, naive(&pats, &hay, 0, len), "{len} {at}");
            }
        }
    }

    #[test]
    fn finds_overlapping_in_order_of_end() {
        for (dfa, dense) in [(true, 0), (false, 1), (false, DENSE_STATES)] {
            let pats = vec![
                ("he".to_string(), 1),
                ("she".to_string(), 2),
                ("hers".to_string(), 3),
                ("he".to_string(), 4),
            ];
            let l = Literals::build_sized(pats, dfa, dense).unwrap().unwrap();
            assert_eq!(l.len(), 3);
            let mut got = Vec::new();
            l.each(b"ushers", 0, 6, |o, s, e| got.push((o.to_vec(), s, e)));
            assert_eq!(
                got,
                vec![(vec![2], 1, 4), (vec![1, 4], 2, 4), (vec![3], 2, 6)]
            );
            // Two automata in one pass find what each finds alone.
            let other = Literals::build(
                vec![
                    ("sh".to_string(), 7),
                    ("rs".to_string(), 8),
                    ("u".to_string(), 9),
                ],
                dfa,
            )
            .unwrap()
            .unwrap();
            for hay in [&b"ushers"[..], b"", b"shushers rs", b"h"] {
                let mut both = Vec::new();
                l.each_with(&other, hay, |o, s, e| both.push((o.to_vec(), s, e)));
                let mut alone = Vec::new();
                l.each(hay, 0, hay.len(), |o, s, e| alone.push((o.to_vec(), s, e)));
                other.each(hay, 0, hay.len(), |o, s, e| alone.push((o.to_vec(), s, e)));
                both.sort();
                alone.sort();
                assert_eq!(both, alone, "{hay:?}");
            }
            // A range sees only what lies inside it.
            let mut got = Vec::new();
            l.each(b"ushers", 2, 5, |o, s, e| got.push((o.to_vec(), s, e)));
            assert_eq!(got, vec![(vec![1, 4], 2, 4)]);
        }
    }
}
