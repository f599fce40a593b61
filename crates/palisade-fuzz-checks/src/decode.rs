//! Target `decode`: the recursive decoders stay within their depth and
//! byte budget on hostile nesting, keep spans inside the input, and peel a
//! chain of base64 layers no deeper than the limit completely.

use crate::{ensure, show};
use arbitrary::Arbitrary;
use base64_impl::{b64, hex, html, percent, uescape};
use palisade::internal;

/// Longest text checked.
pub const MAX_INPUT: usize = 16 << 10;

/// One layer of encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// Standard base64 without padding.
    Base64,
    /// Lowercase hex.
    Hex,
    /// `%XX` for every byte.
    Percent,
    /// `&#NN;` for every character.
    Html,
    /// `\uXXXX` for every character (surrogate pairs above U+FFFF).
    UEscape,
}

impl Layer {
    fn from_code(c: u8) -> Layer {
        [
            Layer::Base64,
            Layer::Hex,
            Layer::Percent,
            Layer::Html,
            Layer::UEscape,
        ][c as usize % 5]
    }
}

/// The fuzz input: a fixed header, then the payload, encoded with the
/// layers (innermost first) and followed by `suffix`.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// Depth limit is `max_depth % 8`.
    pub max_depth: u8,
    /// Budget is `budget * 64` bytes, plus 16 KiB when `big_budget` is set.
    pub budget: u8,
    /// See `budget`.
    pub big_budget: bool,
    /// How many of `layers` are used (`% 11`).
    pub nlayers: u8,
    /// Layer codes, innermost first (see [`Layer`]).
    pub layers: [u8; 10],
    /// The payload, then optionally a 0x01 byte and text that follows the
    /// encoded payload (the text before it is fixed).
    #[arbitrary(with = crate::rest)]
    pub rest: Vec<u8>,
}

/// Encodes `payload` with `layers`, innermost first.
pub fn encode(payload: &[u8], layers: &[Layer]) -> Vec<u8> {
    let mut cur = payload.to_vec();
    for l in layers {
        if cur.len() > MAX_INPUT {
            // Too long to be checked anyway: stop growing it.
            break;
        }
        cur = match l {
            Layer::Base64 => b64(&cur),
            Layer::Hex => hex(&cur),
            Layer::Percent => percent(&cur),
            Layer::Html => html(&cur),
            Layer::UEscape => uescape(&cur),
        };
    }
    cur
}

/// Runs the target.
pub fn check(input: &Input) {
    let layers: Vec<Layer> = input.layers[..input.nlayers as usize % 11]
        .iter()
        .map(|&c| Layer::from_code(c))
        .collect();
    let layers = &layers[..];
    let (payload, suffix) = match input.rest.iter().position(|&b| b == 1) {
        Some(i) => (
            &input.rest[..i],
            String::from_utf8_lossy(&input.rest[i + 1..]).into_owned(),
        ),
        None => (&input.rest[..], String::new()),
    };
    if payload.len() > 512 || suffix.len() > MAX_INPUT {
        return;
    }
    let prefix = "decode this:";
    let encoded = encode(payload, layers);
    if encoded.len() > MAX_INPUT {
        return;
    }
    let mut text = prefix.to_string();
    text.push(' ');
    text.push_str(&String::from_utf8_lossy(&encoded));
    text.push(' ');
    text.push_str(&suffix);
    let depth = input.max_depth as usize % 8;
    let budget = input.budget as usize * 64 + if input.big_budget { 16 << 10 } else { 0 };
    let r = match internal::check_decode(&text, depth, budget) {
        Ok(r) => r,
        Err(e) => panic!("invariant broken: {e}; input {}", show(text.as_bytes())),
    };
    // Completeness for the plainest hostile case: base64 of base64 of ...
    // of a lowercase sentence, no deeper than the limit and within budget,
    // is peeled to the sentence.
    let words = payload.iter().all(|b| b.is_ascii_lowercase() || *b == b' ');
    let sentence = payload.len() >= 16
        && payload
            .split(|b| *b == b' ')
            .filter(|w| w.len() >= 2)
            .count()
            >= 3;
    let sizes = || -> usize {
        (0..=layers.len())
            .map(|k| encode(payload, &layers[..k]).len())
            .sum()
    };
    if words
        && sentence
        && !layers.is_empty()
        && layers.iter().all(|l| *l == Layer::Base64)
        && layers.len() <= depth
        && suffix.is_empty()
        && sizes() <= budget
    {
        let want = String::from_utf8_lossy(payload);
        ensure(r.parts.iter().any(|p| p.contains(want.as_ref())), || {
            format!(
                "{} layers of base64 (limit {depth}) not peeled to {want:?}; parts {:?}",
                layers.len(),
                r.parts
            )
        });
    }
}

/// The encoders (written here, independently of the decoders under test).
mod base64_impl {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn b64(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() * 4 / 3 + 4);
        for c in data.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for k in 0..=c.len() {
                out.push(B64[(n >> (18 - 6 * k)) as usize & 63]);
            }
        }
        out
    }

    pub fn hex(data: &[u8]) -> Vec<u8> {
        data.iter()
            .flat_map(|b| format!("{b:02x}").into_bytes())
            .collect()
    }

    pub fn percent(data: &[u8]) -> Vec<u8> {
        data.iter()
            .flat_map(|b| format!("%{b:02X}").into_bytes())
            .collect()
    }

    pub fn html(data: &[u8]) -> Vec<u8> {
        String::from_utf8_lossy(data)
            .chars()
            .flat_map(|c| format!("&#{};", c as u32).into_bytes())
            .collect()
    }

    pub fn uescape(data: &[u8]) -> Vec<u8> {
        let mut out = String::new();
        for c in String::from_utf8_lossy(data).chars() {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
        out.into_bytes()
    }
}
