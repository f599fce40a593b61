//! Target `ffi`: call sequences through the C ABI of `palisade-ffi`
//! (libpalisade), as a C program would make them, with arbitrary bytes,
//! indices, codes and pointer/length pairs.
//!
//! The input is a script: each operation is an opcode byte followed by its
//! arguments (slot numbers, codes, a pointer mode and a length-prefixed
//! byte string). Handles live in a few slots per type and are freed when
//! replaced and at the end, so every create/free path runs.
//!
//! Pointers are "arbitrary" only as far as a correct caller may make them:
//! valid, NULL (with zero or non-zero length), misaligned output pointers,
//! and lengths no object can have (which the library must refuse before
//! reading). Dangling pointers and use after free are the caller's
//! undefined behaviour, not the library's, and are not tried.
//!
//! Invariants, beyond "no panic":
//! - every status is a known code and never `PALISADE_STATUS_PANIC`;
//! - NULL or misaligned outputs, NULL handles and refused inputs never give
//!   `OK`; an output is written only on `OK` (the bytes behind a failed
//!   call's output pointer are unchanged);
//! - every `palisade_str` is non-NULL, valid UTF-8 and NUL-terminated; the
//!   static strings are valid C strings; JSON outputs parse;
//! - accessors agree: `finding(i)` is `OK` exactly for `i < count`, scores
//!   are in `[0, 1]` for the 8 categories and refused for other codes,
//!   actions are known codes, finding spans lie in the input;
//! - a verdict of a default guard has the core library's redacted text;
//! - `palisade_vault_restore` of a pseudonymised text gives the text back,
//!   and a vault's JSON reads back as a vault;
//! - a stream refuses pushes after `finish` (`STREAM_FINISHED`), and its
//!   steps' text after a stop is empty.

#![allow(unsafe_code)]
// SAFETY (whole module): every call passes handles this module created and
// has not freed, buffers that outlive the call, and output pointers into
// `Out` buffers; the only "bad" pointers are NULL, misaligned outputs into
// `Out` buffers, and over-long lengths the functions must refuse before
// reading.

use crate::{ensure, inspect::default_guard, show};
use arbitrary::Arbitrary;
use palisade::Mode;
use palisade_ffi as c;
use palisade_ffi::palisade_status as St;
use std::ffi::{CStr, c_char};
use std::mem::size_of;

/// Most operations run per input.
pub const MAX_OPS: usize = 48;
/// Longest byte string one operation takes.
pub const MAX_BYTES: usize = 4096;

/// The fuzz input: a script of operations (see the module docs).
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// The script (everything).
    #[arbitrary(with = crate::rest)]
    pub script: Vec<u8>,
}

/// Reads the script.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
    fn u8(&mut self) -> u8 {
        let v = self.b.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        v
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }
    /// A length-prefixed byte string (u16 length, clamped).
    fn bytes(&mut self) -> &'a [u8] {
        let n = (self.u16() as usize).min(MAX_BYTES);
        let s = self.i.min(self.b.len());
        let e = (s + n).min(self.b.len());
        self.i = e;
        &self.b[s..e]
    }
}

/// An input argument: pointer and length, and whether the library may
/// accept it.
struct Arg<'a> {
    ptr: *const u8,
    len: usize,
    ok: bool,
    bytes: &'a [u8],
}

fn arg<'a>(r: &mut Reader<'a>) -> Arg<'a> {
    let mode = r.u8();
    let bytes = r.bytes();
    match mode % 8 {
        // NULL with a non-zero length: refused.
        5 => Arg {
            ptr: std::ptr::null(),
            len: bytes.len().max(1),
            ok: false,
            bytes,
        },
        // NULL, 0: the empty input.
        6 => Arg {
            ptr: std::ptr::null(),
            len: 0,
            ok: true,
            bytes: &[],
        },
        // A length no object can have: refused before reading.
        7 => Arg {
            ptr: bytes.as_ptr(),
            len: usize::MAX - (mode as usize >> 3),
            ok: false,
            bytes,
        },
        _ => Arg {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            ok: true,
            bytes,
        },
    }
}

/// An output buffer, pre-filled with a pattern so that a write is seen.
#[repr(C, align(16))]
struct Out([u8; 512]);

const FILL: u8 = 0xA5;

impl Out {
    fn new() -> Out {
        Out([FILL; 512])
    }
    fn untouched(&self) -> bool {
        self.0.iter().all(|&b| b == FILL)
    }
}

