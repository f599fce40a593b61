//! Throughput (bytes/s) on generated texts of each kind, palisade against
//! the bare Aho-Corasick pass over the same chunks. Texts are
//! `PALISADE_BENCH_MB` MB (default 2; the report uses 10) inspected in
//! 64 KiB calls.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use palisade::Guard;
use palisade_benches::{KINDS, baseline, baseline_scan, chunks};
use std::hint::black_box;

fn throughput(c: &mut Criterion) {
    let guard = Guard::default();
    let ac = baseline(&guard);
    let mb: usize = std::env::var("PALISADE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut g = c.benchmark_group("throughput");
    g.sample_size(10);
    for k in KINDS {
        let n = if k.name == "repeated_phrase" {
            1 << 20
        } else {
            mb << 20
        };
        let text = (k.make)(n, 42);
        let cs = chunks(&text, 64 << 10);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("palisade", k.name), &cs, |b, cs| {
            b.iter(|| {
                cs.iter()
                    .map(|c| guard.inspect_prompt(c).findings.len())
                    .sum::<usize>()
            })
        });
        g.bench_with_input(BenchmarkId::new("baseline", k.name), &cs, |b, cs| {
            b.iter(|| {
                cs.iter()
                    .map(|c| baseline_scan(&ac, black_box(c)))
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
