//! A small deterministic generator for the randomised unit tests (the
//! property tests use proptest; these loops want millions of cheap draws).

/// xorshift64: the same seed gives the same draws on every run.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from `seed` (not 0).
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A draw in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
