//! Streaming inspection: a response inspected as it arrives, released in
//! pieces that are already redacted, with a bounded holdback.
//!
//! # How it works
//!
//! Let `L` be the stream margin: the policy's `limits.max_match_bytes`, or
//! more if four times the longest rule phrase is more, or the reach of a
//! detector (the text past a hit's start that decides it: 768 bytes for
//! the adversarial-suffix detector). The stream commits the text in zones
//! of `L` bytes. A zone is inspected as part of a window
//! that reaches `max(L, 1152)` bytes before it (left context: rules read
//! up to 1 KiB before a match, such as a secret's cue words) and `L + 96`
//! bytes after it (so any finding of at most `L` bytes that starts in the
//! zone ends inside the window, clear of its last 96 bytes); only hits
//! that start in the zone are taken. Memory stays O(`L`).
//!
//! Every rule decides from text near its match: the adversarial-suffix
//! detector's windows from their own tokens and the 256 bytes around them;
//! the gated views (squashed, despaced, deleet) count a hit only where
//! their whole-text test also passes on the hit's own text, the rot13 view
//! only where the text just before the hit reads as rot13 (which implies
//! the view is read), sequence hits do not chain from the start of the
//! text, and detector runs are merged like any other hits.
//!
//! Hits go through the same merge as one-shot inspection (one finding per
//! rule and overlapping span); a merged hit becomes a finding once no later
//! hit can extend it. Text is released up to the committed point, but never
//! past the start of a hit that may still grow or of a redaction that is
//! not complete, and always on a character boundary, so the released pieces
//! concatenate to exactly the one-shot [`Verdict::redacted`] text, and the
//! findings are exactly the one-shot findings, for every chunking, as long
//! as no finding is longer than `L` and no limit is hit.
//!
//! # Findings longer than the margin
//!
//! A hit that starts in the zone and reaches the last 96 bytes of its
//! window may go on: the window grows (its right context doubles) and is
//! inspected again when the input reaches its new end. A merged hit keeps
//! growing while overlapping hits come. Both hold text back, up to 16
//! margins (64 KiB by default); past that the stream reports a
//! `limits.stream_hold` finding, cuts the finding where it stands and
//! stops releasing text (fails closed, whatever the `limits` action). So
//! long findings whose beginning already matches (a run of hidden
//! characters, a long token, a long URL) are found and redacted as in
//! one-shot inspection.
//!
//! A regex match that shows nothing until its end is seen (a private key
//! block, which needs its `END` line; a secret assignment padded with
//! kilobytes of blank space) is held the same way: each window also asks
//! whether the text from some point of its zone to its end is how a match
//! of a regex that may be longer than the margin begins (a reverse DFA of
//! every prefix of its matches, `Engine::pending`), and if so grows. Such a
//! match is found and redacted as in one-shot inspection when it ends
//! within the hold limit; past the limit the stream stops before releasing
//! its beginning. (The prefix test is exact up to assertions, so ordinary
//! text does not hold: on the labelled corpora every stream released what
//! one-shot inspection did.) Phrase and sequence rules, whose matches fit
//! in the margin, need no such test.
//!
//! Decisions that depend on the whole text (scores, the action) are
//! recomputed as findings arrive: as soon as the findings so far call for
//! [`Action::Block`] (scores only grow), the stream stops releasing text.
//! The final [`Verdict`] comes with [`StreamInspector::finish`].

use crate::context::{Compiled, Context};
use crate::engine::Hit;
use crate::guard::{self, Guard, Redactor, limit_finding};
use crate::types::{Action, Mode};
use crate::verdict::{Finding, Verdict};
use std::collections::HashMap;
use std::sync::Arc;

/// Bytes at the end of a window where a hit is taken to go on past it
/// (more than the widest gap a detector bridges, 64 bytes, plus a
/// character).
const EDGE: usize = 96;

/// Text before a match that rules read (a secret's cue words, up to
/// `validators::CUE_LOOKBACK`; the words before a link, 300 bytes), with
/// room to spare: every window starts at least this far before its zone.
const LOOKBACK: usize = crate::validators::CUE_LOOKBACK + 128;

/// A finding in progress may hold back at most this many margins.
const HOLD_FACTOR: usize = 16;

/// The limit finding of a stream that held back too long.
const HOLD_RULE: &str = "limits.stream_hold";

