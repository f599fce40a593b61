//! Generates `crates/palisade/src/tables.rs`.
//!
//! Run from the workspace root (or anywhere):
//!
//! ```text
//! cargo run --release --manifest-path tools/gen-unicode/Cargo.toml
//! ```
//!
//! The output is fully determined by the pinned versions of the Unicode data
//! crates in `Cargo.lock`; running it twice produces identical bytes.
//!
//! Pass `--explain` to print, instead of writing the file, a sample of the
//! confusable mappings that were accepted and rejected (for reviewing).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Default_Ignorable_Code_Point, from DerivedCoreProperties.txt (identical in
/// Unicode 15.1, 16.0, 17.0 and 18.0). No public crate API exposes the
/// property, so it is hard-coded here and cross-checked against
/// `unicode_security::skeleton`, which removes exactly these code points.
const DEFAULT_IGNORABLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),   // SOFT HYPHEN
    (0x034F, 0x034F),   // COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),   // ARABIC LETTER MARK
    (0x115F, 0x1160),   // HANGUL CHOSEONG/JUNGSEONG FILLER
    (0x17B4, 0x17B5),   // KHMER VOWEL INHERENT AQ/AA
    (0x180B, 0x180F),   // MONGOLIAN FVS1..3, VOWEL SEPARATOR, FVS4
    (0x200B, 0x200F),   // ZWSP, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),   // bidi embeddings/overrides
    (0x2060, 0x206F),   // WORD JOINER .. NOMINAL DIGIT SHAPES (incl. bidi isolates)
    (0x3164, 0x3164),   // HANGUL FILLER
    (0xFE00, 0xFE0F),   // VARIATION SELECTOR-1..16
    (0xFEFF, 0xFEFF),   // ZERO WIDTH NO-BREAK SPACE (BOM)
    (0xFFA0, 0xFFA0),   // HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),   // unassigned, reserved as ignorable
    (0x1BCA0, 0x1BCA3), // SHORTHAND FORMAT controls
    (0x1D173, 0x1D17A), // MUSICAL SYMBOL BEGIN/END BEAM..PHRASE
    (0xE0000, 0xE0FFF), // TAGS, VARIATION SELECTOR-17..256, reserved
];

fn is_default_ignorable(c: char) -> bool {
    let c = c as u32;
    DEFAULT_IGNORABLE.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

fn is_mark(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    )
}

fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

fn all_scalars() -> impl Iterator<Item = char> {
    (0u32..=0x10FFFF).filter_map(char::from_u32)
}

/// Full default case folding (CaseFolding.txt, status C+F) from `caseless`
/// (Unicode 16.0), completed with the standard library's lowercase mapping
/// for cased letters that `caseless`' older data does not know yet.
///
/// The fallback is only used when the lowercase is itself stable under
/// `caseless` folding; this excludes Cherokee, whose small letters fold *to*
/// the capital letters.
fn case_fold_char(c: char, out: &mut String) {
    let folded: String = std::iter::once(c).default_case_fold().collect();
    if folded.chars().ne(std::iter::once(c)) {
        out.push_str(&folded);
        return;
    }
    let lower: String = c.to_lowercase().collect();
    let lower_folded: String = lower.chars().default_case_fold().collect();
    if lower != folded && lower_folded == lower {
        out.push_str(&lower);
    } else {
        out.push(c);
    }
}

struct Confusables {
    /// skeleton string -> ASCII lowercase letter(s) it stands for.
    by_skeleton: BTreeMap<String, char>,
}

impl Confusables {
    fn new() -> Self {
        let mut by_skeleton = BTreeMap::new();
        // Lowercase letters first so that e.g. the skeleton "l" (shared by
        // 'l', 'I' and '1') resolves to 'l', and "rn" (the skeleton of 'm')
        // resolves to 'm'.
        for c in ('a'..='z').chain('A'..='Z') {
            let sk = skeleton(c);
            by_skeleton.entry(sk).or_insert(c.to_ascii_lowercase());
        }
        Confusables { by_skeleton }
    }

