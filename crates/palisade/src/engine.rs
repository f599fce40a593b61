//! The compiled rule engine. On each folded view, pass one reads the text
//! with two Aho-Corasick DFAs (`literals::Compact`): `words`, for the
//! phrases, anchor terms and regex keywords made of letters, spaces and
//! prose punctuation (and the rotated common words that call for the rot13
//! view), and `marks`, for those with other bytes (non-ASCII phrases,
//! anchors and keywords in one automaton that runs only on non-ASCII
//! text). On longer texts `words` reads four parts of the text side by
//! side and `marks` only the text around its rare bytes; where those are
//! everywhere (code, logs) and on short texts, the two read the text side
//! by side. Pass two searches the other sequence terms only around
//! anchors, each rule with its own small DFA, two rules' side by side.
//! One automaton for squashed phrases;
//! regexes gated by their keywords and by what their syntax proves about
//! every match (`regex_facts`), validators and built-in detectors.

use crate::detectors::{self, Detector};
use crate::error::Error;
use crate::leet::LeetWords;
use crate::literals::{self, Literals};
use crate::policy::RuleSpec;
use crate::regex_facts;
use crate::regex_set::MatchSet;
use crate::types::{Category, Mode, Severity, ViewKind};
use crate::validators::{self, Validator};
use crate::views::{self, View};
use regex_automata::meta::{self, Regex};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID, PatternSet};
use regex_automata::{MatchKind, hybrid};
use regex_syntax::hir::{Hir, Look};
use std::sync::OnceLock;

/// Most strings one phrase template may expand to.
const MAX_EXPANSIONS: usize = 4096;
/// Texts from this long are read by the words DFA alone, in parts side by
/// side, and by the marks DFA around its bytes only (see `scan_folded`).
const SPLIT_FROM: usize = 256;

/// Squashed phrases shorter than this would match inside ordinary words.
const MIN_SQUASHED: usize = 10;
/// Compile-size caps for one rule's regex.
const REGEX_NFA_LIMIT: usize = 2 << 20;
const REGEX_CACHE: usize = 4 << 20;
/// Search cache capacity of one `partial` DFA (one set per thread).
const PARTIAL_CACHE: usize = 256 << 10;

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: String,
    pub category: Category,
    pub family: Option<String>,
    pub severity: Severity,
    pub weight: f64,
    pub owasp: String,
    pub atlas: Option<String>,
    pub entity: Option<String>,
    pub prompt: bool,
    pub response: bool,
    pub monitor_only: bool,
    /// Digits the source text needs before this rule's regex runs.
    min_digits: usize,
    /// Views this rule reads, as a bit set over `ViewKind as u8`.
    views: u8,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Phrases,
    Sequence {
        slots: u8,
        window: usize,
        /// How far (in folded bytes) a match may reach before the start
        /// and after the end of its anchor term.
        before: usize,
        after: usize,
        /// The slot next to the anchor's that is read around each anchor
        /// term before the rule's region is (see [`Probe`]).
        probe: Option<Probe>,
    },
    Regex {
        re: Regex,
        case_sensitive: bool,
        group: Option<usize>,
        validator: Option<Validator>,
        min_entropy: Option<f64>,
        /// Every match holds a run of this many token bytes
        /// (`regex_facts::is_token`): text without one is not searched.
        min_run: usize,
        /// Where to search, proven from the regex (see [`Reach`]).
        reach: Reach,
        /// Every match starts at the start of a line (`(?m)^` or `\A`
        /// before any byte): searched anchored at each line start only.
        line_start: bool,
        /// The longest match, when the syntax bounds it.
        max_len: Option<usize>,
        /// A regex that is a run of one byte class: scanned, not searched.
        run: Option<Box<regex_facts::ClassRun>>,
        /// The bytes every match starts with, when known: a window is
        /// searched from the first of them on (none, not searched).
        first: Option<Box<regex_facts::FirstBytes>>,
        /// A run of a narrow class every match holds: a window without
        /// one is not searched.
        needs: Option<Box<regex_facts::NeededRun>>,
        /// For a regex whose matches may be longer than
        /// `limits.max_match_bytes`: what streams ask where such a match
        /// may be in progress (see [`Engine::pending`]).
        partial: Option<Box<Partial>>,
    },
    Detector(Detector),
}

/// Per rule of `Engine::long`, its partial DFA's search cache (made on
/// first use).
type PartialCaches = Vec<Option<hybrid::dfa::Cache>>;

/// A regex's matches cut short: a reverse DFA of every prefix of a match,
/// built on first use (streams only read it; building all of them with
/// the guard added 13% to every build).
#[derive(Debug)]
struct Partial {
    hir: Hir,
    dfa: OnceLock<Result<hybrid::dfa::DFA, String>>,
}

impl Partial {
    fn dfa(&self) -> Result<&hybrid::dfa::DFA, &str> {
        self.dfa
            .get_or_init(|| partial_dfa(&regex_facts::prefixes(&self.hir)))
            .as_ref()
            .map_err(String::as_str)
    }
}

impl Rule {
    pub fn applies(&self, mode: Mode) -> bool {
        match mode {
            Mode::Prompt => self.prompt,
            Mode::Response => self.response,
        }
    }

    fn reads(&self, v: ViewKind) -> bool {
        self.views & bit(v) != 0
    }

    /// Whether the rule is a built-in detector (statistics and shapes of
    /// the text: floods, hidden text, suffixes), not patterns.
    pub fn is_detector(&self) -> bool {
        matches!(self.kind, Kind::Detector(_))
    }
}

fn bit(v: ViewKind) -> u8 {
    1 << (v as u8)
}

#[derive(Debug, Clone, Copy)]
enum PatKind {
    Phrase,
    /// One term of slot `n` of a sequence rule.
    Term(u8),

    Keyword,
    /// A word that is a common English word once rotated
    /// (`views::rot13_words`): counted, whole, on a source's folded view.
    Rot13Word,
}

#[derive(Debug, Clone, Copy)]
struct Pat {
    rule: u32,
    kind: PatKind,
    left: bool,
    right: bool,
    /// A term of its rule's anchor slot (see [`anchor_slot`]).
    anchor: bool,
}

/// What the scan of a source's folded view takes and gathers besides its
/// hits (`Engine::scan_folded`); nothing for the views made from it.
#[derive(Default)]
struct FoldedScan<'a> {
    /// The regex keywords found: (rule, start, end).
    keyword_hits: Option<&'a mut Vec<(u32, usize, usize)>>,
    /// A count of the whole words that are common English words once
    /// rotated (`views::rot13_words`).
    rot_words: Option<&'a mut usize>,
    /// [`Source::marked`].
    marked: Option<&'a [u32]>,
}

/// Which part of its view a keyword-gated regex must search to find every
/// match the whole view holds. `Line` and `Bytes` need every match
/// to contain one of the rule's keywords (`regex_facts::Facts::covered`):
/// then a match lies on the line of a keyword occurrence (when no match
/// spans lines) or within `n` bytes of it (when no match is longer).
/// Searching the merged neighbourhoods finds exactly the whole view's
/// matches: no match crosses from one neighbourhood into another, and
/// look-around assertions still see the bytes outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Whole,
    Line,
    Bytes(usize),
    /// At most this many bytes once each whitespace run counts one
    /// (`regex_facts::squeezed_max_len`).
    Squeezed(usize),
    /// Every match starts with a keyword: searched anchored where one
    /// starts, reading no further than the match (an unanchored search
    /// would also follow every keyword that starts inside a value, and its
    /// lazy DFA builds states for each such overlap: a keyword-first
    /// assignment regex cost ~20 µs a call until they were built).
    Starts,
}

/// A raw hit: a rule matched view bytes, already mapped to the original.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
    pub view: ViewKind,
}

/// One source of text (the input, its hidden text, its decoded text) with
/// its renderings.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    /// The label findings in this source get for case-preserving matches.
    pub label: ViewKind,
    pub clean: View<'a>,
    pub folded: View<'a>,
    pub squashed: Option<views::Squashed>,
    /// Spaced-out letters joined into words (see `views::despace`).
    pub despaced: Option<View<'a>>,
    pub deleet: Option<View<'a>>,
    /// A test every hit from this source must pass on the first source's
    /// folded view, around the hit (see `views::local_gate`).
    pub local: Option<views::Gate>,
    /// Where `folded` holds the bytes of [`Engine::near`], when the gates'
    /// pass noted them (`views::gates_marked`): the marks DFA's spans are
    /// made from them, not from a pass of their own.
    pub marked: Option<Vec<u32>>,
}

#[derive(Debug)]
pub(crate) struct Engine {
    pub rules: Vec<Rule>,
    /// Phrases, sequence anchor terms and regex keywords of [`word_byte`]s
    /// (lowercase letters, the space, `,` `.` `'`): every folded view goes
    /// through these. Their DFA has 31 byte classes (those bytes and every
    /// other byte), so its rows take 32 slots, one cache line: half what
    /// digits and the other punctuation would need.
    words: Option<Literals<Pat>>,
    /// The other ASCII regex keywords, phrases and anchor terms: the
    /// second DFA of pass one.
    marks: Option<Literals<Pat>>,
    /// A byte of each of `marks`' literals, its rarest in ordinary text:
    /// `marks` reads only the text around these.
    near: [bool; 256],
    /// Non-ASCII phrases, anchor terms and regex keywords (many scripts'
    /// words for "key", "password") in one DFA, read only on text with
    /// non-ASCII bytes: one pass where the keywords' own DFA made two
    /// (together their UTF-8 bytes are too many for a compact DFA, so
    /// the two could not go side by side).
    other: Option<Literals<Pat>>,
    /// Whether `other` holds phrases or anchor terms: without them, and
    /// with no keyword hits wanted, it need not run.
    other_anchors: bool,
    /// Per sequence rule with ASCII terms, in rule order: a DFA of its
    /// own ASCII terms, read by pass two only around that rule's anchors.
    /// Kilobytes each, so the few a prompt anchors stay in the cache (one
    /// DFA of every rule's terms took a megabyte, whose rows a prompt's
    /// common words visited all over).
    seq_terms: Vec<SeqTerms>,
    /// Every rule's ASCII terms in one small NFA (full rows for its 256
    /// shallowest states), for text where the anchored rules' regions
    /// pile up (one phrase repeated: each rule's DFA would read the same
    /// bytes again).
    terms_all: Option<Literals<Pat>>,
    /// Every rule's non-ASCII terms, read around anchors in text with
    /// non-ASCII bytes (full rows for 64 states: it reads a few hundred
    /// bytes at a time).
    terms_other: Option<Literals<Pat>>,
    /// The distinct regex keywords (folded), for the guard's warm-up.
    keywords: Vec<String>,
    squashed_ac: Option<Literals<u32>>,
    /// Regex rules without keywords: always run.
    always: Vec<u32>,
    /// The always-run regexes as one set per case sensitivity (folded
    /// view, then clean view): one pass says which can match at all.
    always_sets: [Option<MatchSet>; 2],
    /// Per rule, its pattern in `always_sets[case_sensitive]`.
    always_pattern: Vec<Option<u32>>,
    detectors: Vec<u32>,
    /// The most slots of any sequence rule.
    max_slots: usize,
    /// The regex rules with a `partial` DFA.
    long: Vec<u32>,
    /// Search caches of the `partial` DFAs, one set per thread at a time
    /// (kept warm from one stream to the next).
    partial_caches: Pool<PartialCaches, fn() -> PartialCaches>,
    /// Length of the longest phrase or keyword, in folded bytes.
    #[allow(dead_code)] // for the streaming inspector (overlap between chunks)
    pub longest_literal: usize,
    /// The farthest past a hit's start that a detector of the policy reads
    /// to decide it (see `detectors::reach`): a stream's least margin.
    pub detector_reach: usize,
    /// The words of the literals that read the deleet view: which leet
    /// characters can matter (see `leet`).
    pub leet_words: LeetWords,
}

