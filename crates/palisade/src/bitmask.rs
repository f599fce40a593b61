//! Bit masks of byte classes, 64 bytes a word, for scans that look for
//! the few bytes that matter (the brackets of a line of code) in text
//! that is mostly other bytes. (The decoders' scan for base64 runs was
//! tried on them and lost: its classes are a table look-up, which the
//! compiler does not make vector code.)
//!
//! A byte at a time, with a branch on its class, the suffix detector's
//! prefilter took about 37 instructions a byte of code (callgrind: 19.6M
//! for eight 64 KB texts). Masks are made 64 bytes at a time, a class byte
//! each (compares the compiler makes vector ones) gathered eight bytes at
//! a time into bits by a multiplication (~5 instructions a byte for three
//! classes); a scan then steps from one byte that matters to the next
//! with a bit search.

/// The masks of a text: word `w`, mask `m`, bit `k` says whether byte
/// `64 * w + k` is of class `m`. Bytes past the text take the classes of
/// a padding byte, and one last word of padding follows, so that a search
/// for a byte the padding is (or is not) always ends.
#[derive(Default)]
pub(crate) struct ByteMasks<const N: usize> {
    pub words: Vec<[u64; N]>,
}

impl<const N: usize> ByteMasks<N> {
    /// The masks of `b`, 64 bytes at a time by `block` (word `m` of its
    /// answer: the bytes of class `m`); `pad` stands for the bytes past
    /// the end.
    #[inline]
    pub fn fill(&mut self, b: &[u8], pad: u8, block: impl Fn(&[u8; 64]) -> [u64; N]) {
        self.words.clear();
        self.words.reserve(b.len() / 64 + 2);
        let mut blocks = b.chunks_exact(64);
        for chunk in &mut blocks {
            let chunk: &[u8; 64] = chunk.try_into().unwrap_or(&[0; 64]);
            self.words.push(block(chunk));
        }
        let mut last = [pad; 64];
        let rest = blocks.remainder();
        if !rest.is_empty() {
            last[..rest.len()].copy_from_slice(rest);
            self.words.push(block(&last));
        }
        self.words.push(block(&[pad; 64]));
    }

    /// The first byte at or after `from` whose bit is set in `pick(word)`
    /// (a mask, or a mask's complement, or several masks' union); past the
    /// text and its last word, the byte after that word.
    #[inline]
    pub fn next(&self, from: usize, pick: impl Fn(&[u64; N]) -> u64) -> usize {
        let mut w = from / 64;
        let Some(word) = self.words.get(w) else {
            return from;
        };
        let mut bits = pick(word) & (!0u64 << (from % 64));
        while bits == 0 {
            w += 1;
            match self.words.get(w) {
                Some(word) => bits = pick(word),
                None => return w * 64,
            }
        }
        w * 64 + bits.trailing_zeros() as usize
    }

    /// How many bytes of `from..to` are of class `m`, counted up to 2.
    #[inline]
    pub fn count_to_two(&self, m: usize, from: usize, to: usize) -> u32 {
        let mut n = 0u32;
        let mut at = from;
        while at < to && n < 2 {
            let (w, k) = (at / 64, at % 64);
            let width = (to - at).min(64 - k);
            let field = (self.words[w][m] >> k) & (!0u64 >> (64 - width));
            n += at_most_two(field);
            at += width;
        }
        n.min(2)
    }

    /// The bytes of `from..to` of class `m`, in order.
    pub fn ones(&self, m: usize, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
        let mut w = from / 64;
        let mut bits = self
            .words
            .get(w)
            .map_or(0, |x| x[m] & (!0u64 << (from % 64)));
        std::iter::from_fn(move || {
            loop {
                if bits != 0 {
                    let at = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    return (at < to).then_some(at);
                }
                w += 1;
                if w * 64 >= to {
                    return None;
                }
                bits = self.words.get(w)?[m];
            }
        })
    }
}