    /// The ASCII letter that the non-ASCII char `c` is confusable with, if any.
    fn lookup(&self, c: char) -> Option<char> {
        if c.is_ascii() || !confusable_candidate(c) {
            return None;
        }
        let sk = skeleton(c);
        let mut chars = sk.chars();
        // The skeleton must start with a non-mark and may end with combining
        // marks (e.g. 'ø' -> "o\u{338}", 'ħ' -> "h\u{335}"); the marks are
        // dropped just like marks after ASCII letters elsewhere.
        if chars.next().is_none_or(is_mark) {
            return None;
        }
        let base: String = sk.chars().filter(|&m| !is_mark(m)).collect();
        let base_end = sk
            .char_indices()
            .find(|&(_, m)| is_mark(m))
            .map_or(sk.len(), |(i, _)| i);
        if base.len() != base_end {
            // a mark in the middle of the skeleton
            return None;
        }
        self.by_skeleton.get(&base).copied()
    }
}

/// Only letters and symbols are mapped through confusables. Numbers (e.g.
/// ARABIC-INDIC DIGIT ONE, skeleton "l"), punctuation, separators, marks and
/// other characters are left alone.
fn confusable_candidate(c: char) -> bool {
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter | GeneralCategoryGroup::Symbol
    )
}

fn skeleton(c: char) -> String {
    let s = c.to_string();
    unicode_security::skeleton(&s).collect()
}

/// One application of the fold pipeline to a string.
fn step(s: &str, conf: &Confusables) -> String {
    // 1. NFKC
    let nfkc: String = s.nfkc().collect();
    // 2. full case folding
    let mut cf = String::new();
    for c in nfkc.chars() {
        case_fold_char(c, &mut cf);
    }
    // 3. decompose so that marks become separate, then map confusables
    //    (Hangul syllables are kept whole: their conjoining jamo are not
    //    separate letters, and mapping e.g. U+110B IEUNG to 'o' inside every
    //    syllable would garble Korean text.)
    let mut mapped = String::new();
    let mut buf = [0u8; 4];
    for c in cf.chars() {
        let decomposed: Vec<char> = if is_hangul_syllable(c) {
            vec![c]
        } else {
            (*c.encode_utf8(&mut buf)).nfd().collect()
        };
        for d in decomposed {
            match conf.lookup(d) {
                Some(l) => mapped.push(l),
                None => mapped.push(d),
            }
        }
    }
    // 4. drop combining marks (Mn/Me) following an ASCII letter, and
    //    default-ignorable code points
    let mut dropped = String::new();
    let mut after_ascii_letter = false;
    for c in mapped.chars() {
        if is_default_ignorable(c) {
            continue;
        }
        if after_ascii_letter && is_mark(c) {
            continue;
        }
        after_ascii_letter = c.is_ascii_alphabetic();
        dropped.push(c);
    }
    // 5. recompose what is left (non-ASCII letters with their marks)
    dropped.nfc().collect()
}

fn fold_fixpoint(c: char, conf: &Confusables) -> String {
    let mut s = c.to_string();
    for _ in 0..16 {
        let next = step(&s, conf);
        if next == s {
            return s;
        }
        s = next;
    }
    panic!("fold of U+{:04X} did not reach a fixpoint: {s:?}", c as u32);
}

fn ranges(pred: impl Fn(char) -> bool) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for c in all_scalars() {
        if pred(c) {
            let c = c as u32;
            match out.last_mut() {
                Some(last) if last.1 + 1 == c => last.1 = c,
                _ => out.push((c, c)),
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => write!(out, "\\u{{{:x}}}", c as u32).unwrap(),
        }
    }
    out
}

fn version_str(v: (u64, u64, u64)) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