impl Engine {
    /// Compiles `specs`. With `literals`, also lists the folded automata's
    /// literals there (every phrase, sequence term, rot13 word and regex
    /// keyword, folded, sorted, once each): the benchmarks' baseline
    /// automaton, asked for apart from ordinary builds.
    pub fn compile(
        specs: &[RuleSpec],
        monitor_only: &[String],
        long_from: usize,
        literals: Option<&mut Vec<String>>,
    ) -> Result<Engine, Error> {
        let mut rules = Vec::with_capacity(specs.len());
        let mut folded: Vec<(String, Pat)> = Vec::new();
        // Regex keywords have their own automaton: their digits and
        // punctuation would multiply the phrase DFA's alphabet (and size).
        let mut keywords: Vec<(String, Pat)> = Vec::new();
        let mut squashed: Vec<(String, u32)> = Vec::new();
        let mut always = Vec::new();
        let mut long = Vec::new();
        let mut always_pats: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut always_pattern: Vec<Option<u32>> = Vec::with_capacity(specs.len());
        let mut dets = Vec::new();
        let mut detector_reach = 0usize;
        let mut seen = std::collections::HashSet::new();
        for spec in specs {
            let idx = rules.len() as u32;
            if !valid_id(&spec.id) {
                return Err(Error::rule(
                    &spec.id,
                    "ids are dotted lowercase words: letters, digits, `_` and `-`, separated by `.`",
                ));
            }
            if !seen.insert(spec.id.as_str()) {
                return Err(Error::rule(&spec.id, "id used twice"));
            }
            let kinds = usize::from(!spec.phrases.is_empty())
                + usize::from(!spec.sequence.is_empty())
                + usize::from(spec.regex.is_some())
                + usize::from(spec.detector.is_some());
            if kinds != 1 {
                return Err(Error::rule(
                    &spec.id,
                    "needs exactly one of `phrases`, `sequence`, `regex` or `detector`",
                ));
            }
            if spec.window.is_some() && spec.sequence.is_empty() {
                return Err(Error::rule(
                    &spec.id,
                    "`window` only applies to `sequence` rules",
                ));
            }
            let weight = spec.weight.unwrap_or(match spec.severity {
                Severity::Low => 0.25,
                Severity::Medium => 0.5,
                Severity::High => 0.85,
                Severity::Critical => 1.0,
            });
            if !(0.0..=1.0).contains(&weight) || weight.is_nan() {
                return Err(Error::rule(
                    &spec.id,
                    format!("weight {weight} is not in [0, 1]"),
                ));
            }
            let (prompt, response) = match &spec.modes {
                None => (true, true),
                Some(m) if m.is_empty() => return Err(Error::rule(&spec.id, "`modes` is empty")),
                Some(m) => (m.contains(&Mode::Prompt), m.contains(&Mode::Response)),
            };
            let sensitive = matches!(spec.category, Category::Secret | Category::Pii);
            // A rule that does not read the squashed view needs no squashed
            // literals (they are most of that automaton's size).
            let squash_ok = spec
                .views
                .as_deref()
                .is_none_or(|v| v.contains(&ViewKind::Squashed));
            let kind = if !spec.phrases.is_empty() {
                for (k, phrase) in spec.phrases.iter().enumerate() {
                    let expanded = expand(phrase)
                        .map_err(|e| Error::rule(&spec.id, format!("phrases[{k}]: {e}")))?;
                    for p in expanded {
                        let fs = fold_str(&p);
                        let (f, left, right) = boundaries(fs.trim());
                        if f.is_empty() {
                            return Err(Error::rule(
                                &spec.id,
                                format!("phrases[{k}] {phrase:?} is empty once normalised"),
                            ));
                        }
                        folded.push((
                            f.to_string(),
                            Pat {
                                rule: idx,
                                kind: PatKind::Phrase,
                                left,
                                right,
                                anchor: false,
                            },
                        ));
                        let s = alphanumerics(f);
                        if squash_ok && s.len() >= MIN_SQUASHED {
                            squashed.push((s, idx));
                        }
                    }
                }
                Kind::Phrases
            } else if !spec.sequence.is_empty() {
                if spec.sequence.len() < 2 || spec.sequence.len() > 8 {
                    return Err(Error::rule(&spec.id, "`sequence` needs 2 to 8 slots"));
                }
                let window = spec.window.unwrap_or(3);
                if window > 32 {
                    return Err(Error::rule(&spec.id, "`window` must be at most 32 words"));
                }
                let first_pat = folded.len();
                let mut slot_terms: Vec<Vec<String>> = Vec::new();
                for (k, slot) in spec.sequence.iter().enumerate() {
                    let mut terms = Vec::new();
                    for alt in slot.split('|') {
                        for t in expand(alt.trim())
                            .map_err(|e| Error::rule(&spec.id, format!("sequence[{k}]: {e}")))?
                        {
                            let fs = fold_str(&t);
                            let (f, left, right) = boundaries(fs.trim());
                            let f = f.to_string();
                            if f.is_empty() {
                                return Err(Error::rule(
                                    &spec.id,
                                    format!("sequence[{k}] has an empty term"),
                                ));
                            }
                            folded.push((
                                f.clone(),
                                Pat {
                                    rule: idx,
                                    kind: PatKind::Term(k as u8),
                                    left,
                                    right,
                                    anchor: false,
                                },
                            ));
                            terms.push(f);
                        }
                    }
                    slot_terms.push(terms);
                }
                // The squashed view has no word gaps: match the adjacent
                // forms, using the first (most typical) terms of each slot.
                let mut per_slot = 8usize;
                while per_slot > 1
                    && slot_terms
                        .iter()
                        .map(|t| t.len().min(per_slot))
                        .product::<usize>()
                        > 256
                {
                    per_slot -= 1;
                }
                // Squashed term by term: the letters and digits of a
                // combination are its terms' (once per term, not once per
                // combination: 17,935 calls a build).
                let mut combos = vec![String::new()];
                for terms in &slot_terms {
                    let squashed_terms: Vec<String> = terms
                        .iter()
                        .take(per_slot)
                        .map(|t| alphanumerics(t))
                        .collect();
                    combos = combos
                        .iter()
                        .flat_map(|c| squashed_terms.iter().map(move |t| [c.as_str(), t].concat()))
                        .collect();
                }
                for sq in combos {
                    if squash_ok && sq.len() >= MIN_SQUASHED {
                        squashed.push((sq, idx));
                    }
                }
                // Only the anchor slot's terms run over the whole text; the
                // others are looked for around anchors (see `scan_folded`).
                let anchor = anchor_slot(&slot_terms);
                for p in &mut folded[first_pat..] {
                    p.1.anchor = matches!(p.1.kind, PatKind::Term(k) if k as usize == anchor);
                }
                // How far a sequence reaches from its anchor term: each
                // slot on either side adds its longest term and the
                // largest gap before the next (`sequence_from` allows no
                // more), so pass two reads no byte a match cannot hold.
                let step = |terms: &Vec<String>| {
                    max_gap(window) + terms.iter().map(String::len).max().unwrap_or(0)
                };
                let probe = probe_slot(&slot_terms, anchor).map(|k| Probe {
                    slot: k as u8,
                    forward: k > anchor,
                    reach: step(&slot_terms[k]),
                    gap: max_gap(window),
                });
                Kind::Sequence {
                    slots: spec.sequence.len() as u8,
                    window,
                    before: slot_terms[..anchor].iter().map(step).sum(),
                    after: slot_terms[anchor + 1..].iter().map(step).sum(),
                    probe,
                }
            } else if let Some(pattern) = &spec.regex {
                let case_sensitive = spec.case_sensitive.unwrap_or(sensitive);
                let bad =
                    |e: &dyn std::fmt::Display| Error::rule(&spec.id, format!("bad regex: {e}"));
                let hir = syntax::parse_with(pattern, &syntax_config(case_sensitive))
                    .map_err(|e| bad(&e))?;
                let prefix = hir.properties().look_set_prefix();
                let line_start = prefix.contains(Look::StartLF) || prefix.contains(Look::Start);
                let folded_kws: Vec<String> = spec.keywords.iter().map(|k| fold_str(k)).collect();
                // The folded view has no whitespace runs (see `views::fold`).
                let facts = regex_facts::facts(&hir, &folded_kws, !case_sensitive);
                let run = regex_facts::ClassRun::of(&hir).map(Box::new);
                let reach = match facts {
                    _ if folded_kws.is_empty() || !facts.covered => Reach::Whole,
                    // A run rule is scanned, not searched, and a line-start
                    // one is searched anchored at line starts.
                    regex_facts::Facts {
                        keyword_first: true,
                        ..
                    } if run.is_none() && !line_start => Reach::Starts,
                    regex_facts::Facts { one_line: true, .. } => Reach::Line,
                    regex_facts::Facts {
                        max_len: Some(n), ..
                    } => Reach::Bytes(n),
                    // Only whitespace runs unbounded (`name\s*=\s*value`
                    // on the case-preserving view).
                    _ => regex_facts::squeezed_max_len(&hir).map_or(Reach::Whole, Reach::Squeezed),
                };
                // Built from the parsed pattern, not parsed again. A regex
                // searched in windows around its keywords or anchored at
                // line starts is built without a literal prefilter: the
                // window starts near the literal, an anchored search does
                // not use one, and extracting it cost ~5% of the build. (A
                // case-sensitive one still reads decoded and non-ASCII
                // texts whole: prefilters kept for those gained ~1% on
                // multilingual attacks and cost ~2% on JSON logs.)
                let windowed = line_start || reach != Reach::Whole;
                let re = Regex::builder()
                    .configure(regex_config().auto_prefilter(!windowed))
                    .build_from_hir(&hir)
                    .map_err(|e| bad(&e))?;
                // A stream asks where a match that may be longer than its
                // margin (at least `long_from`) is in progress at the end
                // of its window (`Engine::pending`).
                let partial = if facts.max_len.is_none_or(|n| n > long_from) {
                    long.push(idx);
                    Some(Box::new(Partial {
                        hir: hir.clone(),
                        dfa: OnceLock::new(),
                    }))
                } else {
                    None
                };
                let group = re
                    .group_info()
                    .to_index(regex_automata::PatternID::ZERO, "secret");
                let validator = match &spec.validator {
                    None => None,
                    Some(name) => Some(validators::lookup(name).ok_or_else(|| {
                        Error::rule(
                            &spec.id,
                            format!(
                                "unknown validator `{name}` (known: {})",
                                validators::VALIDATORS
                                    .iter()
                                    .map(|v| v.0)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?),
                };
                if spec.keywords.is_empty() {
                    always.push(idx);
                    let set = &mut always_pats[usize::from(case_sensitive)];
                    always_pattern.push(Some(set.len() as u32));
                    set.push(pattern.clone());
                }
                for kw in &spec.keywords {
                    let f = fold_str(kw);
                    if f.trim().is_empty() {
                        return Err(Error::rule(&spec.id, format!("keyword {kw:?} is empty")));
                    }
                    keywords.push((
                        f,
                        Pat {
                            rule: idx,
                            kind: PatKind::Keyword,
                            left: false,
                            right: false,
                            anchor: false,
                        },
                    ));
                }
                Kind::Regex {
                    re,
                    case_sensitive,
                    group,
                    validator,
                    min_entropy: spec.min_entropy,
                    min_run: facts.min_run,
                    reach,
                    line_start,
                    max_len: facts.max_len,
                    run,
                    // Regexes searched whole have meta's own prefilter.
                    first: facts.first.filter(|_| windowed).map(Box::new),
                    needs: regex_facts::NeededRun::of(&hir).map(Box::new),
                    partial,
                }
            } else {
                let name = spec.detector.as_deref().unwrap_or_default();
                let d = detectors::lookup(name).ok_or_else(|| {
                    Error::rule(
                        &spec.id,
                        format!(
                            "unknown detector `{name}` (known: {})",
                            detectors::NAMES.join(", ")
                        ),
                    )
                })?;
                dets.push(idx);
                detector_reach = detector_reach.max(detectors::reach(name));
                Kind::Detector(d)
            };
            if spec.validator.is_some() && !matches!(kind, Kind::Regex { .. }) {
                return Err(Error::rule(
                    &spec.id,
                    "`validator` only applies to regex rules",
                ));
            }
            let default_views: &[ViewKind] = match &kind {
                Kind::Phrases | Kind::Sequence { .. } => &[
                    ViewKind::Folded,
                    ViewKind::Squashed,
                    ViewKind::Deleet,
                    ViewKind::Hidden,
                    ViewKind::Decoded,
                ],
                _ => &[
                    ViewKind::Raw,
                    ViewKind::Clean,
                    ViewKind::Folded,
                    ViewKind::Hidden,
                    ViewKind::Decoded,
                ],
            };
            let views = spec
                .views
                .as_deref()
                .unwrap_or(default_views)
                .iter()
                .fold(0u8, |a, v| a | bit(*v));
            rules.push(Rule {
                id: spec.id.clone(),
                category: spec.category,
                family: spec.family.clone(),
                severity: spec.severity,
                weight,
                owasp: spec
                    .owasp
                    .clone()
                    .unwrap_or_else(|| spec.category.owasp().to_string()),
                atlas: spec.atlas.clone(),
                entity: spec.entity.clone(),
                prompt,
                response,
                monitor_only: monitor_only.iter().any(|m| m == &spec.id),
                min_digits: spec.min_digits.unwrap_or(0),
                views,
                kind,
            });
            // `None` unless the regex branch set it for this rule.
            always_pattern.resize(rules.len(), None);
        }
        let max_slots = specs.iter().map(|s| s.sequence.len()).max().unwrap_or(0);
        let always_sets = [
            compile_set(&always_pats[0], false)?,
            compile_set(&always_pats[1], true)?,
        ];
        for w in views::rot13_words() {
            folded.push((
                w,
                Pat {
                    rule: 0,
                    kind: PatKind::Rot13Word,
                    left: false,
                    right: false,
                    anchor: false,
                },
            ));
        }
        let mut leet_words = LeetWords::default();
        for (lit, pat) in &folded {
            if matches!(pat.kind, PatKind::Phrase | PatKind::Term(_))
                && rules[pat.rule as usize].reads(ViewKind::Deleet)
            {
                leet_words.add(lit, pat.left, pat.right);
            }
        }
        let leet_words = leet_words.finish();
        let longest_literal = folded
            .iter()
            .map(|p| p.0.len())
            .chain(squashed.iter().map(|p| p.0.len()))
            .max()
            .unwrap_or(0);
        if let Some(l) = literals {
            l.extend(folded.iter().chain(&keywords).map(|p| p.0.clone()));
            l.sort();
            l.dedup();
        }
        // Pass one reads the whole text for phrases and anchor terms; pass
        // two reads the text around anchors for every term (a third of a
        // benign English prompt: a DFA, ~5x fewer instructions a byte than
        // the NFA). ASCII literals go into DFAs; the others into compact
        // NFAs that only run on text with non-ASCII bytes (they cannot
        // match elsewhere).
        let mut anchors: Vec<(String, Pat)> = Vec::new();
        let mut terms: Vec<(String, Pat)> = Vec::new();
        for p in folded {
            let term = matches!(p.1.kind, PatKind::Term(_));
            if matches!(p.1.kind, PatKind::Phrase | PatKind::Rot13Word) || p.1.anchor {
                if term {
                    terms.push(p.clone());
                }
                anchors.push(p);
            } else if term {
                terms.push(p);
            }
        }
        let (ascii, other): (Vec<_>, Vec<_>) = anchors.into_iter().partition(|p| p.0.is_ascii());
        // Anchors (and, below, keywords) of word bytes have a DFA of their
        // own, whose rows take 32 slots, not the 64 that the digits and
        // other punctuation of the rest would need. The rest go to the
        // marks DFA, which has those bytes.
        let (mut words, marked): (Vec<_>, Vec<_>) =
            ascii.into_iter().partition(|p| p.0.bytes().all(word_byte));
        let mut other_literals = other;
        let other_anchors = !other_literals.is_empty();
        let (mut ascii, other): (Vec<_>, Vec<_>) = terms.into_iter().partition(|p| p.0.is_ascii());
        ascii.sort_by_key(|p| p.1.rule);
        let mut seq_terms = Vec::new();
        for group in ascii.chunk_by(|a, b| a.1.rule == b.1.rule) {
            let rule = group[0].1.rule;
            if let Some(terms) = Literals::build(group.to_vec(), true)? {
                let probe = match &rules[rule as usize].kind {
                    Kind::Sequence { probe: Some(p), .. } => SlotSearch::new(
                        group
                            .iter()
                            .filter(|t| matches!(t.1.kind, PatKind::Term(k) if k == p.slot))
                            .map(|t| t.0.as_str()),
                    ),
                    _ => None,
                };
                seq_terms.push(SeqTerms { rule, terms, probe });
            }
        }
        let terms_all = Literals::build_sized(ascii, false, 256)?;
        let terms_other = Literals::build_sized(other, false, 64)?;
        let squashed_ac = Literals::build(squashed, false)?;
        let mut keyword_strings: Vec<String> = keywords.iter().map(|k| k.0.clone()).collect();
        keyword_strings.sort();
        keyword_strings.dedup();
        // Non-ASCII keywords would make most of the keyword DFA's states.
        let (ascii, other): (Vec<_>, Vec<_>) = keywords.into_iter().partition(|p| p.0.is_ascii());
        let (plain, ascii): (Vec<_>, Vec<_>) =
            ascii.into_iter().partition(|p| p.0.bytes().all(word_byte));
        words.extend(plain);
        let words = Literals::build(words, true)?;
        let marked: Vec<_> = ascii.into_iter().chain(marked).collect();
        let mut near = [false; 256];
        for (lit, _) in &marked {
            if let Some(b) = lit
                .bytes()
                .filter(|&b| !word_byte(b))
                .max_by_key(|&b| mark_rarity(b))
            {
                near[usize::from(b)] = true;
            }
        }
        let marks = Literals::build(marked, true)?;
        other_literals.extend(other);
        let other = Literals::build(other_literals, true)?;
        Ok(Engine {
            rules,
            near,
            words,
            marks,
            other,
            other_anchors,
            seq_terms,
            terms_all,
            terms_other,
            keywords: keyword_strings,
            squashed_ac,
            always,
            always_sets,
            always_pattern,
            max_slots,
            long,
            partial_caches: Pool::new(Vec::new),
            detectors: dets,
            longest_literal,
            detector_reach,
            leet_words,
        })
    }

    /// Heap bytes of the literal automata and of the compiled regexes
    /// (their search caches, which grow per thread, not included).
    #[cfg(feature = "internal-checks")]
    pub fn memory(&self) -> (usize, usize) {
        let automata = [
            &self.words,
            &self.marks,
            &self.other,
            &self.terms_all,
            &self.terms_other,
        ]
        .iter()
        .map(|a| a.as_ref().map_or(0, Literals::memory_usage))
        .sum::<usize>()
            + self
                .seq_terms
                .iter()
                .map(SeqTerms::memory_usage)
                .sum::<usize>()
            + self.squashed_ac.as_ref().map_or(0, Literals::memory_usage)
            + self.leet_words.memory_usage();
        let regexes = self
            .rules
            .iter()
            .map(|r| match &r.kind {
                Kind::Regex { re, .. } => re.memory_usage(),
                _ => 0,
            })
            .chain(
                self.always_sets
                    .iter()
                    .flatten()
                    .map(MatchSet::memory_usage),
            )
            .sum();
        (automata, regexes)
    }

    /// Drops from `regions` those made for one anchor term of a rule with
    /// a probe (their last field: its start and end, [`NO_PROBE`] for the
    /// others) whose probe finds no term of its slot where a match would
    /// have one: that anchor starts no match, and its region need not be
    /// read (`anchored` keeps only the rules with a region left). A probe
    /// reads one step of the rule's reach where the region reads every
    /// step: a region that took in several anchors (a phrase repeated,
    /// anchors close together) is read without one, and a rule's regions
    /// are no longer probed once its probes have found terms more than
    /// half as often as not.
    #[inline(never)]
    fn probe_anchors(&self, text: &[u8], regions: &mut Vec<Region>, anchored: &mut [u64]) {
        // Per rule probed: probes that found a term and that did not.
        let mut tally: Vec<(u32, u32, u32)> = Vec::new();
        regions.retain(|&(r, s, e, (ms, me))| {
            if (ms, me) == NO_PROBE {
                return true;
            }
            let (Kind::Sequence { probe: Some(p), .. }, Some(terms)) =
                (&self.rules[r as usize].kind, self.terms_of(r))
            else {
                return true;
            };
            if e - s <= p.reach {
                return true;
            }
            let k = match tally.iter().position(|t| t.0 == r) {
                Some(k) => k,
                None => {
                    tally.push((r, 0, 0));
                    tally.len() - 1
                }
            };
            let t = &mut tally[k];
            if t.1 * 2 > t.2 {
                return true;
            }
            let found = p.holds(terms, text, ms as usize, me as usize);
            if found {
                t.1 += 1;
            } else {
                t.2 += 1;
            }
            found
        });
        // The rules probed in vain everywhere are not anchored.
        for &(r, _, failed) in &tally {
            if failed > 0 && !regions.iter().any(|x| x.0 == r) {
                anchored[r as usize / 64] &= !(1 << (r % 64));
            }
        }
    }

    /// The ASCII terms of sequence rule `r`.
    fn terms_of(&self, r: u32) -> Option<&SeqTerms> {
        let at = self.seq_terms.binary_search_by_key(&r, |t| t.rule).ok()?;
        Some(&self.seq_terms[at])
    }

    /// Runs the always-run regex sets over `text`, so that their lazy
    /// DFAs build the states it leads to (see `Guard::warm`).
    pub fn warm_sets(&self, text: &str) {
        for set in self.always_sets.iter().flatten() {
            let _ = set.which(text.as_bytes());
        }
    }

    /// The bytes whose positions the marks DFA's spans are made from (see
    /// [`Source::marked`]).
    pub fn near(&self) -> &[bool; 256] {
        &self.near
    }

    /// The most common English words (those the rules' anchors avoid),
    /// for the guard's warm-up.
    pub fn common_words() -> impl Iterator<Item = &'static str> {
        FUNCTION_WORDS.iter().chain(COMMON_WORDS).copied()
    }

    /// The distinct regex keywords, folded.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Runs every rule on every view of `sources`; a source's `local` test
    /// reads `base` (the input's folded view). With `rot_words`, counts the
    /// whole words of the first source's folded view that are common
    /// English words once rotated.
    pub fn scan(
        &self,
        mode: Mode,
        sources: &[Source<'_>],
        base: &View<'_>,
        mut rot_words: Option<&mut usize>,
        hits: &mut Vec<Hit>,
    ) {
        if sources.is_empty() {
            return;
        }
        // Sized for a prompt's keywords and candidate rules (a dozen or
        // so): grown from empty they took two or three allocations each.
        let mut candidates: Vec<u32> = Vec::with_capacity(32);
        let mut keyword_hits: Vec<(u32, usize, usize)> = Vec::with_capacity(32);
        let mut windows: Vec<(usize, usize)> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        for (k, src) in sources.iter().enumerate() {
            let first_hit = hits.len();
            keyword_hits.clear();
            let top = src.label == ViewKind::Raw || src.label == ViewKind::Clean;
            // Folded view: phrases, sequence terms and keywords.
            let label = if top { ViewKind::Folded } else { src.label };
            let count = if k == 0 {
                rot_words.as_deref_mut()
            } else {
                None
            };
            let extra = FoldedScan {
                keyword_hits: Some(&mut keyword_hits),
                rot_words: count,
                marked: src.marked.as_deref(),
            };
            self.scan_folded(mode, &src.folded, label, extra, hits);
            // Hits from the gated views count only where the gate's test
            // passes on their own text (`views::local_gate`): they do not
            // depend on text elsewhere, as streams need.
            if let Some(d) = &src.despaced {
                let label = if top { ViewKind::Squashed } else { src.label };
                let n = hits.len();
                self.scan_folded(mode, d, label, FoldedScan::default(), hits);
                keep_from(hits, n, |h| {
                    views::local_gate(&src.folded, views::Gate::Despace, h.start, h.end)
                });
            }
            if let Some(d) = &src.deleet {
                let label = if top { ViewKind::Deleet } else { src.label };
                let n = hits.len();
                self.scan_folded(mode, d, label, FoldedScan::default(), hits);
                // Only where the hit's own text holds a leet character in
                // a word of some literal (`leet`): the view's other hits
                // are the folded view's, or hold no rule's words at all.
                let b = src.folded.text.as_bytes();
                keep_from(hits, n, |h| {
                    let (a, z) = src.folded.region(h.start, h.end);
                    self.leet_words.any_in(b, a, z)
                });
            }
            if let (Some(sq), Some(ac)) = (&src.squashed, &self.squashed_ac) {
                let label = if top { ViewKind::Squashed } else { src.label };
                let text = sq.text.as_bytes();
                ac.each_split(text, |owners, ms, me| {
                    // The match's span and gate, found once for all its
                    // rules (a phrase is often several rules').
                    let mut place: Option<Option<(usize, usize)>> = None;
                    for &r in owners {
                        let rule = &self.rules[r as usize];
                        if rule.applies(mode)
                            && rule.reads(ViewKind::Squashed)
                            && (top || rule.reads(src.label))
                        {
                            let at = *place.get_or_insert_with(|| {
                                let (s, e) = sq.span(&src.folded, ms, me);
                                views::local_gate(&src.folded, views::Gate::Squash, s, e)
                                    .then_some((s, e))
                            });
                            let Some((s, e)) = at else {
                                continue;
                            };
                            hits.push(Hit {
                                rule: r,
                                start: s,
                                end: e,
                                view: label,
                            });
                        }
                    }
                });
            }
            // Regexes whose keywords were seen, and those that always run,
            // in rule order.
            // Keyword hits grouped by rule: each rule's are one slice
            // (a text that repeats a keyword has thousands: those are
            // grouped by counting; the order within a rule is free, as
            // the windows made from them are sorted and merged).
            if keyword_hits.len() > 256 {
                counting_sort(&mut keyword_hits, self.rules.len(), |k| k.0 as usize);
            } else {
                keyword_hits.sort_unstable();
            }
            candidates.clear();
            candidates.extend(&self.always);
            candidates.extend(keyword_hits.iter().map(|k| k.0));
            candidates.sort_unstable();
            candidates.dedup();
            let mut digits: Option<usize> = None;
            // Per view read (clean, folded), its longest long token run:
            // one pass answers every token-shaped regex's length.
            let mut long_runs: [Option<usize>; 2] = [None, None];
            // Per always-run set, the patterns with a match in this source.
            let mut present: [Option<PatternSet>; 2] = [None, None];
            for &i in &candidates {
                let rule = &self.rules[i as usize];
                if !rule.applies(mode) {
                    continue;
                }
                if rule.min_digits > 0
                    && *digits.get_or_insert_with(|| count_digits(src.clean.text.as_bytes()))
                        < rule.min_digits
                {
                    continue;
                }
                if let Kind::Regex {
                    re,
                    case_sensitive,
                    group,
                    validator,
                    min_entropy,
                    min_run,
                    reach,
                    line_start,
                    run,
                    first,
                    needs,
                    ..
                } = &rule.kind
                {
                    let (view, vk) = if *case_sensitive {
                        (&src.clean, src.label)
                    } else {
                        (&src.folded, label)
                    };
                    let reads =
                        rule.reads(vk) || (vk == ViewKind::Clean && rule.reads(ViewKind::Raw));
                    if !reads {
                        continue;
                    }
                    let runs = if *min_run < regex_facts::LONG_RUN {
                        regex_facts::has_run(view.text.as_bytes(), *min_run)
                    } else {
                        *min_run
                            <= *long_runs[usize::from(*case_sensitive)]
                                .get_or_insert_with(|| regex_facts::long_run(view.text.as_bytes()))
                    };
                    if !runs {
                        continue;
                    }
                    let text = view.text.as_bytes();
                    // An always-run regex runs only when its set's one pass
                    // over the view saw it match (number-shaped PII
                    // regexes otherwise each read every text with digits).
                    if let (Some(p), Some(set)) = (
                        self.always_pattern[i as usize],
                        &self.always_sets[usize::from(*case_sensitive)],
                    ) {
                        let found = present[usize::from(*case_sensitive)]
                            .get_or_insert_with(|| set.which(text));
                        if !found.contains(PatternID::must(p as usize)) {
                            continue;
                        }
                    }
                    windows.clear();
                    // Keywords are found in the folded view. The clean view
                    // shares the original's offsets when it is the raw
                    // input; in ASCII, the keyword in a match folds to an
                    // occurrence whose span starts at the keyword's first
                    // byte and covers it (and any control characters after
                    // it, which the fold absorbs).
                    let same_text =
                        !*case_sensitive || (src.label == ViewKind::Raw && text.is_ascii());
                    let from = keyword_hits.partition_point(|k| k.0 < i);
                    let to = keyword_hits.partition_point(|k| k.0 <= i);
                    if *reach == Reach::Starts && same_text {
                        starts.clear();
                        for &(_, fs, fe) in &keyword_hits[from..to] {
                            if !*case_sensitive {
                                starts.push(fs);
                                continue;
                            }
                            // The keyword's first byte (ASCII text folds
                            // byte for byte, but for dropped bytes the
                            // span may take in before it).
                            let first = src.folded.text.as_bytes()[fs];
                            let (s, e) = src.folded.span(fs, fe);
                            starts.extend(
                                (s..e.min(text.len()))
                                    .filter(|&p| text[p].to_ascii_lowercase() == first),
                            );
                        }
                        starts.sort_unstable();
                        starts.dedup();
                        regex_hits_at(
                            re,
                            *group,
                            *validator,
                            *min_entropy,
                            view,
                            &starts,
                            vk,
                            i,
                            hits,
                        );
                        continue;
                    }
                    if matches!(*reach, Reach::Whole | Reach::Starts) || !same_text {
                        windows.push((0, text.len()));
                    } else {
                        for &(_, fs, fe) in &keyword_hits[from..to] {
                            let (s, e) = if *case_sensitive {
                                src.folded.span(fs, fe)
                            } else {
                                (fs, fe)
                            };
                            // Hits come in order: one on the line already
                            // taken adds nothing (and finding the line again
                            // would read it once per hit).
                            if *reach == Reach::Line
                                && windows.last().is_some_and(|w| w.0 <= s && e <= w.1)
                            {
                                continue;
                            }
                            let w = match *reach {
                                Reach::Bytes(n) => {
                                    // The keyword itself ends `fe - fs`
                                    // bytes after its start. A keyword longer
                                    // than any match leaves no room: none
                                    // contains this occurrence.
                                    let end = s + (fe - fs);
                                    (end.saturating_sub(n), s.saturating_add(n).min(text.len()))
                                }
                                Reach::Squeezed(n) => {
                                    let end = (s + (fe - fs)).min(text.len());
                                    squeezed_window(text, s, end, n)
                                }
                                _ => line_around(text, s, e),
                            };
                            if w.0 < w.1 {
                                windows.push(w);
                            }
                        }
                        merge_ranges(&mut windows);
                    }
                    let label = vk;
                    for &(lo, hi) in &windows {
                        if needs.as_ref().is_some_and(|n| !n.holds(&text[lo..hi])) {
                            continue;
                        }
                        regex_hits(
                            re,
                            run.as_deref(),
                            first.as_deref(),
                            *group,
                            *validator,
                            *min_entropy,
                            *line_start,
                            view,
                            (lo, hi),
                            label,
                            i,
                            hits,
                        );
                    }
                }
            }
            if let Some(gate) = src.local {
                keep_from(hits, first_hit, |h| {
                    views::local_gate(base, gate, h.start, h.end)
                });
            }
        }
    }

    /// Where a match of a regex rule may be in progress at the end of
    /// `src` (a stream's window, cut where the input so far ends): the
    /// least original offset at or after `from` where some rule's match
    /// could begin and still go on past the end, among rules whose matches
    /// may be longer than `margin` (shorter ones fit in the window). A
    /// match that shows nothing until its end (a private key block needs
    /// its `END` line) is found this way while it is still arriving.
    pub fn pending(
        &self,
        mode: Mode,
        src: &Source<'_>,
        from: usize,
        margin: usize,
    ) -> Option<usize> {
        let mut first: Option<usize> = None;
        // Where `from` falls in each view, found once.
        let clean_from = src.clean.region(from, usize::MAX).0;
        let folded_from = src.folded.region(from, usize::MAX).0;
        let mut caches = self.partial_caches.get();
        caches.resize_with(self.long.len(), || None);
        for (&i, cache) in self.long.iter().zip(caches.iter_mut()) {
            let rule = &self.rules[i as usize];
            let Kind::Regex {
                case_sensitive,
                max_len,
                partial: Some(partial),
                ..
            } = &rule.kind
            else {
                continue;
            };
            if !rule.applies(mode) || max_len.is_some_and(|n| n <= margin) {
                continue;
            }
            let (view, vk, a) = if *case_sensitive {
                (&src.clean, src.label, clean_from)
            } else {
                (&src.folded, ViewKind::Folded, folded_from)
            };
            if !(rule.reads(vk) || (vk == ViewKind::Clean && rule.reads(ViewKind::Raw))) {
                continue;
            }
            let text = view.text.as_bytes();
            // Read backwards from the end for as long as the text read is
            // the end of some prefix of a match: the last match state seen
            // is the earliest start. The DFA never gives up (no quit bytes,
            // no cache-clear limit), so a search error cannot happen; were
            // one to, or were the DFA too big to build (a custom regex near
            // the size limit), the whole range is taken as in progress:
            // the stream holds its text and stops at the hold limit (fails
            // closed).
            let start = match partial.dfa() {
                Ok(dfa) => {
                    let cache = cache.get_or_insert_with(|| dfa.create_cache());
                    let input = Input::new(text).range(a..).anchored(Anchored::Yes);
                    match dfa.try_search_rev(cache, &input) {
                        Ok(Some(m)) if m.offset() < text.len() => Some(m.offset()),
                        Ok(_) => None,
                        Err(_) => Some(a),
                    }
                }
                Err(_) => Some(a),
            };
            if let Some(s) = start {
                let (s, _) = view.span(s, text.len());
                first = Some(first.map_or(s, |f| f.min(s)));
            }
        }
        first
    }

    /// Runs the built-in detectors on `ctx`.
    pub fn detect(&self, mode: Mode, ctx: &detectors::Context<'_>, hits: &mut Vec<Hit>) {
        for &d in &self.detectors {
            let rule = &self.rules[d as usize];
            if !rule.applies(mode) {
                continue;
            }
            if let Kind::Detector(det) = &rule.kind {
                for (s, e, view) in det(ctx) {
                    hits.push(Hit {
                        rule: d,
                        start: s,
                        end: e,
                        view,
                    });
                }
            }
        }
    }

    fn scan_folded(
        &self,
        mode: Mode,
        view: &View<'_>,
        label: ViewKind,
        extra: FoldedScan<'_>,
        hits: &mut Vec<Hit>,
    ) {
        let FoldedScan {
            mut keyword_hits,
            mut rot_words,
            marked,
        } = extra;
        let text = view.text.as_bytes();
        let ascii = text.is_ascii();
        let with_keywords = keyword_hits.is_some();
        // Pass one: phrases, and the anchor terms of sequence rules, whose
        // neighbourhoods pass two reads.
        // Per sequence rule, the neighbourhoods of its anchors (a prompt of
        // prose has a few: sized so, not grown from empty): rule, start,
        // end, and the anchor term it was made for while it is the only one
        // and its rule has a probe (`NO_PROBE` otherwise).
        let mut regions: Vec<Region> = Vec::with_capacity(16);
        // Sequence rules whose anchor occurs: the only ones that can match.
        let mut anchored: Vec<u64> = Vec::new();
        // Per rule, the index of its last region in `regions`, once there
        // are more than a few.
        let mut last_region: Vec<u32> = Vec::new();
        let mut on_literal = |owners: &[Pat], ms: usize, me: usize| {
            // A common word is a literal of many rules: its ends are
            // tested once (a repeated phrase has thousands of them).
            let (mut before, mut after) = (None, None);
            for pat in owners {
                if let PatKind::Keyword = pat.kind {
                    if let Some(found) = keyword_hits.as_deref_mut() {
                        found.push((pat.rule, ms, me));
                    }
                    continue;
                }
                if let PatKind::Rot13Word = pat.kind {
                    // Whole words as the local rot13 test reads them: runs
                    // of ASCII letters.
                    if let Some(n) = rot_words.as_deref_mut() {
                        let alpha = |i: usize| text.get(i).is_some_and(u8::is_ascii_alphabetic);
                        if (ms == 0 || !alpha(ms - 1)) && !alpha(me) {
                            *n += 1;
                        }
                    }
                    continue;
                }
                let rule = &self.rules[pat.rule as usize];
                if !rule.applies(mode)
                    || !rule.reads(label)
                    || (pat.left
                        && ms > 0
                        && *before.get_or_insert_with(|| is_word_before(text, ms)))
                    || (pat.right
                        && me < text.len()
                        && *after.get_or_insert_with(|| is_word_after(text, me)))
                {
                    continue;
                }
                match (pat.kind, &rule.kind) {
                    (PatKind::Phrase, _) => {
                        let (s, e) = view.span(ms, me);
                        hits.push(Hit {
                            rule: pat.rule,
                            start: s,
                            end: e,
                            view: label,
                        });
                    }
                    (
                        PatKind::Term(_),
                        Kind::Sequence {
                            before,
                            after,
                            probe,
                            ..
                        },
                    ) => {
                        let (w, b) = (pat.rule as usize / 64, pat.rule % 64);
                        if anchored.len() <= w {
                            anchored.resize(w + 1, 0);
                        }
                        anchored[w] |= 1 << b;
                        let (s, e) = (
                            ms.saturating_sub(*before),
                            me.saturating_add(*after).min(text.len()),
                        );
                        // Anchors come in order of their end, so most
                        // regions overlap their rule's last one: it takes
                        // them in (a repeated phrase gives one per
                        // occurrence and rule). A few regions are searched;
                        // past those, each rule's last is kept by index.
                        let r = pat.rule as usize;
                        let at = if regions.len() < FEW_REGIONS {
                            regions.iter().rposition(|x| x.0 == pat.rule)
                        } else {
                            if last_region.is_empty() {
                                last_region.resize(self.rules.len(), u32::MAX);
                                for (i, x) in regions.iter().enumerate() {
                                    last_region[x.0 as usize] = i as u32;
                                }
                            }
                            Some(last_region[r] as usize)
                        };
                        match at.filter(|&i| regions.get(i).is_some_and(|l| s <= l.2 && e >= l.1)) {
                            Some(i) => {
                                let last = &mut regions[i];
                                (last.1, last.2) = (last.1.min(s), last.2.max(e));
                                last.3 = NO_PROBE;
                            }
                            _ => {
                                if let Some(i) = last_region.get_mut(r) {
                                    *i = regions.len() as u32;
                                }
                                let single = match probe {
                                    Some(_) => (ms as u32, me as u32),
                                    None => NO_PROBE,
                                };
                                regions.push((pat.rule, s, e, single));
                            }
                        }
                    }
                    _ => {}
                }
            }
        };
        // The words DFA reads every byte; the marks DFA only the text
        // around its rare bytes, where that is not most of it (prose: a
        // tenth or less). Where it is (code, logs), and in short texts
        // (whose one chain of look-ups would wait on each), both DFAs read
        // the text side by side.
        let spans = self
            .marks
            .as_ref()
            .filter(|_| text.len() >= SPLIT_FROM)
            .and_then(|m| match marked {
                Some(at) => m.spans_at(text.len(), at),
                None => m.spans_near(text, &self.near),
            });
        match (&self.words, &self.marks, spans) {
            (Some(w), Some(m), None) => w.each_with(m, text, &mut on_literal),
            (w, m, spans) => {
                if let Some(w) = w {
                    w.each_split(text, &mut on_literal);
                }
                match (m, spans) {
                    (Some(m), Some(spans)) => m.each_in(text, &spans, &mut on_literal),
                    (Some(m), None) => m.each_split(text, &mut on_literal),
                    (None, _) => {}
                }
            }
        }
        if !ascii && (self.other_anchors || with_keywords) {
            // Keyword hits not wanted here are dropped by `on_literal`.
            if let Some(other) = &self.other {
                other.each_split(text, &mut on_literal);
            }
        }
        self.probe_anchors(text, &mut regions, &mut anchored);
        if regions.is_empty() {
            return;
        }
        // Each rule's regions, merged in place.
        regions.sort_unstable();
        regions.dedup_by(|next, last| {
            let overlap = next.0 == last.0 && next.1 <= last.2;
            if overlap {
                last.2 = last.2.max(next.2);
            }
            overlap
        });
        let merged = regions;
        // Pass two: the terms around the anchors, of the rules whose anchor
        // occurs, each rule's around its own anchors. Terms of a sequence
        // lie within `before`/`after` of its anchor term, so no match is
        // lost. A common word is a term of many rules: a prompt with an
        // anchor finds a hundred or more (sized so, not grown one by one).
        // Where the ASCII automata read the whole text, terms come in order
        // of their end within each rule, and those that cannot complete a
        // sequence are dropped as they come; otherwise after sorting.
        let ordered = ascii || self.terms_other.is_none();
        // The union of every rule's regions, merged in place.
        let mut union: Vec<(usize, usize)> = merged.iter().map(|m| (m.1, m.2)).collect();
        union.sort_unstable();
        union.dedup_by(|next, last| {
            let overlap = next.0 <= last.1;
            if overlap {
                last.1 = last.1.max(next.1);
            }
            overlap
        });
        let is_anchored = |r: u32| {
            anchored
                .get(r as usize / 64)
                .is_some_and(|w| w >> (r % 64) & 1 == 1)
        };
        // One automaton for every rule over the union of their regions
        // (terms of rules not anchored are dropped).
        let shared = |ac: &Literals<Pat>, terms: &mut TermSink<'_>| {
            for &(lo, hi) in &union {
                ac.each(text, lo, hi, |owners, ms, me| {
                    terms.take(owners, ms, me, is_anchored);
                });
            }
        };
        // Where the rules' regions pile up (a phrase repeated, every
        // anchor's rule reading the whole text), each rule's DFA would
        // read the same bytes again: the shared NFA reads them once.
        let covered: usize = union.iter().map(|u| u.1 - u.0).sum();
        let piled = merged.iter().map(|m| m.2 - m.1).sum::<usize>() > PILE * covered;
        let mut terms = TermSink {
            text,
            room: ordered.then(|| {
                let mut room = vec![0; self.rules.len()];
                for (w, &bits) in anchored.iter().enumerate() {
                    let mut bits = bits;
                    while bits != 0 {
                        room[w * 64 + bits.trailing_zeros() as usize] = 1;
                        bits &= bits - 1;
                    }
                }
                room
            }),
            // Room for a term every other byte read, as a phrase repeated
            // makes them (grown from 128, the list was copied again and
            // again: 3.5% of that text's instructions).
            list: Vec::with_capacity((covered / 2).max(128)),
        };
        match &self.terms_all {
            Some(ac) if piled => shared(ac, &mut terms),
            _ => {
                // Each rule's DFA over its regions, in order; the rules
                // split between two lanes read side by side (a rule's
                // regions all in one lane, which has read fewer bytes).
                let mut lanes: [Vec<literals::Job<'_, Pat>>; 2] = [
                    Vec::with_capacity(merged.len()),
                    Vec::with_capacity(merged.len()),
                ];
                let mut load = [0usize; 2];
                let mut at = 0;
                for group in merged.chunk_by(|a, b| a.0 == b.0) {
                    let r = group[0].0;
                    // Rules come in order, as `seq_terms` holds them.
                    at += self.seq_terms[at..].partition_point(|t| t.rule < r);
                    let Some(SeqTerms { terms: ac, .. }) =
                        self.seq_terms.get(at).filter(|t| t.rule == r)
                    else {
                        continue;
                    };
                    let l = usize::from(load[1] < load[0]);
                    for &(_, lo, hi, _) in group {
                        lanes[l].push((ac, lo, hi));
                        load[l] += hi - lo;
                    }
                }
                literals::each_lanes(text, [&lanes[0], &lanes[1]], |owners, ms, me| {
                    terms.take(owners, ms, me, |_| true);
                });
            }
        }
        // Non-ASCII terms come from another automaton, over every rule's
        // regions: then all are sorted by end, and filtered.
        if !ordered {
            if let Some(ac) = &self.terms_other {
                shared(ac, &mut terms);
            }
            terms.list.sort_unstable_by_key(|t| (t.3, t.2, t.0, t.1));
            reachable(&mut terms.list, self.rules.len());
        }
        self.sequences(view, label, terms.list, hits);
    }

    /// The sequence hits that the `terms` make, which came in order of
    /// their end (then start) within each rule.
    fn sequences(
        &self,
        view: &View<'_>,
        label: ViewKind,
        mut terms: Vec<Term>,
        hits: &mut Vec<Hit>,
    ) {
        if terms.is_empty() {
            return;
        }
        let text = view.text.as_bytes();
        // Sorted by rule, slot, start, end. The terms came in order of end
        // (then start) within each rule: a stable sort by rule and slot
        // keeps that order in each group, which is then the order of start
        // too unless one term of a slot lies inside another; those groups
        // are sorted again. A text of one phrase repeated has tens of
        // thousands of terms of a few rules: those are grouped by counting.
        let slots = self.max_slots;
        if terms.len() > 256 {
            counting_sort(&mut terms, self.rules.len() * slots, |t| {
                t.0 as usize * slots + usize::from(t.1)
            });
        } else {
            terms.sort_by_key(|t| (t.0, t.1));
        }
        for g in terms.chunk_by_mut(|a, b| (a.0, a.1) == (b.0, b.1)) {
            if !g.is_sorted() {
                g.sort_unstable();
            }
        }
        for group in terms.chunk_by(|a, b| a.0 == b.0) {
            let rule = group[0].0;
            let Kind::Sequence { slots, window, .. } = self.rules[rule as usize].kind else {
                continue;
            };
            // Sorted by slot: without a term of the last slot, no first
            // term completes a sequence (a repeated phrase has thousands
            // of first terms of rules whose later slots never occur).
            if group.last().is_none_or(|t| t.1 + 1 < slots) {
                continue;
            }
            // Every first term that completes a sequence gives a hit (not
            // only those after the previous hit's end): which terms start
            // hits must not depend on a chain of hits reaching back to the
            // start of the text, or a stream, which sees windows, would
            // find others. Overlapping hits merge into one finding.
            // Where each slot's search ended for the previous first term:
            // the next one's is usually near.
            let mut hints = [0usize; 256];
            for first in group.iter().filter(|t| t.1 == 0) {
                if let Some(end) = sequence_from(text, group, first, slots, window, &mut hints) {
                    let (s, e) = view.span(first.2 as usize, end);
                    hits.push(Hit {
                        rule,
                        start: s,
                        end: e,
                        view: label,
                    });
                }
            }
        }
    }
}

/// Pass two reads the rules' terms with one shared automaton, not each
/// rule's DFA, where the anchored rules' regions add up to more than this
/// many times the bytes they cover.
const PILE: usize = 5;

/// Pass one finds a rule's last region by searching back through this
/// many regions at most; past them, by index.
const FEW_REGIONS: usize = 8;

/// A sequence term found by pass two: `(rule, slot, start, end)`, in view
/// bytes (a view's offsets fit in 32 bits, as its map's do): 16 bytes, a
/// repeated phrase keeps tens of thousands of them.
type Term = (u32, u8, u32, u32);

/// Pass two's terms as its automata find them, of the rules `take` is
/// told to want, with the word boundaries their ends need.
struct TermSink<'t> {
    text: &'t [u8],
    /// Where terms come in order of their end (`None`: they do not): per
    /// rule, the slots below this one are those a term may fill, one more
    /// than the leading slots with a term so far ([`fill`]); 0 for the
    /// rules `take` does not want (one look-up an owner, not two: a
    /// repeated phrase has a hundred thousand owners).
    room: Option<Vec<u8>>,
    list: Vec<Term>,
}

impl TermSink<'_> {
    /// Takes the terms among `owners` (of one literal, found at `ms..me`)
    /// of the rules that `room` opens or, where terms do not come in
    /// order, that `want` names.
    fn take(&mut self, owners: &[Pat], ms: usize, me: usize, want: impl Fn(u32) -> bool) {
        let text = self.text;
        let list = &mut self.list;
        // A common word is a term of many rules: its ends are tested once.
        let (mut before, mut after) = (None, None);
        let mut bounded = |pat: &Pat| {
            !((pat.left && ms > 0 && *before.get_or_insert_with(|| is_word_before(text, ms)))
                || (pat.right
                    && me < text.len()
                    && *after.get_or_insert_with(|| is_word_after(text, me))))
        };
        // One loop for each kind of sink, not a test of the kind per owner
        // (a repeated phrase has a hundred thousand owners).
        match &mut self.room {
            Some(room) => {
                for pat in owners {
                    let PatKind::Term(slot) = pat.kind else {
                        continue;
                    };
                    let r = &mut room[pat.rule as usize];
                    if slot < *r && bounded(pat) {
                        fill(r, slot);
                        list.push((pat.rule, slot, ms as u32, me as u32));
                    }
                }
            }
            None => {
                for pat in owners {
                    let PatKind::Term(slot) = pat.kind else {
                        continue;
                    };
                    if want(pat.rule) && bounded(pat) {
                        list.push((pat.rule, slot, ms as u32, me as u32));
                    }
                }
            }
        }
    }
}

/// Notes a term of `slot` in its rule's `room` (the slots below it are
/// reachable: one more than the leading slots with a term so far). A
/// slot's term must start after the previous slot's term ends, so one
/// whose slot is not reachable, in order of end, can never complete a
/// sequence: most common words (`all`, `your`, `the`) are dropped so,
/// unchecked.
fn fill(room: &mut u8, slot: u8) {
    if slot + 1 == *room {
        *room += 1;
    }
}

/// Keeps the `terms` (in order of end) that can complete a sequence.
fn reachable(terms: &mut Vec<Term>, rules: usize) {
    let mut room = vec![1; rules];
    terms.retain(|t| {
        let r = &mut room[t.0 as usize];
        let open = t.1 < *r;
        if open {
            fill(r, t.1);
        }
        open
    });
}

/// Sorts `v` stably by `key`, which is below `keys`.
fn counting_sort<T: Copy>(v: &mut Vec<T>, keys: usize, key: impl Fn(&T) -> usize) {
    let mut at = vec![0usize; keys + 1];
    for t in v.iter() {
        at[key(t) + 1] += 1;
    }
    for k in 0..keys {
        at[k + 1] += at[k];
    }
    let mut out = v.clone();
    for t in v.iter() {
        let k = key(t);
        out[at[k]] = *t;
        at[k] += 1;
    }
    *v = out;
}

/// Keeps the hits of `hits[n..]` that pass `keep`, in order (in place:
/// the gated views' hits are filtered on every inspection).
fn keep_from(hits: &mut Vec<Hit>, n: usize, mut keep: impl FnMut(&Hit) -> bool) {
    let mut k = n;
    for i in n..hits.len() {
        if keep(&hits[i]) {
            hits.swap(k, i);
            k += 1;
        }
    }
    hits.truncate(k);
}

/// Completes a sequence that starts with `first`: for each next slot, the
/// earliest term after the previous one, at most `window` words later.
/// Returns the end of the last term.
fn sequence_from(
    text: &[u8],
    terms: &[Term],
    first: &Term,
    slots: u8,
    window: usize,
    hints: &mut [usize; 256],
) -> Option<usize> {
    // `terms` is sorted by (rule, slot, start, end): each step is a search
    // from where the previous first term's ended (a text of one phrase
    // repeated has tens of thousands of terms a rule, and a binary search
    // over them all missed the cache at every probe) plus a walk bounded
    // by the gap, so long inputs stay linear.
    let mut end = first.3;
    let max_gap = max_gap(window);
    for slot in 1..slots {
        let hint = &mut hints[usize::from(slot)];
        let lo = partition_from(terms, *hint, |t| t.1 < slot || (t.1 == slot && t.2 < end));
        *hint = lo;
        let rest = &terms[lo..];
        let k = rest
            .iter()
            .take_while(|t| t.1 == slot && (t.2 - end) as usize <= max_gap)
            .position(|t| words_between(&text[end as usize..t.2 as usize]) <= window)?;
        // Of the terms starting there, take the longest (`instructions`
        // over the stem `instruction*`).
        let next = rest[k];
        end = rest[k..]
            .iter()
            .take_while(|t| t.1 == slot && t.2 == next.2)
            .fold(next.3, |e, t| e.max(t.3));
    }
    Some(end as usize)
}

/// `v.partition_point(pred)` (`pred` holds for a prefix of `v`), found
/// by galloping from `hint` in whichever direction the answer lies:
/// a few probes near `hint` when the answer is near it.
fn partition_from<T>(v: &[T], hint: usize, pred: impl Fn(&T) -> bool) -> usize {
    let n = v.len();
    let h = hint.min(n);
    // The answer lies in `lo..=hi`.
    let (lo, hi) = if h < n && pred(&v[h]) {
        let (mut lo, mut step) = (h + 1, 1);
        let hi = loop {
            let probe = lo + step - 1;
            if probe >= n {
                break n;
            }
            if !pred(&v[probe]) {
                break probe;
            }
            lo = probe + 1;
            step *= 2;
        };
        (lo, hi)
    } else {
        let (mut hi, mut step) = (h, 1);
        let lo = loop {
            if step > hi {
                break 0;
            }
            let probe = hi - step;
            if pred(&v[probe]) {
                break probe + 1;
            }
            hi = probe;
            step *= 2;
        };
        (lo, hi)
    };
    lo + v[lo..hi].partition_point(pred)
}

/// Most bytes between one sequence term and the next: `window` words of
/// ordinary length.
fn max_gap(window: usize) -> usize {
    window * 16 + 2
}

/// The bytes of the words DFA's literals: lowercase letters, the space
/// and the punctuation of ordinary prose.
fn word_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || matches!(b, b' ' | b',' | b'.' | b'\'')
}

