//! The quick performance report: one JSON object on stdout, in well under
//! a minute, for CI logs and for comparing commits.
//!
//! `cargo run --release -p palisade-benches --bin report`
//!
//! Environment: `PALISADE_REPORT_MB` (default 10) sets the size of each
//! throughput text; `PALISADE_REPORT_CHUNK` (default 65536) the bytes per
//! `inspect` call in throughput runs (the guard inspects at most 1 MiB per
//! call).
//!
//! What it measures (default policy, one thread):
//! - `build`: `Guard::new` time (median of 5) and the bytes the guard holds
//!   (live heap bytes after build and warm-up, counted by a global
//!   allocator; `guard_bytes_cold` the same without the warm-up, before
//!   any search cache is filled; `automata_bytes` and `regex_bytes` are
//!   the parts that are not search caches); the first inspection's time
//!   against the median (`first_call_us`, no first-call penalty expected).
//! - `latency`: p50/p99 µs of `inspect_prompt` over many DIFFERENT prompts
//!   per size and family (a single repeated prompt flatters caches), and
//!   `inspect_response` at 8 KB; allocations per call.
//! - `throughput`: MB/s per text kind, with the bare Aho-Corasick pass over
//!   the same chunks (`baseline_mbps`) and `ratio` = palisade time /
//!   baseline time; hostile kinds also get `vs_benign` = their time per
//!   byte / English prose's time per byte.

use palisade::{Guard, Policy};
use palisade_benches::{
    KINDS, PromptKind, baseline, baseline_scan, chunks, corpus_mix, english, prompts,
};
use serde_json::{Map, Value, json};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: same contract.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(v: &[f64], p: f64) -> f64 {
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let t0 = Instant::now();
    let mb = env("PALISADE_REPORT_MB", 10);
    let chunk = env("PALISADE_REPORT_CHUNK", 64 << 10);
    let policy = Policy::default();

    // Build: time and held bytes.
    let mut build_ms = Vec::new();
    let mut held = 0usize;
    // First call after build against the steady state, on different
    // prompts: the first call of each fresh guard (median of 5, one sample
    // is noise), then the median of the next 200 calls.
    let first_prompts = prompts(PromptKind::AttackAscii, 2048, 205, 99);
    let mut first = Vec::new();
    for p in first_prompts.iter().take(5) {
        let before = LIVE.load(Ordering::Relaxed);
        let t = Instant::now();
        let g = Guard::new(&policy).expect("default policy builds");
        build_ms.push(t.elapsed().as_secs_f64() * 1e3);
        held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
        let t = Instant::now();
        black_box(g.inspect_prompt(p));
        first.push(t.elapsed().as_secs_f64() * 1e6);
        drop(black_box(g));
    }
    let first_us = median(&mut first);
    // The guard without its warm-up: what it holds before any search
    // cache is filled (the target counts those apart, per thread).
    let before = LIVE.load(Ordering::Relaxed);
    let cold = palisade::internal::build_cold(&policy).expect("default policy builds");
    let held_cold = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    drop(cold);
    let guard = Guard::new(&policy).expect("default policy builds");
    // What the guard holds apart from the regexes' search caches (lazy DFA
    // states built for the text seen so far, per thread).
    let (automata_bytes, regex_bytes) = palisade::internal::engine_memory(&guard);
    let mut rest: Vec<f64> = first_prompts[5..]
        .iter()
        .map(|p| {
            let t = Instant::now();
            black_box(guard.inspect_prompt(p));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let steady_us = median(&mut rest);

    // Latency over many different prompts.
    let mut latency = Map::new();
    for (size, count) in [(200usize, 4000usize), (2048, 2000), (32 << 10, 200)] {
        let mut per = Map::new();
        for kind in PromptKind::ALL {
            let ps = prompts(kind, size, count, 7);
            // One untimed pass over other prompts of the family: warm code,
            // not these inputs.
            for p in prompts(kind, size, 50, 8) {
                black_box(guard.inspect_prompt(&p));
            }
            let a0 = ALLOCS.load(Ordering::Relaxed);
            let mut us: Vec<f64> = ps
                .iter()
                .map(|p| {
                    let t = Instant::now();
                    black_box(guard.inspect_prompt(p));
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            let allocs = (ALLOCS.load(Ordering::Relaxed) - a0) as f64 / ps.len() as f64;
            us.sort_by(f64::total_cmp);
            per.insert(kind.name().into(), json!({"p50_us": r2(pct(&us, 0.5)), "p99_us": r2(pct(&us, 0.99)), "allocs_per_call": r2(allocs), "prompts": count}));
        }
        latency.insert(format!("{size}B"), Value::Object(per));
    }
    {
        let rs: Vec<String> = (0..500).map(|i| english(8 << 10, 1000 + i)).collect();
        let mut us: Vec<f64> = rs
            .iter()
            .map(|r| {
                let t = Instant::now();
                black_box(guard.inspect_response(r));
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        us.sort_by(f64::total_cmp);
        latency.insert("response_8KB".into(), json!({"p50_us": r2(pct(&us, 0.5)), "p99_us": r2(pct(&us, 0.99)), "responses": rs.len()}));
    }

    // Throughput, with the baseline on the same chunks.
    let ac = baseline(&guard);
    let mut texts: Vec<(&str, bool, String)> = KINDS
        .iter()
        .map(|k| {
            // The issue asks for 1 MB of one repeated phrase.
            let n = if k.name == "repeated_phrase" {
                1 << 20
            } else {
                mb << 20
            };
            (k.name, k.hostile, (k.make)(n, 42))
        })
        .collect();
    if let Some(t) = corpus_mix(mb << 20) {
        texts.push(("corpus_mix", false, t));
    }
    let mut throughput = Map::new();
    let mut english_ns_per_byte = 0.0;
    for (name, hostile, text) in &texts {
        let cs = chunks(text, chunk);
        let mut ours = Vec::new();
        let mut base = Vec::new();
        let mut findings = 0usize;
        for _ in 0..3 {
            let t = Instant::now();
            findings = cs
                .iter()
                .map(|c| guard.inspect_prompt(c).findings.len())
                .sum();
            ours.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            black_box(cs.iter().map(|c| baseline_scan(&ac, c)).sum::<usize>());
            base.push(t.elapsed().as_secs_f64());
        }
        let (o, b) = (median(&mut ours), median(&mut base));
        let mbytes = text.len() as f64 / (1 << 20) as f64;
        let ns_per_byte = o * 1e9 / text.len() as f64;
        if *name == "english" {
            english_ns_per_byte = ns_per_byte;
        }
        let mut e = json!({
            "mbps": r2(mbytes / o),
            "baseline_mbps": r2(mbytes / b),
            "ratio": r2(o / b),
            "bytes": text.len(),
            "findings": findings,
        });
        if *hostile && english_ns_per_byte > 0.0 {
            e["vs_benign"] = json!(r2(ns_per_byte / english_ns_per_byte));
        }
        throughput.insert((*name).into(), e);
    }

    let out = json!({
        "palisade": palisade::VERSION,
        "policy_fingerprint": guard.fingerprint(),
        "rules": guard.rule_count(),
        "literals": palisade::internal::literals(&guard).len(),
        "build": {"ms_median": r2(median(&mut build_ms)), "guard_bytes": held, "guard_bytes_cold": held_cold, "automata_bytes": automata_bytes, "regex_bytes": regex_bytes, "first_call_us": r2(first_us), "steady_call_us": r2(steady_us)},
        "latency": latency,
        "throughput": throughput,
        "chunk_bytes": chunk,
        "report_seconds": r2(t0.elapsed().as_secs_f64()),
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
}