/// How an output pointer is passed: 0 valid (most modes), 1 NULL, 2
/// misaligned.
fn out_mode(r: &mut Reader<'_>) -> u8 {
    match r.u8() % 16 {
        14 => 1,
        15 => 2,
        _ => 0,
    }
}

fn check_status(st: St, what: &str) {
    ensure(St::from_u32(st as u32).is_some(), || {
        format!("{what}: unknown status {}", st as u32)
    });
    ensure(st != St::Panic, || format!("{what}: PANIC status"));
}

/// Calls `f` with an output pointer of type `T` passed as `mode` says;
/// checks the status and that the output was written only on `OK`.
/// Returns the buffer on `OK`.
fn call_out<T>(what: &str, mode: u8, refuse: bool, f: impl FnOnce(*mut T) -> St) -> Option<Out> {
    assert!(size_of::<T>() < 512);
    let mut buf = Out::new();
    let base = buf.0.as_mut_ptr();
    let (p, bad) = match mode {
        1 => (std::ptr::null_mut(), true),
        2 if align_of::<T>() > 1 => (base.wrapping_add(1).cast::<T>(), true),
        _ => (base.cast::<T>(), false),
    };
    let st = f(p);
    check_status(st, what);
    if st == St::Ok {
        ensure(!bad, || {
            format!("{what}: OK with a NULL or misaligned output")
        });
        ensure(!refuse, || format!("{what}: OK for a refused argument"));
        Some(buf)
    } else {
        ensure(buf.untouched(), || {
            format!("{what}: output written on failure ({st:?})")
        });
        None
    }
}

/// Reads a `T` the library wrote into `buf` (only plain-data `T`s: no
/// enums, no `bool`).
fn read<T: Copy>(buf: &Out) -> T {
    // SAFETY: `buf` is aligned to 16 and at least `size_of::<T>()` long;
    // callers use it only for types valid for any bytes the library writes
    // (pointers, integers, floats, structs of those).
    unsafe { buf.0.as_ptr().cast::<T>().read() }
}

fn read_u32(buf: &Out) -> u32 {
    read::<u32>(buf)
}

fn read_bool(buf: &Out, what: &str) -> bool {
    let b = buf.0[0];
    ensure(b <= 1, || format!("{what}: bool byte {b}"));
    b == 1
}

/// Checks a borrowed string: non-NULL, UTF-8, NUL-terminated.
fn check_str(s: c::palisade_str, what: &str) -> String {
    ensure(!s.data.is_null(), || format!("{what}: NULL data"));
    ensure(s.len < isize::MAX as usize, || {
        format!("{what}: length {}", s.len)
    });
    // SAFETY: the library promises `len` bytes plus a NUL at `data`.
    let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len + 1) };
    ensure(bytes[s.len] == 0, || format!("{what}: not NUL-terminated"));
    match std::str::from_utf8(&bytes[..s.len]) {
        Ok(t) => t.to_owned(),
        Err(e) => panic!("invariant broken: {what}: not UTF-8 ({e})"),
    }
}

/// Checks a static C string; NULL allowed when `nullable`.
fn check_cstr(p: *const c_char, nullable: bool, what: &str) {
    if p.is_null() {
        ensure(nullable, || format!("{what}: NULL"));
        return;
    }
    // SAFETY: the library returns static NUL-terminated strings.
    let s = unsafe { CStr::from_ptr(p) };
    ensure(s.to_str().is_ok(), || format!("{what}: not UTF-8"));
}

fn check_finding(f: &c::palisade_finding, input_len: Option<usize>, what: &str) {
    for (name, s) in [
        ("rule", f.rule),
        ("category", f.category),
        ("severity", f.severity),
        ("family", f.family),
        ("entity", f.entity),
        ("owasp", f.owasp),
        ("atlas", f.atlas),
        ("view", f.view),
        ("evidence", f.evidence),
    ] {
        check_str(s, &format!("{what}.{name}"));
    }
    ensure(f.start <= f.end, || {
        format!("{what}: span {}..{}", f.start, f.end)
    });
    if let Some(n) = input_len {
        ensure(f.end <= n, || {
            format!("{what}: span end {} of {n} bytes", f.end)
        });
    }
    ensure((0.0..=1.0).contains(&f.weight), || {
        format!("{what}: weight {}", f.weight)
    });
}