/// What one [`StreamInspector::push`] or [`StreamInspector::finish`] gives.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Step {
    /// Text that is now safe to pass on, already redacted. Concatenated over
    /// the whole stream it is the one-shot [`Verdict::redacted`] text (up to
    /// the point where the stream stopped, if it did).
    pub text: String,
    /// Findings that became final with this step (not in offset order;
    /// the final verdict has them all, in order).
    pub findings: Vec<Finding>,
    /// The findings so far call for [`Action::Block`]: stop the stream. No
    /// further text is released, though inspection continues if more is
    /// pushed (so that the final verdict has every finding).
    pub stop: bool,
    /// The final verdict, from [`StreamInspector::finish`] only. Its
    /// `redacted()` text is empty: the text was released in the steps.
    pub verdict: Option<Verdict>,
}

/// Inspects a response (or prompt) that arrives in chunks. Made by
/// [`Guard::stream`].
///
/// # Example
///
/// ```
/// use palisade::{Guard, Mode};
///
/// let guard = Guard::default();
/// let mut s = guard.stream(Mode::Response, None);
/// let mut out = String::new();
/// for chunk in ["The key AKIAZ7Q3MP", "LW4RTXKB2N is live."] {
///     out.push_str(&s.push(chunk.as_bytes()).text);
/// }
/// let last = s.finish();
/// out.push_str(&last.text);
/// assert_eq!(out, "The key [SECRET:aws_access_key_id] is live.");
/// assert_eq!(out, guard.inspect_response("The key AKIAZ7Q3MPLW4RTXKB2N is live.").redacted());
/// ```
#[derive(Debug)]
pub struct StreamInspector {
    guard: Guard,
    mode: Mode,
    extra: Option<Arc<Compiled>>,
    /// `limits.max_match_bytes`.
    margin: usize,
    /// Bytes committed per window.
    zone: usize,
    /// Left context of a window: the margin, or [`LOOKBACK`] if more.
    left: usize,
    /// Extra right context of the next window: grows while a hit reaches
    /// the window's end.
    ext: usize,
    max_input: usize,
    /// Original bytes from `base` on.
    buf: Vec<u8>,
    base: usize,
    /// Bytes pushed so far.
    total: usize,
    /// Where inspection stops (`limits.max_input_bytes`, on a character
    /// boundary), once the input is known to be longer.
    cut: Option<usize>,
    /// Hits starting before this are all known.
    committed: usize,
    /// Text before this has been released.
    released: usize,
    /// Per rule: the last merged hit, which a later hit may still extend.
    open: HashMap<u32, Hit>,
    /// Final findings of redacting categories not yet released past.
    redactions: Vec<Finding>,
    /// Every final finding (at most 2 × `max_findings`, the heaviest), with
    /// its rule index for ordering.
    findings: Vec<(Finding, u32)>,
    /// Final findings ever made (before truncation).
    finding_count: usize,
    limit_findings: Vec<Finding>,
    redactor: Redactor,
    stopped: bool,
    finished: bool,
    /// Most bytes ever held back (pushed, not released).
    max_held: usize,
}

impl Guard {
    /// Starts inspecting a text that arrives in chunks, with `context`
    /// registered for this stream (on top of the guard's own). See
    /// [`StreamInspector`].
    pub fn stream(&self, mode: Mode, context: Option<&Context>) -> StreamInspector {
        let margin = self.stream_margin();
        StreamInspector {
            guard: self.clone(),
            mode,
            extra: context
                .filter(|c| !c.is_empty())
                .map(|c| Arc::new(self.compile_context(c))),
            margin,
            zone: margin,
            left: margin.max(LOOKBACK),
            ext: 0,
            max_input: self.policy().limits.max_input_bytes,
            buf: Vec::new(),
            base: 0,
            total: 0,
            cut: None,
            committed: 0,
            released: 0,
            open: HashMap::new(),
            redactions: Vec::new(),
            findings: Vec::new(),
            finding_count: 0,
            limit_findings: Vec::new(),
            redactor: Redactor::default(),
            stopped: false,
            finished: false,
            max_held: 0,
        }
    }

    /// Most bytes a stream holds back when no finding is in progress: twice
    /// the margin, `limits.max_match_bytes` (or four times the longest rule
    /// phrase, if that is more), plus 96 bytes. A finding in progress of `n`
    /// bytes can hold back up to `3 n` more (its own length, and a window
    /// grown to see where it ends), at most 16 margins in all.
    pub fn stream_holdback(&self) -> usize {
        2 * self.stream_margin() + EDGE
    }

    /// The most bytes a stream ever holds back, whatever the input: a
    /// finding in progress (or a window grown to see where a hit ends)
    /// holds back at most 16 margins before the window and 16 in it; past
    /// that the stream stops with a `limits.stream_hold` finding.
    pub fn stream_max_holdback(&self) -> usize {
        2 * HOLD_FACTOR * self.stream_margin() + EDGE
    }
}

