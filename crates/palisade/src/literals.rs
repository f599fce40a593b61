//! Literal search: Aho-Corasick automata (aho-corasick's DFA and NFAs)
//! driven by a loop of our own. The crate's overlapping iterator keeps its
//! position in a state struct and returns to the caller for every match;
//! this loop keeps the state in a register and calls back in place, which
//! takes several times fewer instructions per byte on the hot path.

use crate::error::Error;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::{contiguous, noncontiguous};
use aho_corasick::{Anchored, MatchKind, dfa};

/// Distinct literals in one automaton, each with its owners.
#[derive(Debug)]
pub(crate) struct Literals<T> {
    aut: Aut,
    owners: Vec<Vec<T>>,
}

#[derive(Debug)]
enum Aut {
    Dfa(dfa::DFA),
    Contiguous(contiguous::NFA),
    /// The fallback when the others exceed their size limits.
    Noncontiguous(noncontiguous::NFA),
}

impl<T: Clone> Literals<T> {
    /// An automaton over `pats` (`None` when there are none): a DFA when
    /// `dfa` (fastest, largest), else a contiguous NFA.
    pub fn build(pats: Vec<(String, T)>, dfa: bool) -> Result<Option<Literals<T>>, Error> {
        if pats.is_empty() {
            return Ok(None);
        }
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut strings: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<T>> = Vec::new();
        for (s, t) in pats {
            let i = *index.entry(s.clone()).or_insert_with(|| {
                strings.push(s);
                owners.push(Vec::new());
                strings.len() - 1
            });
            owners[i].push(t);
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
            Aut::Dfa(a) => a.memory_usage(),
            Aut::Contiguous(a) => a.memory_usage(),
            Aut::Noncontiguous(a) => a.memory_usage(),
        }
    }

    /// Number of distinct literals.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.owners.len()
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
            Aut::Dfa(a) => run(a, &self.owners, hay, lo, hi, f),
            Aut::Contiguous(a) => run(a, &self.owners, hay, lo, hi, f),
            Aut::Noncontiguous(a) => run(a, &self.owners, hay, lo, hi, f),
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
        let (Aut::Dfa(a), Aut::Dfa(b)) = (&self.aut, &other.aut) else {
            self.each(hay, 0, hay.len(), &mut f);
            other.each(hay, 0, hay.len(), f);
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

/// Calls `f` for the matches of special state `sid`, ending at `end`.
#[inline(always)]
fn report<A: Automaton, T>(
    a: &A,
    owners: &[Vec<T>],
    sid: StateID,
    end: usize,
    f: &mut impl FnMut(&[T], usize, usize),
) {
    if a.is_match(sid) {
        for k in 0..a.match_len(sid) {
            let p = a.match_pattern(sid, k);
            f(&owners[p.as_usize()], end - a.pattern_len(p), end);
        }
    }
}

#[inline(always)]
fn run<A: Automaton, T>(
    a: &A,
    owners: &[Vec<T>],
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
    owners: &[Vec<T>],
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

    #[test]
    fn finds_overlapping_in_order_of_end() {
        for dfa in [true, false] {
            let pats = vec![
                ("he".to_string(), 1),
                ("she".to_string(), 2),
                ("hers".to_string(), 3),
                ("he".to_string(), 4),
            ];
            let l = Literals::build(pats, dfa).unwrap().unwrap();
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