/// A handle slot: the pointer and what the checks know about it.
struct Slot<T, M> {
    p: *mut T,
    meta: M,
}

/// What the checks know of a verdict: its input length and, for default
/// guards, the expected redacted text.
type VerdictMeta = (Option<usize>, Option<String>);

/// The handles alive during a script.
#[derive(Default)]
struct World {
    /// Guards: (default policy without context, shared by the process).
    guards: [Option<Slot<c::palisade_guard, (bool, bool)>>; 3],
    /// Verdicts; the input length and, for default guards, the core
    /// library's redacted text.
    verdicts: [Option<Slot<c::palisade_verdict, VerdictMeta>>; 4],
    /// Streams; finished?
    streams: [Option<Slot<c::palisade_stream, bool>>; 2],
    /// Steps.
    steps: [Option<Slot<c::palisade_step, ()>>; 3],
    /// Vaults.
    vaults: [Option<Slot<c::palisade_vault, ()>>; 2],
    /// Contexts.
    contexts: [Option<Slot<c::palisade_context, ()>>; 2],
}

macro_rules! free_slot {
    ($slot:expr, $free:path) => {
        if let Some(s) = $slot.take() {
            // SAFETY: a live handle of this module, freed once.
            unsafe { $free(s.p) };
        }
    };
}

impl World {
    fn free_all(&mut self) {
        for s in &mut self.steps {
            free_slot!(s, c::palisade_step_free);
        }
        for s in &mut self.streams {
            free_slot!(s, c::palisade_stream_free);
        }
        for s in &mut self.verdicts {
            free_slot!(s, c::palisade_verdict_free);
        }
        for s in &mut self.vaults {
            free_slot!(s, c::palisade_vault_free);
        }
        for s in &mut self.contexts {
            free_slot!(s, c::palisade_context_free);
        }
        for s in &mut self.guards {
            free_guard(s);
        }
    }
}

/// Frees a guard slot's guard unless it is the shared one.
fn free_guard(slot: &mut Option<Slot<c::palisade_guard, (bool, bool)>>) {
    if let Some(s) = slot.take()
        && !s.meta.1
    {
        // SAFETY: a live guard of this module, freed once.
        unsafe { c::palisade_guard_free(s.p) };
    }
}

/// The process's default guard, built once through the C ABI (and
/// checked like any other call); never freed.
fn shared_default() -> *mut c::palisade_guard {
    static G: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *G.get_or_init(|| {
        let b = call_out::<*mut c::palisade_guard>("guard_new_default", 0, false, |o| unsafe {
            // SAFETY: see the module.
            c::palisade_guard_new_default(o)
        })
        .expect("guard_new_default with a valid output");
        let p: *mut c::palisade_guard = read(&b);
        ensure(!p.is_null(), || "guard_new_default: NULL guard".into());
        p as usize
    }) as *mut c::palisade_guard
}

/// A handle argument: the slot's pointer, or NULL (also when the slot is
/// empty).
fn handle<T, M>(slot: &Option<Slot<T, M>>, null: bool) -> *mut T {
    match slot {
        Some(s) if !null => s.p,
        _ => std::ptr::null_mut(),
    }
}

fn mode_code(b: u8) -> u32 {
    match b % 8 {
        7 => u32::from(b),
        m => u32::from(m % 2),
    }
}

/// Runs the target.
pub fn check(input: &Input) {
    let mut r = Reader {
        b: &input.script,
        i: 0,
    };
    let mut w = World::default();
    let mut ops = 0;
    while !r.done() && ops < MAX_OPS {
        ops += 1;
        op(&mut r, &mut w);
    }
    w.free_all();
}