/// How rare a byte that is not a [`word_byte`] is in ordinary text: higher
/// is rarer (bytes not listed, rarest of all).
fn mark_rarity(b: u8) -> usize {
    const COMMON_FIRST: &[u8] = b"\n-:\"()10?!2/;3594867_=<>[]+*&#%$|@~";
    COMMON_FIRST
        .iter()
        .position(|&c| c == b)
        .unwrap_or(COMMON_FIRST.len())
}

/// Function words: the most frequent words of English text. Sorted.
const FUNCTION_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "but", "by", "can", "can't", "could", "did", "do",
    "does", "don't", "each", "even", "for", "from", "had", "has", "have", "he", "her", "here",
    "his", "how", "i", "i'm", "if", "in", "into", "is", "it", "it's", "its", "just", "me", "more",
    "most", "my", "no", "not", "now", "of", "on", "one", "only", "or", "other", "our", "out",
    "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will",
    "with", "won't", "would", "you", "you're", "your",
];

/// Frequent English nouns, verbs and adjectives. Sorted.
const COMMON_WORDS: &[&str] = &[
    "above",
    "add",
    "always",
    "answer",
    "area",
    "ask",
    "back",
    "below",
    "best",
    "better",
    "between",
    "book",
    "both",
    "call",
    "case",
    "change",
    "character",
    "child",
    "city",
    "clear",
    "code",
    "come",
    "country",
    "create",
    "data",
    "day",
    "describe",
    "detail",
    "develop",
    "different",
    "document",
    "email",
    "end",
    "every",
    "example",
    "explain",
    "fact",
    "family",
    "few",
    "find",
    "first",
    "follow",
    "game",
    "get",
    "give",
    "go",
    "good",
    "great",
    "group",
    "guide",
    "help",
    "history",
    "home",
    "idea",
    "important",
    "include",
    "information",
    "keep",
    "kind",
    "know",
    "large",
    "last",
    "let",
    "life",
    "like",
    "line",
    "list",
    "little",
    "long",
    "look",
    "make",
    "man",
    "many",
    "may",
    "message",
    "method",
    "might",
    "mode",
    "much",
    "must",
    "name",
    "need",
    "new",
    "next",
    "number",
    "off",
    "old",
    "page",
    "part",
    "people",
    "person",
    "place",
    "plan",
    "point",
    "problem",
    "process",
    "program",
    "provide",
    "put",
    "question",
    "read",
    "reason",
    "research",
    "response",
    "result",
    "right",
    "say",
    "see",
    "set",
    "share",
    "show",
    "small",
    "state",
    "step",
    "steps",
    "still",
    "story",
    "study",
    "system",
    "take",
    "teacher",
    "tell",
    "text",
    "thing",
    "think",
    "time",
    "two",
    "under",
    "use",
    "used",
    "using",
    "want",
    "way",
    "ways",
    "well",
    "word",
    "words",
    "work",
    "world",
    "write",
    "year",
];