impl StreamInspector {
    /// Feeds the next chunk (any bytes; a chunk may end inside a character,
    /// a word or an encoding).
    pub fn push(&mut self, chunk: &[u8]) -> Step {
        let mut step = Step::default();
        if self.finished {
            step.stop = self.stopped;
            return step;
        }
        self.buf.extend_from_slice(chunk);
        self.total += chunk.len();
        self.check_size();
        loop {
            let end = self.scan_end();
            let ze = self.committed + self.zone;
            let we = ze + self.margin + EDGE + self.ext;
            if end < we {
                break;
            }
            self.window(ze, we, false, &mut step);
        }
        self.release(&mut step, false);
        self.trim();
        step.stop = self.stopped;
        step
    }

    /// Ends the stream: inspects what is left, releases the rest of the text
    /// (unless the stream stopped) and gives the final verdict.
    pub fn finish(&mut self) -> Step {
        let mut step = Step::default();
        if self.finished {
            step.stop = self.stopped;
            return step;
        }
        self.finished = true;
        let end = self.scan_end();
        if end > self.committed || self.total == 0 {
            self.window(end, end, true, &mut step);
        }
        let open: Vec<Hit> = self.open.drain().map(|(_, h)| h).collect();
        for h in open {
            self.finalize(h, &mut step);
        }
        self.committed = self.total;
        self.check_block();
        self.release(&mut step, true);
        step.verdict = Some(self.verdict());
        step.stop = self.stopped;
        self.buf = Vec::new();
        step
    }

    /// Bytes pushed but not released yet.
    pub fn held_bytes(&self) -> usize {
        self.total - self.released
    }

    /// The most bytes held back at any point so far.
    pub fn max_held_bytes(&self) -> usize {
        self.max_held
    }

    /// Bytes of input kept in memory now.
    pub fn buffered_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Whether the findings so far call for blocking.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    fn byte(&self, at: usize) -> Option<u8> {
        at.checked_sub(self.base)
            .and_then(|i| self.buf.get(i))
            .copied()
    }

    /// The largest position <= `at` (and >= `floor`) before which text may
    /// be cut without changing how invalid UTF-8 is shown: not inside a
    /// character.
    fn safe_floor(&self, at: usize, floor: usize) -> usize {
        let mut i = at;
        for _ in 0..3 {
            if i <= floor || i >= self.total {
                return i.max(floor);
            }
            match self.byte(i) {
                Some(b) if b & 0xC0 == 0x80 => i -= 1,
                _ => return i,
            }
        }
        if self.byte(i).is_some_and(|b| b & 0xC0 == 0x80) {
            at
        } else {
            i
        }
    }

    /// Where inspection ends: all pushed bytes, or the size-limit cut.
    fn scan_end(&self) -> usize {
        self.cut.unwrap_or(self.total)
    }

    /// Notices the input outgrowing `limits.max_input_bytes`: inspection
    /// stops at the same cut as one-shot inspection.
    fn check_size(&mut self) {
        if self.cut.is_none() && self.total > self.max_input {
            self.cut = Some(guard::floor_char(|i| self.byte(i), self.max_input));
            self.check_block();
        }
    }

    /// The `limits.input_size` finding, as one-shot inspection would make it
    /// for the bytes seen so far.
    fn size_finding(&self) -> Option<Finding> {
        self.cut.map(|cut| {
            limit_finding(
                "limits.input_size",
                cut,
                self.total,
                format!(
                    "input is {} bytes; only the first {} were inspected",
                    self.total, cut
                ),
            )
        })
    }