fn op(r: &mut Reader<'_>, w: &mut World) {
    let code = r.u8();
    let slot = r.u8() as usize;
    let null = r.u8() % 8 == 7;
    match code % 16 {
        0 => {
            // Building the default policy takes milliseconds: the process
            // builds one through `palisade_guard_new_default` and shares
            // it; here the call runs only with refused output pointers.
            let i = slot % w.guards.len();
            free_guard(&mut w.guards[i]);
            let om = out_mode(r);
            if om == 0 {
                w.guards[i] = Some(Slot {
                    p: shared_default(),
                    meta: (true, true),
                });
            } else {
                // SAFETY: see the module.
                call_out::<*mut c::palisade_guard>("guard_new_default", om, false, |o| unsafe {
                    c::palisade_guard_new_default(o)
                });
            }
        }
        1 => guard_from_policy(r, w, slot),
        2 => inspect(r, w, slot, null),
        3 => verdict_accessors(r, w, slot, null),
        4 => stream_new(r, w, slot, null),
        5 => stream_push(r, w, slot, null, false),
        6 => stream_push(r, w, slot, null, true),
        7 => step_accessors(r, w, slot, null),
        8 => pseudonymise(r, w, slot, null),
        9 => vault_from_json(r, w, slot),
        10 => vault_accessors(r, w, slot, null),
        11 => context_ops(r, w, slot, null),
        12 => guard_with_context(r, w, slot, null),
        13 => statics(r),
        14 => {
            // Free one handle (or NULL, which must do nothing).
            let k = r.u8();
            if null {
                // SAFETY: NULL is accepted by every free function.
                unsafe {
                    c::palisade_guard_free(std::ptr::null_mut());
                    c::palisade_verdict_free(std::ptr::null_mut());
                    c::palisade_stream_free(std::ptr::null_mut());
                    c::palisade_step_free(std::ptr::null_mut());
                    c::palisade_vault_free(std::ptr::null_mut());
                    c::palisade_context_free(std::ptr::null_mut());
                    c::palisade_string_free(std::ptr::null_mut());
                    c::palisade_error_free(std::ptr::null_mut());
                }
                return;
            }
            match k % 6 {
                0 => free_guard(&mut w.guards[slot % 3]),
                1 => free_slot!(w.verdicts[slot % 4], c::palisade_verdict_free),
                2 => free_slot!(w.streams[slot % 2], c::palisade_stream_free),
                3 => free_slot!(w.steps[slot % 3], c::palisade_step_free),
                4 => free_slot!(w.vaults[slot % 2], c::palisade_vault_free),
                _ => free_slot!(w.contexts[slot % 2], c::palisade_context_free),
            }
        }
        _ => stream_query(r, w, slot, null),
    }
}

fn guard_from_policy(r: &mut Reader<'_>, w: &mut World, slot: usize) {
    let i = slot % w.guards.len();
    free_guard(&mut w.guards[i]);
    let om = out_mode(r);
    let with_err = r.u8() % 4 != 3;
    let a = arg(r);
    let mut err = Out::new();
    let errp: *mut *mut c::palisade_error = if with_err {
        err.0.as_mut_ptr().cast()
    } else {
        std::ptr::null_mut()
    };
    let mut status = St::Ok;
    // SAFETY: see the module.
    let got = call_out("guard_new_from_policy", om, !a.ok, |o| {
        status = unsafe { c::palisade_guard_new_from_policy(a.ptr, a.len, o, errp) };
        status
    });
    if let Some(b) = got {
        ensure(err.untouched(), || {
            "guard_new_from_policy: error written on OK".into()
        });
        let p: *mut c::palisade_guard = read(&b);
        ensure(!p.is_null(), || "guard_new_from_policy: NULL guard".into());
        w.guards[i] = Some(Slot {
            p,
            meta: (false, false),
        });
    } else if with_err {
        let e: *mut c::palisade_error = read(&err);
        ensure(!e.is_null() && !err.untouched(), || {
            format!("guard_new_from_policy: no error object for {status:?}")
        });
        // SAFETY: a live error object.
        let msg = call_out("error_message", 0, false, |o| unsafe {
            c::palisade_error_message(e, o)
        })
        .expect("error_message of a live error");
        check_str(read(&msg), "error_message");
        // SAFETY: a live error object.
        let st = call_out("error_status", 0, false, |o| unsafe {
            c::palisade_error_status(e, o)
        })
        .expect("error_status of a live error");
        ensure(read_u32(&st) == status as u32, || {
            format!("error_status {} for {status:?}", read_u32(&st))
        });
        // SAFETY: a live error object, freed once.
        unsafe { c::palisade_error_free(e) };
    }
}

