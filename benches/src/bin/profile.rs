//! A fixed workload for instruction-count profiling:
//! `valgrind --tool=callgrind --toggle-collect=profile::run target/release/profile [KIND] [N] [BYTES]`
//! inspects N different prompts of BYTES (default 2048) of family KIND (benign_ascii, attack_ascii,
//! benign_multilingual, attack_multilingual; default benign_ascii, 200), or
//! N texts of a throughput kind (code, json, english, multilingual,
//! repeated, nested, dense: attack-dense text, combining and invisible:
//! floods of combining marks and of invisible characters).
//!
//! With `--time` (last argument) it times the calls instead, for comparing
//! two builds on the same machine in one sitting: five passes over the N
//! inputs, median and 90th percentile in µs. `profile build --time` times
//! 20 guard builds (median, ms). With `--worst` it prints the five inputs
//! slowest at their fastest of five calls (index, µs, first 80 bytes):
//! what sets the 99th percentile. With `--first` it times the first eight
//! calls of fresh guards (median per call position over nine guards, each
//! call on a different input): the first-call penalty after build.

use palisade::Guard;
use palisade_benches::{PromptKind, prompts};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let time = args.last().is_some_and(|a| a == "--time");
    let worst = args.last().is_some_and(|a| a == "--worst");
    let first = args.last().is_some_and(|a| a == "--first");
    if time || worst || first {
        args.pop();
    }
    if time && args.get(1).is_some_and(|a| a == "build") {
        let mut ms: Vec<f64> = (0..20)
            .map(|_| {
                let t = Instant::now();
                black_box(Guard::default());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        println!("guard build: median {:.1} ms over 20", ms[10]);
        return;
    }
    let kind = PromptKind::ALL
        .into_iter()
        .find(|k| args.get(1).is_some_and(|a| a == k.name()))
        .unwrap_or(PromptKind::BenignAscii);
    let n = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let size = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2048);
    // Whole texts of one kind (`code`, `json`, `english`, `multilingual`)
    // as N inputs of BYTES each, for the throughput figures.
    let text_kind: Option<fn(usize, u64) -> String> = match args.get(1).map(String::as_str) {
        Some("code") => Some(palisade_benches::code),
        Some("json") => Some(palisade_benches::json_logs),
        Some("english") => Some(palisade_benches::english),
        Some("multilingual") => Some(palisade_benches::multilingual),
        Some("repeated") => Some(|n, _| palisade_benches::repeated_phrase(n)),
        Some("nested") => Some(palisade_benches::nested_encodings),
        Some("dense") => Some(palisade_benches::attack_dense),
        Some("combining") => Some(palisade_benches::combining_flood),
        Some("invisible") => Some(palisade_benches::invisible_flood),
        _ => None,
    };
    let ps = match text_kind {
        Some(f) => (0..n as u64)
            .map(|i| {
                let mut t = f(size, i);
                t.truncate(palisade_benches::floor(&t, size));
                t
            })
            .collect(),
        None => prompts(kind, size, n, 7),
    };
    if first {
        // The first calls of fresh guards: per call position, the median
        // over 9 guards, each call on a different input.
        let rounds = 9;
        let calls = ps.len().min(8);
        let mut us = vec![Vec::new(); calls];
        for r in 0..rounds {
            let guard = Guard::default();
            for (c, p) in ps.iter().skip(r).take(calls).enumerate() {
                us[c].push(first_call(&guard, p));
            }
        }
        for (c, v) in us.iter_mut().enumerate() {
            v.sort_by(f64::total_cmp);
            println!("call {}: median {:.2} us", c + 1, v[v.len() / 2]);
        }
        return;
    }
    let guard = Guard::default();
    if worst {
        let mut best: Vec<(f64, usize)> = ps
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let us = (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        black_box(guard.inspect_prompt(p));
                        t.elapsed().as_secs_f64() * 1e6
                    })
                    .fold(f64::INFINITY, f64::min);
                (us, i)
            })
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        for &(us, i) in best.iter().take(5) {
            let p = &ps[i];
            let head = &p[..palisade_benches::floor(p, 80)];
            println!("#{i}: {us:.2} us  {head:?}");
        }
        return;
    }
    if time {
        let mut us = Vec::with_capacity(ps.len() * 5);
        for _ in 0..5 {
            for p in &ps {
                let t = Instant::now();
                black_box(guard.inspect_prompt(p));
                us.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        us.sort_by(f64::total_cmp);
        println!(
            "{} inputs x 5: p50 {:.2} us, p90 {:.2} us",
            ps.len(),
            us[us.len() / 2],
            us[us.len() * 9 / 10]
        );
        return;
    }
    let findings = run(&guard, &ps);
    let (automata, regexes) = palisade::internal::engine_memory(&guard);
    println!(
        "{} prompts, {findings} findings; guard: automata {automata} bytes, regexes {regexes} bytes",
        ps.len()
    );
}

/// One timed call (its own symbol, for callgrind's `--toggle-collect`).
#[inline(never)]
fn first_call(guard: &Guard, p: &str) -> f64 {
    let t = Instant::now();
    black_box(guard.inspect_prompt(p));
    t.elapsed().as_secs_f64() * 1e6
}

/// The measured part, apart from building the guard: profile it with
/// `--toggle-collect=profile::run`.
#[inline(never)]
fn run(guard: &Guard, ps: &[String]) -> usize {
    let mut findings = 0;
    for p in ps {
        findings += black_box(guard.inspect_prompt(p)).findings.len();
    }
    findings
}