    /// Inspects the window around zone `[committed, ze)`, ending at `we`.
    /// When a hit starting in the zone reaches the last [`EDGE`] bytes of
    /// the window (it may go on), nothing is taken: the window grows (the
    /// right context doubles) and is inspected again once the input reaches
    /// its new end, up to [`HOLD_FACTOR`] × the margin; past that the stream
    /// gives up on the finding with a `limits.stream_hold` finding and
    /// stops (fails closed).
    fn window(&mut self, ze: usize, we: usize, last: bool, step: &mut Step) {
        let ws = self.safe_floor(self.committed.saturating_sub(self.left), self.base);
        let ws = ws.max(self.base);
        let we = we.min(self.scan_end());
        let bytes = &self.buf[ws - self.base..we - self.base];
        let mut lf = Vec::new();
        // The window is the whole input, held back entirely: one-shot
        // inspection reads it as one document too.
        let end = self.scan_end();
        let document = last && ws == 0 && we == end && end <= self.guard.document_max();
        // A match that shows nothing until its end (a private key block)
        // may be in progress from the zone on.
        let mut pending = guard::Pending {
            from: self.committed - ws,
            margin: self.margin,
            start: None,
        };
        let hits = self.guard.hits(
            self.mode,
            bytes,
            None,
            self.extra.as_deref(),
            document,
            &mut lf,
            (!last).then_some(&mut pending),
        );
        let in_progress = pending.start.is_some_and(|s| s + ws < ze);
        for mut f in lf {
            if !self.limit_findings.iter().any(|g| g.rule == f.rule) {
                f.start += ws;
                f.end += ws;
                self.limit_findings.push(f);
            }
        }
        let mut new: Vec<Hit> = hits
            .into_iter()
            .filter_map(|mut h| {
                h.start += ws;
                h.end += ws;
                (h.start >= self.committed && (h.start < ze || (last && h.start <= ze)))
                    .then_some(h)
            })
            .collect();
        if !last && (in_progress || new.iter().any(|h| h.end + EDGE > we)) {
            let ext = (2 * self.ext).max(self.margin);
            if we - self.committed + ext - self.ext <= HOLD_FACTOR * self.margin {
                // A hit may go on past the window: look again with more.
                self.ext = ext;
                return;
            }
            // Fail closed: the held text cannot be shown to be safe.
            self.hold_limit(self.committed, we);
        }
        self.ext = 0;
        new.sort_by_key(|h| (h.rule, h.start, h.view, h.end));
        for h in new {
            match self.open.get_mut(&h.rule) {
                Some(o) if guard::merges(o, &h) => guard::absorb(o, &h),
                _ => {
                    if let Some(prev) = self.open.insert(h.rule, h) {
                        self.finalize(prev, step);
                    }
                }
            }
        }
        self.committed = ze;
        self.cap_open(step);
        // A hit no later hit (starting at `ze` or after) can merge into.
        let done: Vec<u32> = self
            .open
            .iter()
            .filter(|(_, h)| h.end.max(h.start + 1) <= ze)
            .map(|(r, _)| *r)
            .collect();
        for r in done {
            if let Some(h) = self.open.remove(&r) {
                self.finalize(h, step);
            }
        }
        self.check_block();
        if !last {
            self.release(step, false);
        }
    }

    /// Notes a held-back limit hit: the stream reports it once with a
    /// `limits.stream_hold` finding and stops (fails closed).
    fn hold_limit(&mut self, start: usize, end: usize) {
        if !self.limit_findings.iter().any(|f| f.rule == HOLD_RULE) {
            self.limit_findings.push(limit_finding(
                HOLD_RULE,
                start,
                end,
                format!(
                    "a finding went on past {} bytes of held-back text; the stream stopped",
                    HOLD_FACTOR * self.margin
                ),
            ));
        }
        self.stopped = true;
    }

    /// A merged hit still growing (overlapping hits, one after another)
    /// holds the text back from its start; past [`HOLD_FACTOR`] margins it
    /// becomes a finding as it stands and the stream stops.
    fn cap_open(&mut self, step: &mut Step) {
        let limit = HOLD_FACTOR * self.margin;
        let long: Vec<u32> = self
            .open
            .iter()
            .filter(|(_, h)| self.committed.saturating_sub(h.start) > limit)
            .map(|(r, _)| *r)
            .collect();
        for r in long {
            if let Some(h) = self.open.remove(&r) {
                self.hold_limit(h.start, self.committed);
                self.finalize(h, step);
            }
        }
    }

    /// Turns a merged hit that can no longer grow into a finding.
    fn finalize(&mut self, h: Hit, step: &mut Step) {
        let (s, e) = (
            h.start.max(self.base),
            h.end.min(self.base + self.buf.len()),
        );
        let slice = if s <= e {
            &self.buf[s - self.base..e - self.base]
        } else {
            &[][..]
        };
        // `finding` reads the slice at the hit's own offsets.
        let local = Hit {
            rule: h.rule,
            start: 0,
            end: slice.len(),
            view: h.view,
        };
        let Some(mut f) = self.guard.finding(&local, slice) else {
            return;
        };
        f.start = h.start;
        f.end = h.end;
        if self.guard.redaction(&f) != crate::policy::Redaction::None && f.end > f.start {
            self.redactions.push(f.clone());
        }
        step.findings.push(f.clone());
        self.findings.push((f, h.rule));
        self.finding_count += 1;
        let max = self.guard.policy().limits.max_findings;
        if self.findings.len() > 2 * max {
            self.keep_heaviest(max);
        }
    }