fn inspect(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let gi = slot % w.guards.len();
    let vi = r.u8() as usize % w.verdicts.len();
    let how = r.u8();
    let om = out_mode(r);
    let a = arg(r);
    let g = handle(&w.guards[gi], null);
    let refuse = g.is_null() || !a.ok;
    let (mode, code) = match how % 3 {
        0 => (Some(Mode::Prompt), None),
        1 => (Some(Mode::Response), None),
        _ => {
            let code = mode_code(how >> 2);
            let m = match code {
                0 => Some(Mode::Prompt),
                1 => Some(Mode::Response),
                _ => None,
            };
            (m, Some(code))
        }
    };
    let refuse = refuse || mode.is_none();
    free_slot!(w.verdicts[vi], c::palisade_verdict_free);
    // SAFETY: see the module.
    let got = call_out("guard_inspect", om, refuse, |o| unsafe {
        match (code, mode) {
            (Some(code), _) => c::palisade_guard_inspect(g, code, a.ptr, a.len, o),
            (None, Some(Mode::Response)) => c::palisade_guard_inspect_response(g, a.ptr, a.len, o),
            _ => c::palisade_guard_inspect_prompt(g, a.ptr, a.len, o),
        }
    });
    if let Some(b) = got {
        let p: *mut c::palisade_verdict = read(&b);
        ensure(!p.is_null(), || "guard_inspect: NULL verdict".into());
        let is_default = w.guards[gi].as_ref().is_some_and(|s| s.meta.0);
        let expected = match mode {
            Some(m) if is_default => {
                Some(default_guard().inspect(m, a.bytes).redacted().to_owned())
            }
            _ => None,
        };
        w.verdicts[vi] = Some(Slot {
            p,
            meta: (Some(a.bytes.len()), expected),
        });
    }
}

fn verdict_accessors(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let vi = slot % w.verdicts.len();
    let index = r.u16() as usize;
    let category = u32::from(r.u8());
    let om = out_mode(r);
    let v = handle(&w.verdicts[vi], null);
    let (len, expected) = match &w.verdicts[vi] {
        Some(s) if !null => s.meta.clone(),
        _ => (None, None),
    };
    let refuse = v.is_null();
    verdict_checks(v, refuse, om, index, category, len, expected.as_deref());
}

fn verdict_checks(
    v: *mut c::palisade_verdict,
    refuse: bool,
    om: u8,
    index: usize,
    category: u32,
    len: Option<usize>,
    expected: Option<&str>,
) {
    // SAFETY (each call): see the module.
    if let Some(b) = call_out("verdict_action", om, refuse, |o| unsafe {
        c::palisade_verdict_action(v, o)
    }) {
        let a = read_u32(&b);
        ensure(a < 4, || format!("verdict_action: code {a}"));
    }
    let score = call_out("verdict_score", om, refuse || category >= 8, |o| unsafe {
        c::palisade_verdict_score(v, category, o)
    });
    if let Some(b) = score {
        let s: f64 = read(&b);
        ensure((0.0..=1.0).contains(&s), || format!("verdict_score {s}"));
    } else if !refuse && om == 0 && category < 8 {
        panic!("invariant broken: verdict_score refused category {category}");
    }
    if let Some(b) = call_out("verdict_complete", om, refuse, |o| unsafe {
        c::palisade_verdict_complete(v, o)
    }) {
        read_bool(&b, "verdict_complete");
    }
    if let Some(b) = call_out("verdict_fingerprint", om, refuse, |o| unsafe {
        c::palisade_verdict_fingerprint(v, o)
    }) {
        let f = check_str(read(&b), "verdict_fingerprint");
        ensure(
            f.len() == 16 && f.bytes().all(|c| c.is_ascii_hexdigit()),
            || format!("verdict_fingerprint {f:?}"),
        );
    }
    let count = call_out("verdict_finding_count", om, refuse, |o| unsafe {
        c::palisade_verdict_finding_count(v, o)
    })
    .map(|b| read::<usize>(&b));
    let f = call_out("verdict_finding", om, refuse, |o| unsafe {
        c::palisade_verdict_finding(v, index, o)
    });
    if let (Some(n), true) = (count, om == 0) {
        ensure(f.is_some() == (index < n), || {
            format!("verdict_finding({index}) of {n}: {}", f.is_some())
        });
    }
    if let Some(b) = f {
        check_finding(&read(&b), len, "verdict_finding");
    }
    if let Some(b) = call_out("verdict_redacted", om, refuse, |o| unsafe {
        c::palisade_verdict_redacted(v, o)
    }) {
        let t = check_str(read(&b), "verdict_redacted");
        if let Some(e) = expected {
            ensure(t == e, || {
                format!(
                    "verdict_redacted {} differs from the core's {}",
                    show(t.as_bytes()),
                    show(e.as_bytes())
                )
            });
        }
    }
    if let Some(b) = call_out("verdict_json", om, refuse, |o| unsafe {
        c::palisade_verdict_json(v, o)
    }) {
        let j = check_str(read(&b), "verdict_json");
        ensure(
            serde_json::from_str::<serde_json::Value>(&j).is_ok(),
            || "verdict_json does not parse".into(),
        );
    }
}