/// The masks of 64 bytes whose byte `c` is of class `m` when bit `m` of
/// `classify(c)` is set: a class byte each, then eight bytes at a time
/// gathered into eight bits per class by a multiplication. (Where SSE2
/// is at hand, its compares and `pmovmskb` do this 16 bytes a step: see
/// the `sse2` module.)
#[inline]
pub(crate) fn block_masks<const N: usize>(
    block: &[u8; 64],
    classify: impl Fn(u8) -> u8,
) -> [u64; N] {
    let mut classes = [0u8; 64];
    for (cl, &c) in classes.iter_mut().zip(block) {
        *cl = classify(c);
    }
    let mut out = [0u64; N];
    for (j, eight) in classes.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(eight.try_into().unwrap_or([0; 8]));
        for (m, mask) in out.iter_mut().enumerate() {
            *mask |= gather8((w >> m) & LO) << (8 * j);
        }
    }
    out
}

/// Byte-class masks 16 bytes a step, with the SSE2 instructions every
/// x86-64 processor has (through `safe_arch`: the crate forbids `unsafe`):
/// a compare per class and range, then one instruction that gathers the
/// 16 comparisons into 16 bits. About a third of the instructions the
/// multiplication of [`block_masks`] takes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) mod sse2 {
    use safe_arch::{
        bitand_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, m128i, max_u8_m128i,
        min_u8_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };

    /// 16 bytes of text.
    #[derive(Clone, Copy)]
    pub(crate) struct Bytes16(m128i);

    /// A comparison per byte: all ones where it holds.
    #[derive(Clone, Copy)]
    pub(crate) struct Lanes(m128i);

    fn splat(c: u8) -> m128i {
        set_splat_i8_m128i(c as i8)
    }

    impl Bytes16 {
        pub(crate) fn load(b: &[u8; 16]) -> Bytes16 {
            Bytes16(load_unaligned_m128i(b))
        }

        /// Each byte with `bits` set (`c | bits`).
        pub(crate) fn or(self, bits: u8) -> Bytes16 {
            Bytes16(bitor_m128i(self.0, splat(bits)))
        }

        /// Each byte with only `bits` kept (`c & bits`).
        pub(crate) fn and(self, bits: u8) -> Bytes16 {
            Bytes16(bitand_m128i(self.0, splat(bits)))
        }

        pub(crate) fn eq(self, c: u8) -> Lanes {
            Lanes(cmp_eq_mask_i8_m128i(self.0, splat(c)))
        }

        /// The bytes in `lo..=hi`, unsigned.
        pub(crate) fn within(self, lo: u8, hi: u8) -> Lanes {
            let clamped = min_u8_m128i(max_u8_m128i(self.0, splat(lo)), splat(hi));
            Lanes(cmp_eq_mask_i8_m128i(clamped, self.0))
        }

        /// The ASCII letters, either case (as [`super::ascii_letters`]).
        pub(crate) fn letters(self) -> Lanes {
            self.or(0x20).within(b'a', b'z')
        }

        /// The ASCII letters and digits (as [`super::ascii_alnum`]).
        pub(crate) fn alnum(self) -> Lanes {
            self.within(b'0', b'9').or(self.letters())
        }

        /// Bit `k`: byte `k` is outside ASCII (its high bit set).
        pub(crate) fn high(self) -> u64 {
            u64::from(move_mask_i8_m128i(self.0) as u16)
        }
    }

    impl Lanes {
        pub(crate) fn or(self, other: Lanes) -> Lanes {
            Lanes(bitor_m128i(self.0, other.0))
        }

        /// Bit `k`: lane `k` holds.
        pub(crate) fn bits(self) -> u64 {
            u64::from(move_mask_i8_m128i(self.0) as u16)
        }
    }
}