fn main() {
    let explain = std::env::args().any(|a| a == "--explain");

    // ---- sanity checks on the input data ------------------------------
    let nv = unicode_normalization::UNICODE_VERSION;
    let nv = (nv.0 as u64, nv.1 as u64, nv.2 as u64);
    let sv = unicode_security::UNICODE_VERSION;
    let pv = unicode_properties::UNICODE_VERSION;
    assert!(
        nv == sv && sv == pv,
        "Unicode versions of the data crates differ: normalization {nv:?}, security {sv:?}, properties {pv:?}"
    );
    let unicode_version = version_str(sv);
    let casefold_version = version_str(caseless::UNICODE_VERSION);
    let std_version = {
        let (a, b, c) = char::UNICODE_VERSION;
        format!("{a}.{b}.{c}")
    };

    for c in all_scalars() {
        let di = is_default_ignorable(c);
        let sk_empty = skeleton(c).is_empty();
        assert_eq!(
            di, sk_empty,
            "hard-coded Default_Ignorable_Code_Point disagrees with unicode-security at U+{:04X}",
            c as u32
        );
    }

    let conf = Confusables::new();

    // ---- FOLD ---------------------------------------------------------
    let mut fold: BTreeMap<u32, String> = BTreeMap::new();
    for c in all_scalars() {
        if c.is_ascii() || is_default_ignorable(c) {
            continue;
        }
        let f = fold_fixpoint(c, &conf);
        if f != c.to_string() {
            fold.insert(c as u32, f);
        }
    }

    // Idempotence: every char of every fold output must be ASCII or have no
    // entry of its own, and ASCII letters are never followed by marks.
    for (&c, f) in &fold {
        let mut prev_ascii_letter = false;
        for x in f.chars() {
            assert!(
                x.is_ascii() || !fold.contains_key(&(x as u32)),
                "not idempotent: U+{c:04X} -> {f:?} contains U+{:04X} which folds to {:?}",
                x as u32,
                fold[&(x as u32)]
            );
            assert!(
                !is_default_ignorable(x),
                "U+{c:04X} -> {f:?} contains a default-ignorable code point"
            );
            assert!(
                !(prev_ascii_letter && is_mark(x)),
                "U+{c:04X} -> {f:?} has a mark after an ASCII letter"
            );
            prev_ascii_letter = x.is_ascii_alphabetic();
        }
    }

    if explain {
        let mut accepted = BTreeMap::<char, Vec<char>>::new();
        let mut rejected = Vec::new();
        for c in all_scalars() {
            if c.is_ascii() {
                continue;
            }
            let sk = skeleton(c);
            if let Some(l) = conf.lookup(c) {
                accepted.entry(l).or_default().push(c);
            } else if !sk.is_empty()
                && sk.chars().all(|x| x.is_ascii_alphanumeric())
                && sk != c.to_string()
            {
                rejected.push((c, sk));
            }
        }
        for c in all_scalars() {
            let folded: String = std::iter::once(c).default_case_fold().collect();
            let mut ours = String::new();
            case_fold_char(c, &mut ours);
            if ours != folded {
                println!("case-fold fallback: U+{:04X} {c} -> {ours}", c as u32);
            }
        }
        for (l, cs) in &accepted {
            let s: String = cs.iter().collect();
            println!("{l} <- {} : {s}", cs.len());
        }
        println!(
            "rejected (ASCII-alnum skeleton, not accepted): {}",
            rejected.len()
        );
        for (c, sk) in &rejected {
            println!(
                "  U+{:04X} {c} {:?} -> {sk:?} fold={:?}",
                *c as u32,
                c.general_category(),
                fold.get(&(*c as u32))
            );
        }
        return;
    }

    // ---- IGNORABLE / MARKS -------------------------------------------
    let ignorable = ranges(is_default_ignorable);
    assert_eq!(ignorable, DEFAULT_IGNORABLE);
    let marks = ranges(is_mark);

    // ---- spot checks ---------------------------------------------------
    for (c, want) in [
        ('\u{430}', Some("a")),   // CYRILLIC SMALL LETTER A
        ('\u{FF21}', Some("a")),  // FULLWIDTH LATIN CAPITAL LETTER A
        ('\u{DF}', Some("ss")),   // SHARP S (full case folding)
        ('\u{1E9E}', Some("ss")), // CAPITAL SHARP S
        ('\u{E9}', Some("e")),    // e WITH ACUTE (mark after ASCII letter dropped)
        ('\u{1D41A}', Some("a")), // MATHEMATICAL BOLD SMALL A (NFKC)
        ('\u{456}', Some("i")),   // CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
        ('\u{3BF}', Some("o")),   // GREEK SMALL LETTER OMICRON
        ('\u{3BD}', Some("v")),   // GREEK SMALL LETTER NU
        ('\u{3C2}', Some("o")),   // FINAL SIGMA -> sigma, confusable with o
        ('\u{FB05}', Some("st")), // LATIN SMALL LIGATURE LONG S T
        ('\u{217F}', Some("m")),  // SMALL ROMAN NUMERAL ONE THOUSAND (NFKC)
        ('\u{501}', Some("d")),   // CYRILLIC SMALL LETTER KOMI DE (skeleton "cl")
        ('\u{F8}', Some("o")),    // o WITH STROKE (skeleton "o" + U+0338)
        ('\u{451}', Some("e")),   // CYRILLIC SMALL LETTER IO
        ('\u{13A0}', Some("d")),  // CHEROKEE LETTER A
        ('\u{AB70}', Some("d")),  // CHEROKEE SMALL LETTER A (folds to U+13A0)
        ('\u{AC00}', None),       // HANGUL SYLLABLE GA: kept whole
        ('\u{C544}', None),       // HANGUL SYLLABLE A (initial IEUNG is not 'o')
        ('\u{437}', None),        // CYRILLIC ZE: skeleton "3" is a digit
        ('\u{661}', None),        // ARABIC-INDIC DIGIT ONE: numbers are not mapped
        ('\u{E6}', None),         // ae: skeleton "ae" is two letters
        ('\u{439}', None),        // CYRILLIC SHORT I stays (base is not ASCII-like)
        ('\u{200B}', None),       // ZERO WIDTH SPACE: ignorable, not in FOLD
        ('\u{301}', None),        // lone COMBINING ACUTE stays
    ] {
        assert_eq!(
            fold.get(&(c as u32)).map(String::as_str),
            want,
            "spot check U+{:04X}",
            c as u32
        );
    }

    // ---- emit ----------------------------------------------------------
    let mut out = String::new();
    writeln!(
        out,
        "// Generated by tools/gen-unicode (Unicode {unicode_version}). Do not edit."
    )
    .unwrap();
    let paragraph = format!(
        "FOLD maps every non-ASCII scalar value c (other than default-ignorable code \
         points) whose fold differs from c to that fold; ASCII is never mapped. The fold \
         is: NFKC (unicode-normalization, Unicode {unicode_version}); then full default \
         case folding (CaseFolding.txt C+F via the `caseless` crate, Unicode \
         {casefold_version}, completed with the std lowercase mapping, Unicode \
         {std_version}, for cased letters added since); then NFD (Hangul syllables are \
         kept whole) and, for each non-ASCII letter or symbol (general category L* or S*; \
         never numbers, punctuation or marks), replacement by an ASCII letter when its \
         UTS #39 confusables skeleton (unicode-security, Unicode {unicode_version}), less \
         trailing combining marks, equals the skeleton of that ASCII letter: the \
         skeleton must stand for exactly one letter (\"rn\" is the skeleton of 'm' and \
         \"cl\" that of 'd', so those look-alikes map to 'm' and 'd'), while skeletons \
         that are digits (Cyrillic ze -> \"3\"), punctuation or several letters (ae) \
         are rejected; then removal of combining marks (Mn/Me) that follow an ASCII \
         letter, and of default-ignorable code points; then NFC. This is iterated to a \
         fixpoint, and the generator checks that every character of every output is \
         ASCII or has no entry of its own (fold is idempotent). Outputs may be empty. \
         IGNORABLE is Default_Ignorable_Code_Point (DerivedCoreProperties.txt) as \
         inclusive ranges. MARKS is general category Mn or Me as inclusive ranges. All \
         tables are sorted by code point."
    );
    let mut banner = String::from(
        "//\n// Regenerate with `cargo run --release --manifest-path tools/gen-unicode/Cargo.toml`.\n//\n",
    );
    wrap_comment(&mut banner, &paragraph, 80);
    out.push_str(&banner);
    out.push('\n');

    writeln!(
        out,
        "/// Non-ASCII scalar value -> its fold (see the file header). Sorted by code point."
    )
    .unwrap();
    out.push_str("#[rustfmt::skip]\npub(crate) static FOLD: &[(u32, &str)] = &[\n");
    emit_items(
        &mut out,
        fold.iter()
            .map(|(c, f)| format!("(0x{c:04X}, \"{}\"),", escape(f))),
    );
    out.push_str("];\n\n");

    writeln!(
        out,
        "/// Default_Ignorable_Code_Point, inclusive ranges, sorted and non-overlapping."
    )
    .unwrap();
    out.push_str("#[rustfmt::skip]\npub(crate) static IGNORABLE: &[(u32, u32)] = &[\n");
    emit_items(
        &mut out,
        ignorable
            .iter()
            .map(|(a, b)| format!("(0x{a:04X}, 0x{b:04X}),")),
    );
    out.push_str("];\n\n");

    writeln!(
        out,
        "/// General category Mn or Me, inclusive ranges, sorted, non-overlapping and merged."
    )
    .unwrap();
    out.push_str("#[rustfmt::skip]\npub(crate) static MARKS: &[(u32, u32)] = &[\n");
    emit_items(
        &mut out,
        marks
            .iter()
            .map(|(a, b)| format!("(0x{a:04X}, 0x{b:04X}),")),
    );
    out.push_str("];\n");

    out.push_str(TESTS);

    let path = output_path();
    std::fs::write(&path, &out).expect("write tables.rs");
    eprintln!(
        "wrote {} ({} bytes): FOLD {} entries, IGNORABLE {} ranges, MARKS {} ranges",
        path.display(),
        out.len(),
        fold.len(),
        ignorable.len(),
        marks.len()
    );
}