/// How often a word shows up in ordinary text: 1000 for function words,
/// 100 for common words or a form of one (`provided`, `writing`,
/// `steps`), 10 for any other (rarer, but seen: a slot of forty unlisted
/// verbs shows up more often than one of ten); single letters count as
/// function words.
fn word_weight(w: &str) -> usize {
    let listed = |f: &str| {
        FUNCTION_WORDS.binary_search(&f).is_ok() || COMMON_WORDS.binary_search(&f).is_ok()
    };
    if w.chars().count() < 2 || FUNCTION_WORDS.binary_search(&w).is_ok() {
        1000
    } else if word_stems(w).any(|f| listed(&f)) {
        100
    } else {
        10
    }
}

/// `w` and what it may be a form of, by its English ending: `writing`
/// (`writ`, `write`), `provided` (`provid`, `provide`), `matches`
/// (`match`), `given` and `steps` (`give`, `step`).
fn word_stems(w: &str) -> impl Iterator<Item = String> + '_ {
    let cut = |n: usize| w.get(..w.len() - n).map(str::to_owned);
    let n = w.chars().count();
    let ing = (n > 5 && w.ends_with("ing")).then(|| (cut(3), cut(3).map(|s| s + "e")));
    let ed = (n > 4 && w.ends_with("ed")).then(|| (cut(2), cut(1)));
    let es = (n > 4 && w.ends_with("es")).then(|| (cut(2), None));
    let one = (n > 3 && (w.ends_with('s') || w.ends_with('n') || w.ends_with('d')))
        .then(|| (cut(1), None));
    std::iter::once(Some(w.to_owned()))
        .chain(
            [ing, ed, es, one]
                .into_iter()
                .flatten()
                .flat_map(|(a, b)| [a, b]),
        )
        .flatten()
}