fn stream_new(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let si = slot % w.streams.len();
    let gi = r.u8() as usize % w.guards.len();
    let ci = r.u8();
    let code = mode_code(r.u8());
    let om = out_mode(r);
    let g = handle(&w.guards[gi], null);
    let ctx = if ci & 1 == 1 {
        handle(&w.contexts[(ci as usize >> 1) % 2], false)
    } else {
        std::ptr::null_mut()
    };
    free_slot!(w.streams[si], c::palisade_stream_free);
    // SAFETY: see the module.
    if let Some(b) = call_out("stream_new", om, g.is_null() || code > 1, |o| unsafe {
        c::palisade_stream_new(g, code, ctx, o)
    }) {
        let p: *mut c::palisade_stream = read(&b);
        ensure(!p.is_null(), || "stream_new: NULL stream".into());
        w.streams[si] = Some(Slot { p, meta: false });
    }
}

fn stream_push(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool, finish: bool) {
    let si = slot % w.streams.len();
    let ti = r.u8() as usize % w.steps.len();
    let om = out_mode(r);
    let a = if finish {
        Arg {
            ptr: std::ptr::null(),
            len: 0,
            ok: true,
            bytes: &[],
        }
    } else {
        arg(r)
    };
    let s = handle(&w.streams[si], null);
    let finished = w.streams[si].as_ref().is_some_and(|s| s.meta);
    free_slot!(w.steps[ti], c::palisade_step_free);
    let what = if finish {
        "stream_finish"
    } else {
        "stream_push"
    };
    let mut status = St::Ok;
    // SAFETY: see the module.
    let got = call_out(what, om, s.is_null() || !a.ok || finished, |o| {
        status = unsafe {
            if finish {
                c::palisade_stream_finish(s, o)
            } else {
                c::palisade_stream_push(s, a.ptr, a.len, o)
            }
        };
        status
    });
    if finished && !s.is_null() && om == 0 && a.ok {
        ensure(status == St::StreamFinished, || {
            format!("{what} after finish: {status:?}")
        });
    }
    if let Some(b) = got {
        let p: *mut c::palisade_step = read(&b);
        ensure(!p.is_null(), || format!("{what}: NULL step"));
        w.steps[ti] = Some(Slot { p, meta: () });
        if finish && let Some(st) = w.streams[si].as_mut() {
            st.meta = true;
        }
    }
}

fn stream_query(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let om = out_mode(r);
    let s = handle(&w.streams[slot % w.streams.len()], null);
    // SAFETY (each call): see the module.
    if let Some(b) = call_out("stream_stopped", om, s.is_null(), |o| unsafe {
        c::palisade_stream_stopped(s, o)
    }) {
        read_bool(&b, "stream_stopped");
    }
    call_out("stream_held_bytes", om, s.is_null(), |o| unsafe {
        c::palisade_stream_held_bytes(s, o)
    });
}

fn step_accessors(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let index = r.u16() as usize;
    let vi = r.u8() as usize % w.verdicts.len();
    let om = out_mode(r);
    let t = handle(&w.steps[slot % w.steps.len()], null);
    let refuse = t.is_null();
    // SAFETY (each call): see the module.
    let text = call_out("step_text", om, refuse, |o| unsafe {
        c::palisade_step_text(t, o)
    })
    .map(|b| check_str(read(&b), "step_text"));
    if let Some(b) = call_out("step_stop", om, refuse, |o| unsafe {
        c::palisade_step_stop(t, o)
    }) {
        // A stop step may still carry the text released before the stop
        // within the same push; nothing is checked here beyond the type.
        read_bool(&b, "step_stop");
    }
    let _ = text;
    let count = call_out("step_finding_count", om, refuse, |o| unsafe {
        c::palisade_step_finding_count(t, o)
    })
    .map(|b| read::<usize>(&b));
    let f = call_out("step_finding", om, refuse, |o| unsafe {
        c::palisade_step_finding(t, index, o)
    });
    if let (Some(n), true) = (count, om == 0) {
        ensure(f.is_some() == (index < n), || {
            format!("step_finding({index}) of {n}: {}", f.is_some())
        });
    }
    if let Some(b) = f {
        check_finding(&read(&b), None, "step_finding");
    }
    if let Some(b) = call_out("step_verdict", om, refuse, |o| unsafe {
        c::palisade_step_verdict(t, o)
    }) {
        let p: *mut c::palisade_verdict = read(&b);
        if !p.is_null() {
            free_slot!(w.verdicts[vi], c::palisade_verdict_free);
            w.verdicts[vi] = Some(Slot {
                p,
                meta: (None, Some(String::new())),
            });
        }
    }
}

