//! Replays the committed fuzz corpora on stable: every file under
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` goes through the
//! same invariant checks the fuzz target runs. A failing file is named.

use palisade_fuzz_checks::{TARGETS, alloc};
use std::path::{Path, PathBuf};

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn replay(kind: &str) -> usize {
    let mut n = 0;
    let mut failed = Vec::new();
    for t in TARGETS {
        for f in files(&fuzz_dir().join(kind).join(t.name)) {
            let data = std::fs::read(&f).expect("read corpus file");
            n += 1;
            if std::panic::catch_unwind(|| (t.run)(&data)).is_err() {
                failed.push(f.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "invariants broken by: {failed:#?}");
    n
}

#[test]
fn seeds() {
    let n = replay("seeds");
    // Every target has seeds; an empty directory would make this vacuous.
    for t in TARGETS {
        assert!(
            !files(&fuzz_dir().join("seeds").join(t.name)).is_empty(),
            "no seeds for {}",
            t.name
        );
    }
    assert!(n >= TARGETS.len());
}

#[test]
fn regressions() {
    replay("regressions");
}