/// How often a term shows up in ordinary text, on [`word_weight`]'s
/// scale: as often as its rarest word for one word; a phrase is rarer,
/// a hundredth for each word past the first (`is over` is as rare as an
/// unlisted word, `what do i have to` rarer, though all their words are
/// function words).
fn term_weight(t: &str) -> usize {
    let words = t.split(' ');
    let n = words.clone().count();
    let rarest = words.map(word_weight).min().unwrap_or(1000);
    rarest / 100usize.saturating_pow(n.saturating_sub(1) as u32)
}

/// The slot of a sequence whose terms are rarest in ordinary text, only
/// this slot's terms are searched in the whole text. A slot is as common
/// as the sum of its terms' [`term_weight`]s; ties go to the longer
/// shortest term, then the earlier slot. The choice changes what pass
/// two reads, never what matches. On the injection corpus's benign
/// samples, slots so chosen anchor 41% fewer rule scans than slots scored
/// by their rarest word alone, with every phrase as common as that word
/// and unlisted words never seen (3,375 against 5,682; pass two read
/// 446 KB against 761 KB), and pass two reads 30% less of the attacks.
fn anchor_slot(slot_terms: &[Vec<String>]) -> usize {
    let score = |terms: &Vec<String>| {
        let common: usize = terms.iter().map(|t| term_weight(t)).sum();
        let shortest = terms.iter().map(|t| t.chars().count()).min().unwrap_or(0);
        (std::cmp::Reverse(common), shortest)
    };
    (0..slot_terms.len())
        .max_by_key(|&k| (score(&slot_terms[k]), std::cmp::Reverse(k)))
        .unwrap_or(0)
}

/// A neighbourhood of a sequence rule's anchors that pass two reads:
/// rule, start, end, and the anchor term it was made for while it is the
/// only one and its rule has a probe ([`NO_PROBE`] otherwise).
type Region = (u32, usize, usize, (u32, u32));

/// The last field of a [`Region`] not to be probed.
const NO_PROBE: (u32, u32) = (u32::MAX, u32::MAX);

/// A slot next to a sequence rule's anchor slot, read around each anchor
/// term before the rule's region is: a match holds a term of it that
/// starts at most `gap` bytes after the anchor term's end (`forward`) or
/// ends at most `gap` bytes before its start (`sequence_from`), and such
/// a term lies within `reach` bytes of the anchor term.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    slot: u8,
    forward: bool,
    reach: usize,
    gap: usize,
}

impl Probe {
    /// The bytes a probe of anchor term `ms..me` reads, in a text of
    /// `len` bytes.
    fn zone(&self, len: usize, ms: usize, me: usize) -> (usize, usize) {
        if self.forward {
            (me, me.saturating_add(self.reach).min(len))
        } else {
            (ms.saturating_sub(self.reach), ms)
        }
    }

    /// Whether `text` holds a term of the probe's slot (any occurrence of
    /// one: word boundaries and the words between are left to the match)
    /// where a match with anchor term `ms..me` would have it; `terms` are
    /// the rule's.
    fn holds(&self, terms: &SeqTerms, text: &[u8], ms: usize, me: usize) -> bool {
        match &terms.probe {
            Some(search) => self.holds_packed(search, text, ms, me),
            None => self.holds_dfa(&terms.terms, text, ms, me),
        }
    }

    /// [`holds`](Self::holds) by the probe slot's packed searcher: the
    /// leftmost term after the anchor, or, before it, the longest term at
    /// each start from which one can end near enough.
    fn holds_packed(&self, search: &SlotSearch, text: &[u8], ms: usize, me: usize) -> bool {
        let (lo, hi) = self.zone(text.len(), ms, me);
        if self.forward {
            return search
                .searcher
                .find_in(text, aho_corasick::Span::from(lo..hi))
                .is_some_and(|m| m.start() <= me + self.gap);
        }
        // A term that ends `gap` bytes or less before the anchor starts at
        // most its length earlier.
        let mut at = lo.max(ms.saturating_sub(self.gap + search.longest));
        while let Some(m) = search
            .searcher
            .find_in(text, aho_corasick::Span::from(at..hi))
        {
            if m.end() + self.gap >= ms {
                return true;
            }
            at = m.start() + 1;
        }
        false
    }