fn pseudonymise(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let gi = slot % w.guards.len();
    let vi = r.u8() as usize % w.vaults.len();
    let om = out_mode(r);
    let a = arg(r);
    let g = handle(&w.guards[gi], null);
    let utf8 = std::str::from_utf8(a.bytes).ok();
    free_slot!(w.vaults[vi], c::palisade_vault_free);
    // SAFETY: see the module.
    let got = call_out(
        "guard_pseudonymise",
        om,
        g.is_null() || !a.ok || (a.len > 0 && utf8.is_none()),
        |o| unsafe { c::palisade_guard_pseudonymise(g, a.ptr, a.len, o) },
    );
    let Some(b) = got else {
        return;
    };
    let v: *mut c::palisade_vault = read(&b);
    ensure(!v.is_null(), || "guard_pseudonymise: NULL vault".into());
    w.vaults[vi] = Some(Slot { p: v, meta: () });
    // The pseudonymised text restores to the original exactly.
    // SAFETY: a live vault.
    let t = call_out("vault_text", 0, false, |o| unsafe {
        c::palisade_vault_text(v, o)
    })
    .expect("vault_text of a live vault");
    let ts: c::palisade_str = read(&t);
    let text = check_str(ts, "vault_text");
    let restored =
        restore(v, text.as_ptr(), text.len(), 0, false).expect("restore of the vault's own text");
    let original = if a.len == 0 { "" } else { utf8.unwrap_or("") };
    ensure(restored == original, || {
        format!(
            "vault_restore(vault_text) = {} for {}",
            show(restored.as_bytes()),
            show(original.as_bytes())
        )
    });
}

/// Restores `text` through vault `v`; the restored string on `OK`.
fn restore(
    v: *mut c::palisade_vault,
    ptr: *const u8,
    len: usize,
    om: u8,
    refuse: bool,
) -> Option<String> {
    // SAFETY: see the module.
    let b = call_out("vault_restore", om, refuse, |o| unsafe {
        c::palisade_vault_restore(v, ptr, len, o)
    })?;
    let s: *mut c::palisade_string = read(&b);
    ensure(!s.is_null(), || "vault_restore: NULL string".into());
    // SAFETY: a live string.
    let g = call_out("string_get", 0, false, |o| unsafe {
        c::palisade_string_get(s, o)
    })
    .expect("string_get of a live string");
    let out = check_str(read(&g), "string_get");
    // SAFETY: a live string, freed once.
    unsafe { c::palisade_string_free(s) };
    Some(out)
}

fn vault_from_json(r: &mut Reader<'_>, w: &mut World, slot: usize) {
    let vi = slot % w.vaults.len();
    let om = out_mode(r);
    let a = arg(r);
    free_slot!(w.vaults[vi], c::palisade_vault_free);
    // SAFETY: see the module.
    if let Some(b) = call_out("vault_from_json", om, !a.ok, |o| unsafe {
        c::palisade_vault_from_json(a.ptr, a.len, o)
    }) {
        let p: *mut c::palisade_vault = read(&b);
        ensure(!p.is_null(), || "vault_from_json: NULL vault".into());
        w.vaults[vi] = Some(Slot { p, meta: () });
    }
}