/// Appends `text` as `// ` comment lines of at most `width` columns.
fn wrap_comment(out: &mut String, text: &str, width: usize) {
    let mut line = String::from("//");
    for word in text.split_whitespace() {
        if line.len() > 2 && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from("//");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// Packs items several to a line, at most 100 columns wide.
fn emit_items(out: &mut String, items: impl Iterator<Item = String>) {
    const WIDTH: usize = 100;
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.len() + 1 + item.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if line.is_empty() {
            line.push_str("    ");
        } else {
            line.push(' ');
        }
        line.push_str(&item);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
}

fn output_path() -> PathBuf {
    // tools/gen-unicode -> workspace root
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    root.join("crates/palisade/src/tables.rs")
}

const TESTS: &str = r#"
#[cfg(test)]
mod tests {
    use super::*;

    fn fold_of(c: char) -> Option<&'static str> {
        FOLD.binary_search_by_key(&(c as u32), |&(k, _)| k)
            .ok()
            .map(|i| FOLD[i].1)
    }

    #[test]
    fn fold_sorted_non_ascii_and_idempotent() {
        assert!(FOLD.windows(2).all(|w| w[0].0 < w[1].0));
        for &(c, f) in FOLD {
            assert!(c >= 0x80 && char::from_u32(c).is_some());
            for x in f.chars() {
                assert!(x.is_ascii() || fold_of(x).is_none(), "U+{c:04X}");
            }
        }
    }

    #[test]
    fn ranges_sorted_and_disjoint() {
        for table in [IGNORABLE, MARKS] {
            assert!(table.iter().all(|&(a, b)| a <= b));
            // strictly after the previous range, and not adjacent (merged)
            assert!(table.windows(2).all(|w| w[0].1 + 1 < w[1].0));
        }
    }

    #[test]
    fn spot_checks() {
        assert_eq!(fold_of('\u{430}'), Some("a")); // CYRILLIC SMALL LETTER A
        assert_eq!(fold_of('\u{FF21}'), Some("a")); // FULLWIDTH LATIN CAPITAL LETTER A
        assert_eq!(fold_of('\u{DF}'), Some("ss")); // LATIN SMALL LETTER SHARP S
        assert_eq!(fold_of('\u{E9}'), Some("e")); // LATIN SMALL LETTER E WITH ACUTE
        assert_eq!(fold_of('\u{1D41A}'), Some("a")); // MATHEMATICAL BOLD SMALL A
        assert_eq!(fold_of('\u{456}'), Some("i")); // CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
        assert_eq!(fold_of('\u{3BF}'), Some("o")); // GREEK SMALL LETTER OMICRON
        assert_eq!(fold_of('a'), None);
        assert_eq!(fold_of('\u{200B}'), None); // ignorable, not folded
        let in_ranges = |t: &[(u32, u32)], c: u32| t.iter().any(|&(a, b)| a <= c && c <= b);
        assert!(in_ranges(IGNORABLE, 0x200B));
        assert!(in_ranges(IGNORABLE, 0xE0041));
        assert!(in_ranges(MARKS, 0x0301));
        assert!(!in_ranges(MARKS, 0x0041));
    }
}
"#;