    /// [`holds`](Self::holds) by the rule's term automaton (where no packed
    /// searcher could be built).
    fn holds_dfa(&self, terms: &Literals<Pat>, text: &[u8], ms: usize, me: usize) -> bool {
        let (lo, hi) = self.zone(text.len(), ms, me);
        let mut found = false;
        terms.each(text, lo, hi, |owners, s, e| {
            found |= owners.iter().any(|o| {
                matches!(o.kind, PatKind::Term(k) if k == self.slot)
                    && if self.forward {
                        s <= me + self.gap
                    } else {
                        e + self.gap >= ms
                    }
            });
        });
        found
    }
}

/// A sequence rule's own ASCII terms: pass two reads them around its
/// anchors, and its probe ([`Probe`]) reads its probe slot's.
#[derive(Debug)]
pub(crate) struct SeqTerms {
    rule: u32,
    /// A DFA of every ASCII term of the rule.
    terms: Literals<Pat>,
    /// The probe slot's terms, where the platform has a packed searcher.
    probe: Option<SlotSearch>,
}

impl SeqTerms {
    #[cfg(any(test, feature = "internal-checks"))]
    fn memory_usage(&self) -> usize {
        self.terms.memory_usage() + self.probe.as_ref().map_or(0, SlotSearch::memory_usage)
    }
}

/// A probe slot's terms in a packed (SIMD) searcher: a probe reads a few
/// dozen bytes, which the rule's DFA read a byte a look-up, each waiting
/// on the last (perf: about a tenth of a benign prompt's time went
/// there).
#[derive(Debug)]
pub(crate) struct SlotSearch {
    searcher: aho_corasick::packed::Searcher,
    /// The longest term's length.
    longest: usize,
}

impl SlotSearch {
    /// `None` where the platform has no packed searcher (not x86-64 or
    /// aarch64) or the terms are too many for one.
    fn new<'a>(terms: impl Iterator<Item = &'a str>) -> Option<SlotSearch> {
        let mut terms: Vec<&str> = terms.collect();
        terms.sort_unstable();
        terms.dedup();
        let longest = terms.iter().map(|t| t.len()).max()?;
        let searcher = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(&terms)
            .build()?;
        Some(SlotSearch { searcher, longest })
    }

    #[cfg(any(test, feature = "internal-checks"))]
    fn memory_usage(&self) -> usize {
        self.searcher.memory_usage()
    }
}

/// The slot next to `anchor` whose terms are rarest ([`term_weight`]),
/// of those whose terms are all ASCII (a rule's term automaton holds only
/// those).
fn probe_slot(slot_terms: &[Vec<String>], anchor: usize) -> Option<usize> {
    let common = |k: usize| slot_terms[k].iter().map(|t| term_weight(t)).sum::<usize>();
    [anchor.checked_sub(1), Some(anchor + 1)]
        .into_iter()
        .flatten()
        .filter(|&k| k < slot_terms.len() && slot_terms[k].iter().all(|t| t.is_ascii()))
        .min_by_key(|&k| common(k))
}

/// Words in a gap of folded text (whitespace is collapsed to single spaces).
fn words_between(gap: &[u8]) -> usize {
    // Most terms of a sequence are a space apart.
    if let [] | [b' '] = gap {
        return 0;
    }
    gap.split(|&b| b == b' ')
        .filter(|w| w.iter().any(|b| b.is_ascii_alphanumeric() || *b >= 0x80))
        .count()
}

/// ASCII digits in `text`, counted 32 bytes at a time (a loop of fixed
/// length the compiler turns into vector compares; a filtered count it
/// does not).
fn count_digits(text: &[u8]) -> usize {
    let digit = |b: u8| u8::from(b.wrapping_sub(b'0') < 10);
    let mut chunks = text.chunks_exact(32);
    let mut n = 0;
    for c in &mut chunks {
        n += usize::from(c.iter().fold(0u8, |k, &b| k + digit(b)));
    }
    n + chunks
        .remainder()
        .iter()
        .map(|&b| usize::from(digit(b)))
        .sum::<usize>()
}

/// The line (between newlines) that holds `text[s..e]`. Vectorised
/// searches: a prompt is often one long line, read whole for every
/// keyword of a line-bound regex.
fn line_around(text: &[u8], s: usize, e: usize) -> (usize, usize) {
    let lo = memchr::memrchr(b'\n', &text[..s]).map_or(0, |i| i + 1);
    let hi = memchr::memchr(b'\n', &text[e..]).map_or(text.len(), |i| e + i);
    (lo, hi)
}

/// Sorts `ranges` and merges those that overlap or touch.
fn merge_ranges(ranges: &mut Vec<(usize, usize)>) {
    ranges.sort_unstable();
    let mut out = 0;
    for i in 0..ranges.len() {
        let (s, e) = ranges[i];
        if out > 0 && s <= ranges[out - 1].1 {
            ranges[out - 1].1 = ranges[out - 1].1.max(e);
        } else {
            ranges[out] = (s, e);
            out += 1;
        }
    }
    ranges.truncate(out);
}

/// Records a match of `rule` at `text[s..e]` of `view` once its validator
/// and entropy floor keep it (a narrowing validator may pick a sub-span).
#[allow(clippy::too_many_arguments)]
fn push_match(
    validator: Option<Validator>,
    min_entropy: Option<f64>,
    view: &View<'_>,
    label: ViewKind,
    rule: u32,
    hits: &mut Vec<Hit>,
    s: usize,
    e: usize,
) {
    let text = view.text.as_ref();
    let (s0, e0) = (floor_char(text, s), ceil_char(text, e));
    let (s, e) = match validator.map(|v| v.apply(text, s0, e0)) {
        None => (s0, e0),
        Some(Some(span)) => span,
        Some(None) => return,
    };
    let m = &text[s..e];
    if let Some(min) = min_entropy {
        if validators::shannon_entropy(m) < min {
            return;
        }
    }
    let (os, oe) = view.span(s, e);
    hits.push(Hit {
        rule,
        start: os,
        end: oe,
        view: label,
    });
}

/// One search of `input`: pushes its match, or with `group` the group's
/// span when it is not empty (`caps` holds the slots), and gives where the
/// match ends, or the group; `None` when nothing matches.
fn search_once(
    re: &Regex,
    group: Option<usize>,
    caps: Option<&mut regex_automata::util::captures::Captures>,
    input: &Input<'_>,
    push: &mut impl FnMut(usize, usize),
) -> Option<usize> {
    match (group, caps) {
        (Some(g), Some(caps)) => {
            re.search_captures(input, caps);
            match caps.get_group(g).filter(|sp| !sp.is_empty()) {
                Some(sp) => {
                    push(sp.start, sp.end);
                    Some(sp.end)
                }
                None => caps.get_match().map(|m| m.end()),
            }
        }
        _ => re.search(input).map(|m| {
            if !m.is_empty() {
                push(m.start(), m.end());
            }
            m.end()
        }),
    }
}

/// [`regex_hits`] for a regex whose every match starts with a keyword
/// (`Reach::Starts`): searched anchored at each of `starts` (ascending,
/// every keyword start among them), as the whole-text search goes on from
/// each match: a start before where it would go on is skipped.
#[allow(clippy::too_many_arguments)]
fn regex_hits_at(
    re: &Regex,
    group: Option<usize>,
    validator: Option<Validator>,
    min_entropy: Option<f64>,
    view: &View<'_>,
    starts: &[usize],
    label: ViewKind,
    rule: u32,
    hits: &mut Vec<Hit>,
) {
    let text = view.text.as_ref();
    let mut push = |s, e| push_match(validator, min_entropy, view, label, rule, hits, s, e);
    let mut caps = group.map(|_| re.create_captures());
    let mut at = 0;
    for &p in starts {
        if p < at {
            continue;
        }
        let input = Input::new(text).range(p..).anchored(Anchored::Yes);
        // Where the whole-text search goes on: after the match, or after
        // its secret (see `regex_hits`). A match is never empty: it
        // starts with a keyword.
        let next = search_once(re, group, caps.as_mut(), &input, &mut push);
        if let Some(next) = next {
            at = next.max(p + 1);
        }
    }
}

/// Runs `re` over `view.text[range]` (look-around sees the whole text).
/// With `line_start` (every match starts at a line start), it searches
/// anchored at each line start instead: the same matches, as
/// `find_iter` finds them, without reading the lines that do not start
/// like one. A regex that is a run of one byte class (`run`) is scanned.
/// With the bytes every match starts with (`first`), searches start at
/// those bytes only, and line starts without one are passed over.
#[allow(clippy::too_many_arguments)]
fn regex_hits(
    re: &Regex,
    run: Option<&regex_facts::ClassRun>,
    first: Option<&regex_facts::FirstBytes>,
    group: Option<usize>,
    validator: Option<Validator>,
    min_entropy: Option<f64>,
    line_start: bool,
    view: &View<'_>,
    range: (usize, usize),
    label: ViewKind,
    rule: u32,
    hits: &mut Vec<Hit>,
) {
    let text = view.text.as_ref();
    let mut push = |s, e| push_match(validator, min_entropy, view, label, rule, hits, s, e);
    if line_start {
        let bytes = text.as_bytes();
        // Capture slots only for a rule that reports a group.
        let mut caps = group.map(|_| re.create_captures());
        let mut at = range.0;
        while at < range.1 {
            let p = if at == 0 || bytes[at - 1] == b'\n' {
                at
            } else {
                match memchr::memchr(b'\n', &bytes[at..range.1]) {
                    Some(i) => at + i + 1,
                    None => break,
                }
            };
            if p >= range.1 {
                break;
            }
            // A line that does not start as a match can (a letter, where
            // a fence of symbols must come first) is not searched.
            if first.is_some_and(|f| !f.contains(bytes[p])) {
                at = p + 1;
                continue;
            }
            let input = Input::new(text).range(p..range.1).anchored(Anchored::Yes);
            // The next search starts where this match ends (one byte on
            // when it is empty or there is none), as in `find_iter`; or
            // where its secret ends (see below).
            let end = search_once(re, group, caps.as_mut(), &input, &mut push);
            at = end.filter(|&e| e > p).unwrap_or(p + 1);
        }
        return;
    }
    let input = || Input::new(text).range(range.0..range.1);
    // Where the next match may start, at or after `at`: with the bytes
    // every match starts with known, the first of them (the lazy DFA
    // then reads none of the window before it, and no window without
    // one: most windows around a common keyword, for a regex that needs
    // a bracket before it).
    let next = |at: usize| match first {
        Some(f) => f.find(text.as_bytes(), at, range.1),
        None => Some(at),
    };
    match (group, run) {
        (None, Some(run)) => run.each(text.as_bytes(), range.0, range.1, push),
        (None, None) if first.is_some() => {
            // `find_iter`'s matches: each search starts where the last
            // match ended, here moved on to a byte a match can start at.
            let mut at = range.0;
            while let Some(p) = next(at) {
                let Some(m) = re.search(&Input::new(text).range(p..range.1)) else {
                    break;
                };
                if !m.is_empty() {
                    push(m.start(), m.end());
                }
                at = if m.end() > p { m.end() } else { p + 1 };
            }
        }
        (None, None) => {
            for m in re.find_iter(input()) {
                if m.is_empty() {
                    continue;
                }
                push(m.start(), m.end());
            }
        }
        // A rule that reports a group (`secret`) reads context around it
        // (`[^A-Za-z0-9]` before an address, a delimiter after it): the
        // next search starts where the secret ends, not the whole match,
        // so the separator after one secret can be the context before the
        // next (`a@x.org b@y.org` holds two addresses, and the second
        // must not depend on the first being there).
        (Some(g), _) => {
            let mut caps = re.create_captures();
            let mut at = range.0;
            while at <= range.1 {
                let Some(p) = next(at) else {
                    break;
                };
                at = p;
                re.search_captures(&Input::new(text).range(at..range.1), &mut caps);
                let Some(m) = caps.get_match() else {
                    break;
                };
                let after = match caps.get_group(g).filter(|sp| !sp.is_empty()) {
                    Some(sp) => {
                        push(sp.start, sp.end);
                        sp.end
                    }
                    None => m.end(),
                };
                at = if after > at { after } else { at + 1 };
            }
        }
    }
}

/// Where a match at most `n` bytes long once its whitespace runs count one
/// byte each (see `Reach::Squeezed`), containing `text[s..end]`, can lie:
/// as far back from `end` and on from `s` as such a length allows. A
/// whitespace run at either edge is taken whole (it adds nothing).
fn squeezed_window(text: &[u8], s: usize, end: usize, n: usize) -> (usize, usize) {
    let mut lo = end;
    let mut left = n;
    while lo > 0 {
        let b = text[lo - 1];
        // A byte of a run already counted (the one after it is a space,
        // and inside the window) costs nothing.
        let free = regex_facts::is_space(b) && lo < end && regex_facts::is_space(text[lo]);
        if !free {
            if left == 0 {
                break;
            }
            left -= 1;
        }
        lo -= 1;
    }
    let mut hi = s;
    let mut left = n;
    while hi < text.len() {
        let b = text[hi];
        let free = regex_facts::is_space(b) && hi > s && regex_facts::is_space(text[hi - 1]);
        if !free {
            if left == 0 {
                break;
            }
            left -= 1;
        }
        hi += 1;
    }
    (lo, hi)
}

/// `i`, moved back to a character boundary of `s`.
pub(crate) fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `i`, moved on to a character boundary of `s` (at most its end).
pub(crate) fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

fn is_word_before(text: &[u8], at: usize) -> bool {
    if let Some(&b) = text[..at].last().filter(|b| b.is_ascii()) {
        return b.is_ascii_alphanumeric();
    }
    let s = floor_char_bytes(text, at);
    std::str::from_utf8(&text[s..at])
        .ok()
        .and_then(|t| t.chars().next_back())
        .is_some_and(|c| c.is_alphanumeric())
}

fn is_word_after(text: &[u8], at: usize) -> bool {
    if let Some(&b) = text.get(at).filter(|b| b.is_ascii()) {
        return b.is_ascii_alphanumeric();
    }
    let e = (at + 4).min(text.len());
    let next = &text[at.min(e)..e];
    let valid = match std::str::from_utf8(next) {
        Ok(s) => s,
        Err(err) => std::str::from_utf8(&next[..err.valid_up_to()]).unwrap_or_default(),
    };
    valid.chars().next().is_some_and(|c| c.is_alphanumeric())
}

fn floor_char_bytes(text: &[u8], at: usize) -> usize {
    let mut s = at.saturating_sub(1);
    while s > 0 && (text[s] & 0xC0) == 0x80 {
        s -= 1;
    }
    s
}

/// Size limits and engines of every compiled regex: no one-pass DFA (the
/// rare matches' capture groups come from the backtracker).
fn regex_config() -> meta::Config {
    meta::Config::new()
        .nfa_size_limit(Some(REGEX_NFA_LIMIT))
        .dfa_size_limit(Some(REGEX_NFA_LIMIT))
        .hybrid_cache_capacity(REGEX_CACHE)
        .onepass(false)
}

