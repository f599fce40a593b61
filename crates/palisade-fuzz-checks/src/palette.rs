//! A palette of the characters attackers and normalisation edge cases are
//! made of. Random bytes rarely form a tag character or a combining mark
//! after a Cyrillic letter; mapping each input byte to a palette entry
//! makes every fuzz input such a mix.

/// Entries: ASCII letters and separators, look-alikes, compatibility
/// forms, characters that fold to several, combining marks, invisible
/// characters, tags, variation selectors, bidi controls, characters whose
/// NFKC form starts with a space or a mark, and invalid UTF-8.
const PALETTE: &[&[u8]] = &[
    b"a",
    b"e",
    b"i",
    b"o",
    b"g",
    b"n",
    b"r",
    b"s",
    b"k",
    b"A",
    b"I",
    b"1",
    b"0",
    b"3",
    b"@",
    b"$",
    b" ",
    b"  ",
    b"\n",
    b"\t",
    b".",
    b"-",
    b"_",
    b"/",
    b"=",
    b"+",
    b"%",
    b"&",
    b"\\",
    b"\x00",
    b"\x7f",
    "\u{430}".as_bytes(),   // Cyrillic a
    "\u{435}".as_bytes(),   // Cyrillic e
    "\u{3bf}".as_bytes(),   // Greek omicron
    "\u{ff49}".as_bytes(),  // full-width i
    "\u{1d422}".as_bytes(), // mathematical bold i
    "\u{24d8}".as_bytes(),  // circled i
    "\u{df}".as_bytes(),    // sharp s -> ss
    "\u{130}".as_bytes(),   // capital I with dot
    "\u{fb01}".as_bytes(),  // fi ligature
    "\u{2163}".as_bytes(),  // Roman numeral four
    "\u{301}".as_bytes(),   // combining acute
    "\u{308}".as_bytes(),   // combining diaeresis
    "\u{a8}".as_bytes(),    // diaeresis: NFKC starts with a space
    "\u{2002}".as_bytes(),  // en space
    "\u{3000}".as_bytes(),  // ideographic space
    "\u{200b}".as_bytes(),  // zero-width space
    "\u{200d}".as_bytes(),  // zero-width joiner
    "\u{ad}".as_bytes(),    // soft hyphen
    "\u{feff}".as_bytes(),  // BOM
    "\u{202e}".as_bytes(),  // right-to-left override
    "\u{2066}".as_bytes(),  // left-to-right isolate
    "\u{fe0f}".as_bytes(),  // variation selector 16
    "\u{fe00}".as_bytes(),  // variation selector 1
    "\u{e0100}".as_bytes(), // variation selector 17
    "\u{e0001}".as_bytes(), // language tag
    "\u{e0069}".as_bytes(), // tag i
    "\u{e0067}".as_bytes(), // tag g
    "\u{e007f}".as_bytes(), // cancel tag
    "\u{4e2d}".as_bytes(),  // CJK
    "\u{627}".as_bytes(),   // Arabic alef
    "\u{915}".as_bytes(),   // Devanagari ka
    "\u{94d}".as_bytes(),   // Devanagari virama (a mark)
    "\u{1f600}".as_bytes(), // emoji
    "\u{fffd}".as_bytes(),  // replacement character
    "\u{fdfa}".as_bytes(),  // Arabic ligature: NFKC expands 18-fold
    "\u{3392}".as_bytes(),  // square MHz
    b"\xff",                // invalid byte
    b"\xe2\x82",            // truncated sequence
    b"\xc0\xaf",            // overlong
    b"\xed\xa0\x80",        // surrogate
    b"ignore",
    b"previous",
    b"instructions",
    b"AKIA",
    b"ghp_",
    b"aWdub3Jl",
    b"&#105;",
    b"%69",
    b"\\u0069",
];

/// Maps every byte of `bytes` to a palette entry.
pub fn expand(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(PALETTE[b as usize % PALETTE.len()]);
    }
    out
}

/// `bytes` as given (`mode` even) or through the palette (`mode` odd).
pub fn text(mode: u8, bytes: &[u8]) -> Vec<u8> {
    if mode & 1 == 1 {
        expand(bytes)
    } else {
        bytes.to_vec()
    }
}
