//! Latency of one inspection: prompts of 200 B, 2 KB and 32 KB (benign and
//! attack, ASCII and multilingual), 8 KB responses, guard build, and
//! streams against one-shot inspection.
//! Each iteration inspects the NEXT of 256 different prompts, so caches
//! are not flattered by one repeated input.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use palisade::{Guard, Mode, Policy};
use palisade_benches::{PromptKind, english, prompts};
use std::hint::black_box;

fn inspect_prompt(c: &mut Criterion) {
    let guard = Guard::default();
    let mut g = c.benchmark_group("inspect_prompt");
    for size in [200usize, 2048, 32 << 10] {
        for kind in PromptKind::ALL {
            let ps = prompts(kind, size, 256, 7);
            g.throughput(Throughput::Bytes(size as u64));
            g.bench_with_input(BenchmarkId::new(kind.name(), size), &ps, |b, ps| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % ps.len();
                    black_box(guard.inspect_prompt(&ps[i]))
                })
            });
        }
    }
    g.finish();
}

fn inspect_response(c: &mut Criterion) {
    let guard = Guard::default();
    let rs: Vec<String> = (0..256).map(|i| english(8 << 10, 500 + i)).collect();
    let mut g = c.benchmark_group("inspect_response");
    g.throughput(Throughput::Bytes(8 << 10));
    g.bench_function("english_8KB", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % rs.len();
            black_box(guard.inspect_response(&rs[i]))
        })
    });
    g.finish();
}

fn build(c: &mut Criterion) {
    let policy = Policy::default();
    let mut g = c.benchmark_group("guard");
    g.sample_size(10);
    g.bench_function("build_default", |b| {
        b.iter(|| black_box(Guard::new(&policy)))
    });
    g.finish();
}

/// Stream overhead: the same 8 KB and 64 KB responses inspected one-shot
/// and fed through `Guard::stream` in 16-byte chunks (a token or two per
/// chunk, as models send them), in one group so the ratio is read from
/// one run.
fn stream(c: &mut Criterion) {
    let guard = Guard::default();
    let mut g = c.benchmark_group("stream");
    for size in [8usize << 10, 64 << 10] {
        let rs: Vec<String> = (0..64).map(|i| english(size, 900 + i)).collect();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("one_shot", size), &rs, |b, rs| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % rs.len();
                black_box(guard.inspect_response(&rs[i]))
            })
        });
        g.bench_with_input(BenchmarkId::new("chunks_16B", size), &rs, |b, rs| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % rs.len();
                let mut s = guard.stream(Mode::Response, None);
                let mut n = 0;
                for c in rs[i].as_bytes().chunks(16) {
                    n += s.push(c).text.len();
                }
                n += s.finish().text.len();
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, inspect_prompt, inspect_response, build, stream);
criterion_main!(benches);