/// A reverse lazy DFA for `prefixes` (see [`Engine::pending`]): every
/// match, not just the leftmost-first, so that a reverse search reports the
/// earliest start. Its cache stays small: the search reads only as far back
/// as the text keeps fitting a prefix.
fn partial_dfa(prefixes: &Hir) -> Result<hybrid::dfa::DFA, String> {
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .reverse(true)
                .which_captures(thompson::WhichCaptures::None)
                .nfa_size_limit(Some(REGEX_NFA_LIMIT)),
        )
        .build_from_hir(prefixes)
        .map_err(|e| e.to_string())?;
    hybrid::dfa::DFA::builder()
        .configure(
            hybrid::dfa::DFA::config()
                .match_kind(MatchKind::All)
                .cache_capacity(PARTIAL_CACHE),
        )
        .build_from_nfa(nfa)
        .map_err(|e| e.to_string())
}

/// The regexes `pats` as one set that reports every pattern with a match
/// anywhere ([`MatchSet`]); `None` for none.
fn compile_set(pats: &[String], case_sensitive: bool) -> Result<Option<MatchSet>, Error> {
    if pats.is_empty() {
        return Ok(None);
    }
    MatchSet::new(
        pats,
        syntax_config(case_sensitive),
        REGEX_NFA_LIMIT,
        REGEX_CACHE,
    )
    .map(Some)
    .map_err(|e| Error::rule("<regexes>", format!("cannot build the regex set: {e}")))
}

fn syntax_config(case_sensitive: bool) -> syntax::Config {
    syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(!case_sensitive)
        .nest_limit(64)
}

/// Strips the `*` wildcards of a folded phrase or term and says which ends
/// need a word boundary. A leading or trailing `*` lets the literal sit
/// inside a longer word (`ignor*` matches "ignoring", `*تعليمات` takes
/// attached prefixes). Ends in scripts written without spaces between words
/// (Han, kana, Thai) or with particles attached to words (Hangul) never
/// need a boundary.
fn boundaries(f: &str) -> (&str, bool, bool) {
    let open_left = f.starts_with('*');
    let open_right = f.len() > 1 && f.ends_with('*');
    let f = f.trim_start_matches('*').trim_end_matches('*');
    let needs = |c: char| c.is_alphanumeric() && !unspaced(c);
    let left = !open_left && f.chars().next().is_some_and(needs);
    let right = !open_right && f.chars().last().is_some_and(needs);
    (f, left, right)
}

/// Letters of scripts whose words are not separated by spaces, or carry
/// attached particles: Thai, Lao, Myanmar, Khmer, Hangul, kana, CJK.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Folds a rule's phrase or keyword the way the folded view folds input.
pub(crate) fn fold_str(s: &str) -> String {
    let raw = View::identity(ViewKind::Raw, s);
    views::fold(&raw, ViewKind::Folded, usize::MAX)
        .0
        .text
        .into_owned()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
}

/// The letters and digits of `s`, as the squashed view keeps them.
fn alphanumerics(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(s.chars().filter(|c| c.is_alphanumeric()));
    out
}