/// The high bits of the bytes of `lo` and then `hi` (masks of eight
/// bytes each) as 16 bits, bit `k` for byte `k`: the SSE2 paths' form, made
/// from the word masks where there is no SSE2 (and in their tests).
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
pub(crate) fn gather16(lo: u64, hi: u64) -> u32 {
    (gather8((lo >> 7) & LO) | (gather8((hi >> 7) & LO) << 8)) as u32
}

/// Eight bytes of 0 or 1 as eight bits, bit `k` for byte `k`: the
/// product gathers byte `k`'s bit into bit `56 + k`.
#[inline(always)]
fn gather8(x: u64) -> u64 {
    x.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The number of bits set in `x`, up to 2 (two operations, where a count
/// of them all takes a dozen on CPUs without a population count).
#[inline]
pub(crate) fn at_most_two(x: u64) -> u32 {
    u32::from(x != 0) + u32::from(x & x.wrapping_sub(1) != 0)
}

// Eight bytes in a `u64` (little-endian), one bit or value per byte: the
// scans that read a word at a time (views, decoders, detectors) share
// these.

/// One in every byte of a word.
pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a word.
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes `i..i + 8` of `b` as a little-endian `u64`.
#[inline]
pub(crate) fn load8(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

/// The high bit of each byte of `x` equal to `c` (`c < 0x80`).
#[inline]
pub(crate) fn bytes_eq(x: u64, c: u8) -> u64 {
    // Below 0x80 after the xor: adding 0x7F sets the high bit of every
    // byte but the zero ones, and carries into no other byte.
    !(((x & !HI) ^ (u64::from(c) * LO)) + 0x7F * LO) & !x & HI
}

/// The high bit of each byte of `x` in `lo..=hi` (`lo <= hi < 0x80`).
#[inline]
pub(crate) fn bytes_in(x: u64, lo: u8, hi: u8) -> u64 {
    // On the low seven bits no sum carries into the next byte.
    let y = x & !HI;
    (y + (0x80 - u64::from(lo)) * LO) & !(y + (0x7F - u64::from(hi)) * LO) & !x & HI
}

/// The high bit of each ASCII letter of `x` (either case).
#[inline]
pub(crate) fn ascii_letters(x: u64) -> u64 {
    // Setting bit 5 maps `A`..=`Z` onto `a`..=`z` and no other byte there.
    bytes_in(x | (0x20 * LO), b'a', b'z')
}

/// The high bit of each ASCII letter or digit of `x`.
#[inline]
pub(crate) fn ascii_alnum(x: u64) -> u64 {
    ascii_letters(x) | bytes_in(x, b'0', b'9')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word tests say what a byte at a time says, for every byte.
    #[test]
    fn word_tests_match_bytes() {
        for b in 0..=255u8 {
            // The byte among others on either side of it.
            let w = [0x7F, 0x00, b, 0xFF, 0x20, b, 0x80, 0x41];
            let x = u64::from_le_bytes(w);
            let mask = |f: &dyn Fn(u8) -> bool| {
                w.iter()
                    .enumerate()
                    .fold(0u64, |m, (k, &c)| m | (u64::from(f(c)) << (8 * k + 7)))
            };
            for c in [0u8, b' ', b'\t', b'a', 0x7F] {
                assert_eq!(bytes_eq(x, c), mask(&|d| d == c), "{b:#x} {c:#x}");
            }
            for (lo, hi) in [(0x09, 0x0D), (b'0', b'9'), (0, 0x7F), (0x41, 0x41)] {
                assert_eq!(
                    bytes_in(x, lo, hi),
                    mask(&|d| (lo..=hi).contains(&d)),
                    "{b:#x}"
                );
            }
            assert_eq!(
                ascii_letters(x),
                mask(&|d| d.is_ascii_alphabetic()),
                "{b:#x}"
            );
            assert_eq!(
                ascii_alnum(x),
                mask(&|d| d.is_ascii_alphanumeric()),
                "{b:#x}"
            );
            assert_eq!(load8(&w, 0), x);
        }
    }
}