    /// Keeps the `max` findings one-shot inspection would keep.
    fn keep_heaviest(&mut self, max: usize) {
        self.findings.sort_by(|a, b| {
            b.0.weight
                .total_cmp(&a.0.weight)
                .then(a.0.start.cmp(&b.0.start))
                .then(a.1.cmp(&b.1))
        });
        self.findings.truncate(max);
    }

    /// Stops the stream when the findings so far call for a block.
    fn check_block(&mut self) {
        if self.stopped {
            return;
        }
        let mut all: Vec<Finding> = self.findings.iter().map(|f| f.0.clone()).collect();
        all.extend(self.limit_findings.iter().cloned());
        all.extend(self.size_finding());
        if self.finding_count > self.guard.policy().limits.max_findings {
            all.push(limit_finding(
                "limits.findings",
                0,
                self.total,
                String::new(),
            ));
        }
        if self.guard.judge(&all).1 == Action::Block {
            self.stopped = true;
        }
    }

    /// Releases text up to the committed point, holding back at the start
    /// of any hit still growing and of any redaction not yet complete.
    fn release(&mut self, step: &mut Step, last: bool) {
        if self.stopped {
            self.redactions.clear();
            self.max_held = self.max_held.max(self.total - self.released);
            return;
        }
        let mut r = if last { self.total } else { self.committed };
        if let Some(s) = self.open.values().map(|h| h.start).min() {
            r = r.min(s);
        }
        if !last {
            r = self.safe_floor(r, self.released);
        }
        self.redactions.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then(b.end.cmp(&a.end))
                .then(a.rule.cmp(&b.rule))
        });
        let mut i = 0;
        let mut out = String::new();
        while i < self.redactions.len() {
            let s = self.redactions[i].start;
            let mut e = self.redactions[i].end;
            if s >= r {
                break;
            }
            let mut j = i + 1;
            while j < self.redactions.len() && self.redactions[j].start < e {
                e = e.max(self.redactions[j].end);
                j += 1;
            }
            if e > r {
                r = s;
                break;
            }
            if s >= self.released {
                out.push_str(&String::from_utf8_lossy(
                    &self.buf[self.released - self.base..s - self.base],
                ));
                let f = self.redactions[i].clone();
                let value = &self.buf[s - self.base..e - self.base];
                out.push_str(&self.redactor.replace(&self.guard, &f, value));
                self.released = e;
            }
            i = j;
        }
        self.redactions.drain(..i);
        if r > self.released {
            out.push_str(&String::from_utf8_lossy(
                &self.buf[self.released - self.base..r - self.base],
            ));
            self.released = r;
        }
        step.text.push_str(&out);
        self.max_held = self.max_held.max(self.total - self.released);
    }

    /// Drops bytes no longer needed: before the release point, the left
    /// context of the next window and every hit still open.
    fn trim(&mut self) {
        let mut keep = self
            .released
            .min(self.committed.saturating_sub(self.left + 4));
        if let Some(s) = self.open.values().map(|h| h.start).min() {
            keep = keep.min(s);
        }
        if self.stopped {
            // Nothing more is released; keep only what inspection needs.
            keep = self.committed.saturating_sub(self.left + 4);
            if let Some(s) = self.open.values().map(|h| h.start).min() {
                keep = keep.min(s);
            }
            self.released = self.released.max(keep);
        }
        if keep > self.base {
            let n = (keep - self.base).min(self.buf.len());
            self.buf.drain(..n);
            self.base += n;
        }
    }

    fn verdict(&mut self) -> Verdict {
        let max = self.guard.policy().limits.max_findings;
        let mut limit_findings = std::mem::take(&mut self.limit_findings);
        if self.finding_count > max {
            self.keep_heaviest(max);
            limit_findings.push(limit_finding(
                "limits.findings",
                0,
                self.total,
                format!("more than {max} findings; the weakest were dropped"),
            ));
        }
        limit_findings.extend(self.size_finding());
        let complete = limit_findings.is_empty();
        let mut findings: Vec<Finding> = std::mem::take(&mut self.findings)
            .into_iter()
            .map(|f| f.0)
            .collect();
        findings.extend(limit_findings);
        guard::sort_findings(&mut findings);
        let (scores, action) = self.guard.judge(&findings);
        Verdict {
            action,
            mode: self.mode,
            fingerprint: self.guard.fingerprint().to_string(),
            input_bytes: self.total,
            complete,
            scores,
            findings,
            redacted: None,
            text: String::new(),
        }
    }
}