/// Expands `{a|b|}` alternatives in a phrase template.
pub(crate) fn expand(template: &str) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or("`{` without `}`")? + open;
        let alts: Vec<&str> = rest[open + 1..close].split('|').collect();
        if rest[open + 1..close].contains('{') {
            return Err("nested `{` is not supported".into());
        }
        let lit = &rest[..open];
        if lit.contains('}') {
            return Err("`}` without `{`".into());
        }
        let mut next = Vec::with_capacity(out.len() * alts.len());
        for o in &out {
            for a in &alts {
                next.push([o.as_str(), lit, a].concat());
            }
        }
        if next.len() > MAX_EXPANSIONS {
            return Err(format!("expands to more than {MAX_EXPANSIONS} phrases"));
        }
        out = next;
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err("`}` without `{`".into());
    }
    for o in &mut out {
        o.push_str(rest);
        // Collapse the double spaces empty alternatives leave.
        // Most have none: those are kept as they are.
        let single = o.is_ascii()
            && !o.starts_with(' ')
            && !o.ends_with(' ')
            && !o.contains("  ")
            && !o
                .bytes()
                .any(|b| b != b' ' && char::from(b).is_whitespace());
        if !single {
            *o = o.split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default policy's regex rules whose kind `pick` takes, each
    /// with its regex and the text it reads of `text` (`folded`, the
    /// text folded, for a case-insensitive rule).
    fn regex_rules<'a>(
        e: &'a Engine,
        pick: impl Fn(&Kind) -> bool,
        text: &'a str,
        folded: &'a str,
    ) -> Vec<(u32, &'a Kind, &'a str)> {
        (0..e.rules.len() as u32)
            .map(|i| (i, &e.rules[i as usize].kind))
            .filter(|&(_, k)| pick(k))
            .map(|(i, k)| match k {
                Kind::Regex {
                    case_sensitive: true,
                    ..
                } => (i, k, text),
                _ => (i, k, folded),
            })
            .collect()
    }

    #[test]
    fn default_automata_stay_small() {
        let g = crate::Guard::default();
        let e = g.engine();
        let folded = [&e.words, &e.marks, &e.other, &e.terms_all, &e.terms_other]
            .iter()
            .map(|a| a.as_ref().map_or(0, Literals::memory_usage))
            .sum::<usize>()
            + e.seq_terms
                .iter()
                .map(SeqTerms::memory_usage)
                .sum::<usize>();
        let squashed = e.squashed_ac.as_ref().map_or(0, Literals::memory_usage);
        // The guard's budget is 16 MB; the automata are most of it.
        assert!(
            folded + squashed < 12 << 20,
            "folded {folded} + squashed {squashed} bytes"
        );
    }

    /// Streams read the partial DFAs built on first use: every rule of
    /// the default policy (with the smallest margin, so every regex that
    /// could outgrow one) has one that builds.
    #[test]
    fn partial_dfas_build() {
        let p = crate::Policy::from_toml("[limits]\nmax_match_bytes = 64\n").unwrap();
        let g = crate::Guard::new(&p).unwrap();
        let e = g.engine();
        assert!(e.long.len() >= 40, "{} long rules", e.long.len());
        for &i in &e.long {
            let rule = &e.rules[i as usize];
            let Kind::Regex {
                partial: Some(p), ..
            } = &rule.kind
            else {
                panic!("rule {i} listed as long has no partial");
            };
            if let Err(err) = p.dfa() {
                panic!("rule {i}: {err}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 1000,
            ..Default::default()
        })]
        /// Expanded phrases have their whitespace collapsed, as
        /// `split_whitespace` and `join(" ")` leave it (those already
        /// collapsed are kept without being rebuilt).
        #[test]
        fn expanded_phrases_are_collapsed(
            template in r"([ab ]|\t|\x0B|\u{3000}|\{[ab ]{0,2}\|[ab \t]{0,2}\}){0,8}"
        ) {
            for p in expand(&template).unwrap() {
                let collapsed = p.split_whitespace().collect::<Vec<_>>().join(" ");
                proptest::prop_assert_eq!(&p, &collapsed);
            }
        }

        /// A regex whose every match starts a line is searched anchored at
        /// each line start (those whose byte can start a match): the same
        /// hits as `find_iter`, in any range.
        #[test]
        fn line_start_search_agrees_with_find_iter(
            text in r"([ \t]|[=#%*<>-]{1,3}|END|end|begin|stop|system|user|assistant|[:\[\]]|[a-z]{1,4}|\n|\r\n){0,40}",
            cut in (0usize..24, 0usize..16),
        ) {
            static GUARD: std::sync::LazyLock<crate::Guard> =
                std::sync::LazyLock::new(crate::Guard::default);
            let e = GUARD.engine();
            let folded = fold_str(&text);
            let anchored = regex_rules(e, |k| matches!(k, Kind::Regex { line_start: true, .. }), &text, &folded);
            proptest::prop_assert!(anchored.len() >= 3, "{} line-start regexes", anchored.len());
            for &(i, kind, t) in &anchored {
                let Kind::Regex { re, group, validator, min_entropy, first, .. } = kind else {
                    unreachable!()
                };
                let view = View::identity(ViewKind::Clean, t);
                // From the start of line `cut.0` (windows start at line
                // starts) or a byte `cut.0 - 8` in, to `cut.1` bytes from
                // the end.
                let lo = if cut.0 < 8 {
                    t.match_indices('\n').nth(cut.0).map_or(0, |(i, _)| i + 1)
                } else {
                    (cut.0 - 8).min(t.len())
                };
                let hi = t.len().saturating_sub(cut.1);
                if lo > hi || !t.is_char_boundary(lo) || !t.is_char_boundary(hi) {
                    continue;
                }
                let run = |line_start, first| {
                    let mut hits = Vec::new();
                    regex_hits(re, None, first, *group, *validator, *min_entropy, line_start, &view, (lo, hi), ViewKind::Clean, i, &mut hits);
                    hits.iter().map(|h| (h.start, h.end)).collect::<Vec<_>>()
                };
                let all = run(false, None);
                proptest::prop_assert_eq!(run(true, None), all.clone(), "{} on {:?}", e.rules[i as usize].id, t);
                proptest::prop_assert_eq!(run(true, first.as_deref()), all, "{} on {:?}", e.rules[i as usize].id, t);
            }
        }

        /// A regex whose matches all start with one of a few bytes is
        /// searched from those bytes on: the same hits as searched from
        /// the window's start, in any window.
        #[test]
        fn first_byte_search_agrees_with_find_iter(
            text in r#"([\[\]{}<>()]|insert|your|put|prompt|question|here|the|api|key|token|secret|password|sk-|ghp_|AKIA|xox[bp]-|=|:|"|'|@|\.|/|[a-z0-9]{1,6}|[A-Za-z0-9]{8,24}|[ \t]|\n){0,48}"#,
            cut in (0usize..64, 0usize..64),
        ) {
            static GUARD: std::sync::LazyLock<crate::Guard> =
                std::sync::LazyLock::new(crate::Guard::default);
            let e = GUARD.engine();
            let folded = fold_str(&text);
            let known = regex_rules(
                e,
                |k| matches!(k, Kind::Regex { first: Some(_), line_start: false, run: None, .. }),
                &text,
                &folded,
            );
            proptest::prop_assert!(known.len() >= 40, "{} regexes with first bytes", known.len());
            for &(i, kind, t) in &known {
                let Kind::Regex { re, group, validator, min_entropy, first, .. } = kind else {
                    unreachable!()
                };
                let view = View::identity(ViewKind::Clean, t);
                let (lo, hi) = (cut.0.min(t.len()), t.len().saturating_sub(cut.1));
                if lo > hi || !t.is_char_boundary(lo) || !t.is_char_boundary(hi) {
                    continue;
                }
                let run = |first| {
                    let mut hits = Vec::new();
                    regex_hits(re, None, first, *group, *validator, *min_entropy, false, &view, (lo, hi), ViewKind::Clean, i, &mut hits);
                    hits.iter().map(|h| (h.start, h.end)).collect::<Vec<_>>()
                };
                proptest::prop_assert_eq!(run(first.as_deref()), run(None), "{} on {:?}", e.rules[i as usize].id, t);
            }
        }

        /// Pass two reads each rule's terms only around that rule's own
        /// anchors: the sequence hits are those its terms make anywhere in
        /// the text (every term of every sequence rule, read over the
        /// whole text, through the same assembly), on texts made of the
        /// default packs' sequences (whole, with a slot left out, or with
        /// words between their terms), single terms, other words and
        /// punctuation.
        #[test]
        fn sequences_read_around_anchors_are_the_whole_texts(
            picks in proptest::collection::vec(
                (0u8..6, 0usize..10_000, proptest::prelude::any::<u64>(), 0usize..8),
                0..24,
            )
        ) {
            const OTHER: [&str; 8] = ["weather", "report", "x", "café", "42", "the", "and", "please"];
            const SEPS: [&str; 8] = [" ", " ", " ", ", ", ". ", "\n", " the ", "-"];
            let mut text = String::new();
            for &(kind, r, mut bits, sep) in &picks {
                let seq = &SEQS[r % SEQS.len()].slots;
                let mut take = |n: usize| {
                    let k = (bits % n as u64) as usize;
                    bits /= n as u64;
                    k
                };
                match kind {
                    0..=2 => {
                        let skip = if kind == 1 { take(seq.len()) } else { usize::MAX };
                        for (k, slot) in seq.iter().enumerate() {
                            if k != skip {
                                text.push_str(&slot[take(slot.len())]);
                                text.push_str(if kind == 2 { " and the " } else { " " });
                            }
                        }
                    }
                    3 => text.push_str(&seq[take(seq.len())][0]),
                    _ => text.push_str(OTHER[take(OTHER.len())]),
                }
                text.push_str(SEPS[sep]);
            }
            let [got, want] = sequence_hits(&text);
            proptest::prop_assert_eq!(got, want, "{:?}", text);
        }

        /// The always-run sets say a pattern matches exactly when its own
        /// regex finds a match: the gate never skips a regex with one.
        #[test]
        fn always_sets_agree_with_each_regex(
            text in "([0-9]{1,6}|[A-Za-z]{1,4}|[ .\\-/_+()\n]|bc1|ES|GB|[MNO][a-z0-9]{24}\\.){0,40}"
        ) {
            static GUARD: std::sync::LazyLock<crate::Guard> =
                std::sync::LazyLock::new(crate::Guard::default);
            let e = GUARD.engine();
            let folded = fold_str(&text);
            for &i in &e.always {
                let (Kind::Regex { re, case_sensitive, .. }, Some(p)) =
                    (&e.rules[i as usize].kind, e.always_pattern[i as usize])
                else {
                    panic!("always-run rule {i} is not in a set");
                };
                let t = if *case_sensitive { text.as_str() } else { folded.as_str() };
                let set = e.always_sets[usize::from(*case_sensitive)].as_ref().unwrap();
                let found = set.which(t.as_bytes());
                proptest::prop_assert_eq!(
                    found.contains(PatternID::must(p as usize)),
                    re.is_match(t),
                    "{} on {:?}",
                    e.rules[i as usize].id,
                    t
                );
            }
        }
    }

    /// A sequence rule of the default packs: its window and its slots'
    /// terms.
    struct SeqRule {
        id: String,
        window: usize,
        slots: Vec<Vec<String>>,
    }

    /// The default packs' sequence rules.
    static SEQS: std::sync::LazyLock<Vec<SeqRule>> = std::sync::LazyLock::new(|| {
        crate::packs::BUILTIN
            .iter()
            .flat_map(|p| {
                let v: toml::Value = toml::from_str(p.source).unwrap();
                v["rules"].as_array().unwrap().clone()
            })
            .filter_map(|r| {
                let slots = r.get("sequence")?.as_array()?;
                Some(SeqRule {
                    id: r.get("id")?.as_str()?.to_string(),
                    window: r
                        .get("window")
                        .and_then(toml::Value::as_integer)
                        .map_or(3, |w| w as usize),
                    slots: slots
                        .iter()
                        .map(|slot| {
                            slot.as_str()
                                .unwrap()
                                .split('|')
                                .map(|t| t.trim_matches('*').to_string())
                                .collect()
                        })
                        .collect(),
                })
            })
            .collect()
    });

    /// The default guard's sequence hits on `text` (folded), as
    /// `(rule, start, end)`: as pass two finds them (each rule's terms
    /// around its own anchors), and as every term of every sequence rule,
    /// read over the whole text, gives them through the same assembly.
    fn sequence_hits(text: &str) -> [Vec<(u32, usize, usize)>; 2] {
        static GUARD: std::sync::LazyLock<crate::Guard> =
            std::sync::LazyLock::new(crate::Guard::default);
        let e = GUARD.engine();
        let folded = fold_str(text);
        let view = View::identity(ViewKind::Folded, &folded);
        let mut got = Vec::new();
        e.scan_folded(
            Mode::Prompt,
            &view,
            ViewKind::Folded,
            FoldedScan::default(),
            &mut got,
        );
        got.retain(|h| matches!(e.rules[h.rule as usize].kind, Kind::Sequence { .. }));
        let t = folded.as_bytes();
        let mut terms = TermSink {
            text: t,
            room: None,
            list: Vec::new(),
        };
        let wanted = |r: u32| {
            let rule = &e.rules[r as usize];
            rule.applies(Mode::Prompt) && rule.reads(ViewKind::Folded)
        };
        let mut push = |owners: &[Pat], ms: usize, me: usize| terms.take(owners, ms, me, wanted);
        for st in &e.seq_terms {
            st.terms.each(t, 0, t.len(), &mut push);
        }
        if let Some(ac) = &e.terms_other {
            ac.each(t, 0, t.len(), &mut push);
        }
        terms.list.sort_unstable_by_key(|t| (t.3, t.2, t.0, t.1));
        reachable(&mut terms.list, e.rules.len());
        let mut want = Vec::new();
        e.sequences(&view, ViewKind::Folded, terms.list, &mut want);
        let key = |h: &Hit| (h.rule, h.start, h.end);
        let mut got: Vec<_> = got.iter().map(key).collect();
        let mut want: Vec<_> = want.iter().map(key).collect();
        got.sort_unstable();
        want.sort_unstable();
        [got, want]
    }

    /// Each rule's sequence written out (the first term of every slot, in
    /// a sentence) gives the same hits both ways, and most are hits.
    #[test]
    fn written_out_sequences_read_around_anchors() {
        let mut hit = 0;
        for seq in SEQS.iter().map(|r| &r.slots) {
            let words: Vec<&str> = seq.iter().map(|slot| slot[0].as_str()).collect();
            let text = format!("Note: {}.", words.join(" "));
            let [got, want] = sequence_hits(&text);
            assert_eq!(got, want, "{text:?}");
            hit += usize::from(!want.is_empty());
        }
        assert!(
            hit * 4 > SEQS.len() * 3,
            "{hit} of {} sequences hit",
            SEQS.len()
        );
        // All in one text, far apart: many regions, few overlapping (each
        // rule's DFA reads its own).
        let far = " The weather report for the coming week was published on time. ";
        let text: String = SEQS
            .iter()
            .map(|r| {
                let words: Vec<&str> = r.slots.iter().map(|slot| slot[0].as_str()).collect();
                format!("Note: {}.{}", words.join(" "), far.repeat(4))
            })
            .collect();
        let [got, want] = sequence_hits(&text);
        assert_eq!(got, want);
        assert!(got.len() >= hit);
        // Repeated: hundreds of regions.
        let [got, want] = sequence_hits(&text.repeat(6));
        assert_eq!(got, want);
        assert!(got.len() >= 6 * hit);
    }

    /// Each rule's sequence with the longest term of every slot and the
    /// widest gap `sequence_from` allows between them (`window` words,
    /// `max_gap` bytes): pass two's regions around the anchor still hold
    /// every term, as the whole-text reading finds them.
    #[test]
    fn widest_sequences_read_around_anchors() {
        let mut hit = 0;
        for SeqRule { window, slots, .. } in SEQS.iter() {
            // `window` words of `q` filling `max_gap` bytes with the
            // spaces on either side.
            let gap = match *window {
                0 => " ".to_string(),
                w => {
                    let letters = max_gap(w) - w - 1;
                    let mut words = vec!["q".repeat(letters / w); w];
                    words[0].push_str(&"q".repeat(letters % w));
                    format!(" {} ", words.join(" "))
                }
            };
            let terms: Vec<&str> = slots
                .iter()
                .map(|slot| {
                    let longest = slot.iter().map(|t| fold_str(t).len()).max().unwrap();
                    slot.iter()
                        .find(|t| fold_str(t).len() == longest)
                        .unwrap()
                        .as_str()
                })
                .collect();
            let text = format!("Note: {}.", terms.join(&gap));
            let [got, want] = sequence_hits(&text);
            assert_eq!(got, want, "{text:?}");
            hit += usize::from(!want.is_empty());
        }
        // Most are hits (a term's own boundaries may rule some out).
        assert!(
            hit * 2 > SEQS.len(),
            "{hit} of {} sequences hit",
            SEQS.len()
        );
    }

    /// Each sequence rule's probe finds a term of its slot where the
    /// widest match would have it (`max_gap` bytes from the anchor term,
    /// the slot's longest term), and not a byte farther.
    #[test]
    fn probes_reach_as_far_as_a_match() {
        static GUARD: std::sync::LazyLock<crate::Guard> =
            std::sync::LazyLock::new(crate::Guard::default);
        let e = GUARD.engine();
        let mut probed = 0;
        for seq in SEQS.iter() {
            let Some(r) = e.rules.iter().position(|x| x.id == seq.id) else {
                continue;
            };
            let Kind::Sequence { probe: Some(p), .. } = &e.rules[r].kind else {
                continue;
            };
            let slot = usize::from(p.slot);
            let anchor = if p.forward { slot - 1 } else { slot + 1 };
            let longest = |k: usize| {
                seq.slots[k]
                    .iter()
                    .map(|t| fold_str(t))
                    .max_by_key(String::len)
                    .unwrap()
            };
            let (a, t) = (longest(anchor), longest(slot));
            let terms = e.terms_of(r as u32).unwrap();
            for extra in [0, 1] {
                // `gap` bytes: spaces around words of `q`.
                let gap = max_gap(seq.window) + extra;
                let fill = format!(" {} ", "q".repeat(gap - 2));
                let text = match p.forward {
                    true => format!("{a}{fill}{t}"),
                    false => format!("{t}{fill}{a}"),
                };
                let ms = if p.forward { 0 } else { t.len() + gap };
                let me = ms + a.len();
                assert_eq!(
                    p.holds(terms, text.as_bytes(), ms, me),
                    extra == 0,
                    "{} on {text:?}",
                    seq.id
                );
            }
            // The anchor alone, with the zone's bytes after or before it.
            let fill = "q ".repeat(p.reach);
            let text = match p.forward {
                true => format!("{a} {fill}"),
                false => format!("{fill}{a}"),
            };
            let ms = if p.forward { 0 } else { fill.len() };
            assert!(
                !p.holds(terms, text.as_bytes(), ms, ms + a.len()),
                "{}",
                seq.id
            );
            probed += 1;
        }
        // Most sequence rules have a probe.
        assert!(probed * 2 > SEQS.len(), "{probed} of {}", SEQS.len());
    }

    /// A backward probe reads every start: the longest term at one start
    /// may end too early where a term starting inside it ends in reach.
    #[test]
    fn backward_probes_read_overlapping_terms() {
        let pat = Pat {
            rule: 0,
            kind: PatKind::Term(0),
            left: false,
            right: false,
            anchor: false,
        };
        let terms = ["ab", "bcd"];
        let search = SlotSearch::new(terms.into_iter()).unwrap();
        let dfa = Literals::build(terms.iter().map(|t| (t.to_string(), pat)).collect(), true)
            .unwrap()
            .unwrap();
        let p = Probe {
            slot: 0,
            forward: false,
            reach: 16,
            gap: 2,
        };
        // `bcd` ends one byte before the anchor `x`, in reach; `ab`, where
        // the search starts, three (out of reach).
        for (text, ms, want) in [("abcd x", 5, true), ("abce x", 5, false)] {
            let t = text.as_bytes();
            assert_eq!(p.holds_packed(&search, t, ms, ms + 1), want, "{text}");
            assert_eq!(p.holds_dfa(&dfa, t, ms, ms + 1), want, "{text}");
        }
    }

    proptest::proptest! {
        /// Galloping from a hint finds what a binary search finds.
        #[test]
        fn partition_from_is_partition_point(
            mut v in proptest::collection::vec(0u16..200, 0..300),
            key in 0u16..210,
            hint in 0usize..320,
        ) {
            v.sort_unstable();
            proptest::prop_assert_eq!(
                partition_from(&v, hint, |&x| x < key),
                v.partition_point(|&x| x < key)
            );
        }

        /// A probe by the packed searcher answers as the rule's DFA does,
        /// for any anchor span in text of the rule's terms and fillers.
        #[test]
        fn packed_probes_answer_as_the_dfa(
            seq in 0usize..1000,
            before in proptest::collection::vec((0usize..64, 0usize..6, 0usize..80), 0..8),
            after in proptest::collection::vec((0usize..64, 0usize..6, 0usize..80), 0..8),
            anchor in 0usize..64,
        ) {
            static GUARD: std::sync::LazyLock<crate::Guard> =
                std::sync::LazyLock::new(crate::Guard::default);
            let e = GUARD.engine();
            let probed: Vec<(usize, &SeqRule)> = SEQS
                .iter()
                .filter_map(|q| Some((e.rules.iter().position(|x| x.id == q.id)?, q)))
                .filter(|(r, _)| matches!(e.rules[*r].kind, Kind::Sequence { probe: Some(_), .. }))
                .collect();
            let (r, q) = probed[seq % probed.len()];
            let Kind::Sequence { probe: Some(p), .. } = &e.rules[r].kind else { unreachable!() };
            let terms = e.terms_of(r as u32).unwrap();
            let search = terms.probe.as_ref();
            if cfg!(target_arch = "x86_64") {
                proptest::prop_assert!(search.is_some(), "{} has no packed probe", q.id);
            }
            let Some(search) = search else { return Ok(()) };
            // The rule's ASCII terms (a probe slot's are all ASCII).
            let words: Vec<String> = q
                .slots
                .iter()
                .flatten()
                .map(|t| fold_str(t))
                .filter(|t| t.is_ascii())
                .collect();
            // Terms, their halves and fillers of any length up to past the
            // probe's gap, joined by a space or not (terms that overlap).
            let piece = |text: &mut String, &(w, kind, fill): &(usize, usize, usize)| {
                let w = &words[w % words.len()];
                match kind {
                    0 | 1 => text.push_str(w),
                    2 => text.push_str(&w[..w.len() / 2]),
                    3 => text.push_str(&w[w.len() / 2..]),
                    _ => text.push_str(&"q".repeat(fill % (p.gap + 4))),
                }
                if kind != 1 {
                    text.push(' ');
                }
            };
            let mut text = String::new();
            before.iter().for_each(|x| piece(&mut text, x));
            let ms = text.len();
            text.push_str(&words[anchor % words.len()]);
            let me = text.len();
            text.push(' ');
            after.iter().for_each(|x| piece(&mut text, x));
            let t = text.as_bytes();
            proptest::prop_assert_eq!(
                p.holds_packed(search, t, ms, me),
                p.holds_dfa(&terms.terms, t, ms, me),
                "{} at {}..{} of {:?}", q.id, ms, me, text
            );
        }

        /// The counting sort is the standard library's stable sort.
        #[test]
        fn counting_sort_is_a_stable_sort(v in proptest::collection::vec((0u8..6, 0u16..1000), 0..300)) {
            let mut want = v.clone();
            want.sort_by_key(|t| t.0);
            let mut got = v;
            counting_sort(&mut got, 6, |t| usize::from(t.0));
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn counts_digits() {
        let text: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let want = text.iter().filter(|b| b.is_ascii_digit()).count();
        for n in [0, 1, 31, 32, 33, 64, 999, 1000] {
            let want = text[..n].iter().filter(|b| b.is_ascii_digit()).count();
            assert_eq!(count_digits(&text[..n]), want, "{n}");
        }
        assert_eq!(count_digits(&text), want);
    }

    #[test]
    fn anchors_are_the_rarest_slots() {
        let slots = |s: &[&[&str]]| -> Vec<Vec<String>> {
            s.iter()
                .map(|t| t.iter().map(|w| w.to_string()).collect())
                .collect()
        };
        // Forms of common words are common: `given` and `provided` as
        // `give` and `provide`, `answers` as `answer`.
        assert_eq!(word_weight("given"), 100);
        assert_eq!(word_weight("provided"), 100);
        assert_eq!(word_weight("writing"), 100);
        assert_eq!(word_weight("answers"), 100);
        assert_eq!(word_weight("snippet"), 10);
        assert_eq!(word_weight("the"), 1000);
        // Phrases are rarer than their words, even of function words.
        assert_eq!(term_weight("is over"), 10);
        assert_eq!(term_weight("what do i have to"), 0);
        assert_eq!(
            anchor_slot(&slots(&[
                &["never", "not"],
                &["say", "use"],
                &["i can't", "i cannot"]
            ])),
            2
        );
        // Three code words against common forms.
        assert_eq!(
            anchor_slot(&slots(&[
                &["following", "given", "provided"],
                &["code", "snippet", "script"]
            ])),
            1
        );
        // Many unlisted words against a few common ones.
        let many: Vec<String> = (0..40).map(|i| format!("verb{i}")).collect();
        let few = vec!["result".to_string(), "answer".to_string()];
        assert_eq!(anchor_slot(&[many, few]), 1);
        // Words that end no English way (or are not English): no stem,
        // and no panic cutting one.
        assert_eq!(word_weight("é"), 1000);
        assert_eq!(word_weight("éd"), 10);
        assert_eq!(word_weight("résumés"), 10);
        assert_eq!(word_weight("тексты"), 10);
    }

    #[test]
    fn common_words_sorted() {
        assert!(FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(COMMON_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn alphanumerics_keep_letters_and_digits() {
        assert_eq!(alphanumerics("ig-nore_all 42!\t"), "ignoreall42");
        assert_eq!(alphanumerics("Ünï-code ß, 中文 ١٢!"), "Ünïcodeß中文١٢");
        assert_eq!(alphanumerics(" -_"), "");
    }

    #[test]
    fn expands_templates() {
        let v = expand("{ignore|disregard} {all |}previous").unwrap();
        assert_eq!(
            v,
            [
                "ignore all previous",
                "ignore previous",
                "disregard all previous",
                "disregard previous"
            ]
        );
        assert!(expand("{a").is_err());
        assert!(expand("a}").is_err());
    }

    #[test]
    fn wildcards_and_unspaced_scripts() {
        assert_eq!(boundaries("ignor*"), ("ignor", true, false));
        assert_eq!(boundaries("*tion"), ("tion", false, true));
        assert_eq!(boundaries("ignore"), ("ignore", true, true));
        assert_eq!(boundaries("忽略"), ("忽略", false, false));
        assert_eq!(boundaries("지시"), ("지시", false, false));
        assert_eq!(boundaries("<|im_start|>"), ("<|im_start|>", false, false));
    }

    #[test]
    fn ids() {
        assert!(valid_id("injection.override.ignore-previous"));
        assert!(!valid_id("Injection"));
        assert!(!valid_id("a..b"));
    }
}