fn vault_accessors(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let om = out_mode(r);
    let a = arg(r);
    let v = handle(&w.vaults[slot % w.vaults.len()], null);
    let refuse = v.is_null();
    // SAFETY (each call): see the module.
    if let Some(b) = call_out("vault_text", om, refuse, |o| unsafe {
        c::palisade_vault_text(v, o)
    }) {
        check_str(read(&b), "vault_text");
    }
    call_out("vault_entry_count", om, refuse, |o| unsafe {
        c::palisade_vault_entry_count(v, o)
    });
    if let Some(b) = call_out("vault_json", om, refuse, |o| unsafe {
        c::palisade_vault_json(v, o)
    }) {
        let j = check_str(read(&b), "vault_json");
        // The JSON reads back as a vault.
        let back = call_out("vault_from_json(vault_json)", 0, false, |o| unsafe {
            c::palisade_vault_from_json(j.as_ptr(), j.len(), o)
        });
        ensure(back.is_some(), || "vault_json does not read back".into());
        if let Some(b) = back {
            // SAFETY: a live vault, freed once.
            unsafe { c::palisade_vault_free(read(&b)) };
        }
    }
    let bad = !a.ok || std::str::from_utf8(a.bytes).is_err() && a.len > 0;
    restore(v, a.ptr, a.len, om, refuse || bad);
}

fn context_ops(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let ci = slot % w.contexts.len();
    let sub = r.u8();
    let om = out_mode(r);
    let a = arg(r);
    let ctx = handle(&w.contexts[ci], null);
    let bad_text = !a.ok || (a.len > 0 && std::str::from_utf8(a.bytes).is_err());
    let st = match sub % 5 {
        0 => {
            free_slot!(w.contexts[ci], c::palisade_context_free);
            // SAFETY: see the module.
            if let Some(b) = call_out("context_new", om, false, |o| unsafe {
                c::palisade_context_new(o)
            }) {
                let p: *mut c::palisade_context = read(&b);
                ensure(!p.is_null(), || "context_new: NULL".into());
                w.contexts[ci] = Some(Slot { p, meta: () });
            }
            return;
        }
        // SAFETY: see the module.
        1 => unsafe { c::palisade_context_add_system_prompt(ctx, a.ptr, a.len) },
        // SAFETY: see the module.
        2 => unsafe { c::palisade_context_add_confidential(ctx, a.ptr, a.len) },
        3 => {
            // SAFETY: see the module.
            unsafe { c::palisade_context_add_canary(ctx, a.ptr, a.len) }
        }
        _ => {
            // A generated canary is accepted as one.
            // SAFETY: see the module.
            let Some(b) = call_out("canary_generate", om, false, |o| unsafe {
                c::palisade_canary_generate(o)
            }) else {
                return;
            };
            let s: *mut c::palisade_string = read(&b);
            // SAFETY: a live string.
            let g = call_out("string_get", 0, false, |o| unsafe {
                c::palisade_string_get(s, o)
            })
            .expect("string_get of a live string");
            let token = check_str(read(&g), "canary_generate");
            // SAFETY: a live string, freed once.
            unsafe { c::palisade_string_free(s) };
            if ctx.is_null() {
                return;
            }
            // SAFETY: see the module.
            let st = unsafe { c::palisade_context_add_canary(ctx, token.as_ptr(), token.len()) };
            check_status(st, "context_add_canary(generated)");
            ensure(st == St::Ok, || {
                format!("generated canary {token:?} refused: {st:?}")
            });
            return;
        }
    };
    check_status(st, "context_add");
    if st == St::Ok {
        ensure(!ctx.is_null() && !bad_text, || {
            "context_add: OK for a NULL context or a refused text".into()
        });
    }
}

fn guard_with_context(r: &mut Reader<'_>, w: &mut World, slot: usize, null: bool) {
    let gi = slot % w.guards.len();
    let ci = r.u8() as usize % w.contexts.len();
    let to = r.u8() as usize % w.guards.len();
    let om = out_mode(r);
    let g = handle(&w.guards[gi], null);
    let ctx = handle(&w.contexts[ci], false);
    // SAFETY: see the module.
    let got = call_out(
        "guard_with_context",
        om,
        g.is_null() || ctx.is_null(),
        |o| unsafe { c::palisade_guard_with_context(g, ctx, o) },
    );
    if let Some(b) = got {
        let p: *mut c::palisade_guard = read(&b);
        ensure(!p.is_null(), || "guard_with_context: NULL".into());
        free_guard(&mut w.guards[to]);
        w.guards[to] = Some(Slot {
            p,
            meta: (false, false),
        });
    }
}

fn statics(r: &mut Reader<'_>) {
    let code = u32::from(r.u16()) | (u32::from(r.u8() & 0x80) << 24);
    check_cstr(c::palisade_status_message(code), false, "status_message");
    check_cstr(c::palisade_action_name(code), code >= 4, "action_name");
    check_cstr(c::palisade_category_name(code), code >= 8, "category_name");
    check_cstr(c::palisade_version(), false, "version");
}
