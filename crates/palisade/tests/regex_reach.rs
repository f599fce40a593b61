//! A keyword-gated regex whose every match contains a keyword is searched
//! only around the keywords (on their line, or within its longest match).
//! That must find exactly what searching the whole text finds: each rule
//! here has a twin without keywords (always searched whole), and both must
//! report the same spans on any text.

use palisade::{Guard, Mode, Policy};
use proptest::prelude::*;

/// (regex, keywords, case_sensitive): line-bound on the case-preserving
/// view, length-bound on the folded view (where `\s*` is one byte at
/// most) and on the case-preserving one.
const RULES: &[(&str, &str, bool)] = &[
    (
        r"(?im)^[ \t]*[^\sA-Za-z0-9#]{2,}[ \t]*(?:end|begin)(?-u:\b)[^\n]{0,20}$",
        r#"["end", "begin"]"#,
        true,
    ),
    (
        r"[\[{<(]\s*(?:(?:insert|enter)\s+(?:your\s+)?(?:prompt|query)(?:\s+here)?|(?:prompt|query)\s+here)\s*[\]}>)]",
        r#"["prompt", "query"]"#,
        false,
    ),
    (r"key[ \t]{0,3}[:=][ \t]{0,3}\S{1,12}", r#"["key"]"#, true),
    (
        r"(?:end|begin)\s+of\s+\w{1,8}",
        r#"["end", "begin"]"#,
        false,
    ),
    // Unbounded only in its whitespace, case-preserving: searched within
    // its longest match once whitespace runs count one byte.
    (
        r#"(?i:pass(?:word)?|key)["]?\s*(?:=|:|=>)\s*["]?(?P<secret>[A-Za-z0-9]{3,12})(?:["\s,;]|$)"#,
        r#"["pass", "key"]"#,
        true,
    ),
    // Keyword first, overlapping keywords, and a value that can end where
    // the next keyword starts: searched anchored at each keyword start.
    (
        r#"(?i:auth_?token|token)\s*[:=]\s*(?P<secret>[a-z0-9]{3,12})"#,
        r#"["auth_token", "authtoken", "token"]"#,
        true,
    ),
    // The same with its keyword last: the window reaches back.
    (
        r#"[A-Za-z0-9]{3,8}\s*(?:=|:|=>)\s*["]?(?i:password|key)"#,
        r#"["password", "key"]"#,
        true,
    ),
];

fn policy() -> Policy {
    let mut toml = String::from(
        "packs = []\n[limits]\nmax_findings = 10000\n[categories.injection]\nthreshold = 1.0\n",
    );
    for (i, (re, kws, cs)) in RULES.iter().enumerate() {
        for (name, kw) in [("win", *kws), ("all", "[]")] {
            toml.push_str(&format!(
                "[[rules]]\nid = \"t.{name}.{i}\"\ncategory = \"injection\"\nseverity = \"low\"\nregex = '{re}'\nkeywords = {kw}\ncase_sensitive = {cs}\n"
            ));
        }
    }
    Policy::from_toml(&toml).unwrap()
}

fn guard() -> &'static Guard {
    static GUARD: std::sync::OnceLock<Guard> = std::sync::OnceLock::new();
    GUARD.get_or_init(|| Guard::new(&policy()).unwrap())
}

fn spans(guard: &Guard, text: &str, rule: &str) -> Vec<(usize, usize)> {
    guard
        .inspect(Mode::Prompt, text.as_bytes())
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.start, f.end))
        .collect()
}

const PIECES: &[&str] = &[
    "end",
    "begin",
    "END",
    "Begin",
    "%%",
    "===",
    "--",
    " ",
    "  ",
    "\n",
    "\t",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "{",
    "}",
    "prompt",
    "query",
    "insert",
    "enter",
    "your",
    "here",
    "of",
    "the",
    "key",
    "Key",
    ":",
    "=",
    "x",
    "abc",
    "é",
    "\u{200b}",
    "ＥＮＤ",
    "#",
    ".",
    "\u{3}",
    "e\u{301}",
    "\u{301}",
    "\u{a0}",
    "\u{435}nd",
    "\u{fb01}",
    "ｋｅｙ",
    "ｂegin",
    "İ",
    "\u{200d}",
    "\r\n",
    "pass",
    "Password",
    "=>",
    "\"",
    ",",
    "abcd1234",
    "   ",
    "\n\n",
    "\t\t\t",
    "\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}\u{3}",
];

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES), 0..60).prop_map(|v| v.concat())
}

/// Pieces of assignments (`key = value`) with whitespace runs of every
/// kind, for the rule unbounded only in whitespace: the pieces above
/// rarely line up into one of its matches.
const ASSIGNMENT: &[&str] = &[
    "pass", "Password", "key", "KEY", "=", ":", "=>", "\"", " ", "   ", "\n", "\t\t", "\n\n",
    "\r\n", "abc", "abcd", "abcd1234", "x", "token", "TOKEN", "auth_", "Auth", ",", ";", "é",
    "\u{3}", "\u{a0}",
];

fn assignments() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ASSIGNMENT), 0..80).prop_map(|v| v.concat())
}

/// Every rule's windowed twin reports on `t` what its whole-text twin does.
fn twins_agree(t: &str) -> Result<(), TestCaseError> {
    let guard = guard();
    for i in 0..RULES.len() {
        prop_assert_eq!(
            spans(guard, t, &format!("t.win.{i}")),
            spans(guard, t, &format!("t.all.{i}")),
            "rule {}",
            i
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn assignments_searched_around_keywords_equal_searched_whole(t in assignments()) {
        twins_agree(&t)?;
    }

    #[test]
    fn searched_around_keywords_equals_searched_whole(t in text()) {
        twins_agree(&t)?;
    }
}

#[test]
fn handwritten_cases_agree() {
    let guard = guard();

    for t in [
        "intro\n%%% END of the rules %%%\nmore",
        "== begin\nx\n-- end here",
        "please [ insert your prompt here ] and (query here)",
        "a key: abc and key=x\nkey : y",
        "the end of days and the begin of it",
        "%% end\n%% begin",
    ] {
        for i in 0..RULES.len() {
            let w = spans(guard, t, &format!("t.win.{i}"));
            assert_eq!(w, spans(guard, t, &format!("t.all.{i}")), "{t:?} rule {i}");
        }
    }
    // Control characters after a keyword fold into its span: a span longer
    // than any match of its rule once gave an empty search range (a panic).
    let controls = "\u{3}".repeat(60);
    for t in [
        format!("a key{controls}: y and key: z"),
        format!("key:{controls}abc\nkey = x{controls}"),
        format!("%% end{controls}\n== begin"),
    ] {
        for i in 0..RULES.len() {
            let w = spans(guard, &t, &format!("t.win.{i}"));
            assert_eq!(w, spans(guard, &t, &format!("t.all.{i}")), "{t:?} rule {i}");
        }
    }
    // The cases above do find something.
    assert!(!spans(guard, "intro\n%%% END of the rules %%%\nmore", "t.win.0").is_empty());
    assert!(!spans(guard, "please [ insert your prompt here ]", "t.win.1").is_empty());
    // Whitespace runs longer than the rule's longest squeezed match, on
    // both sides of the keyword.
    let gap = " \n\t".repeat(40);
    for t in [
        format!("password{gap}={gap}\"hunter2abc\" and key:{gap}abc123"),
        format!("x{gap}key{gap}=>{gap}zz9{gap}"),
        // A longest match, and its window exactly as long.
        format!("Password\"{gap}=>{gap}\"abcd1234abcd\"{gap}"),
    ] {
        let w = spans(guard, &t, "t.win.4");
        assert!(!w.is_empty(), "{t:?}");
        assert_eq!(w, spans(guard, &t, "t.all.4"), "{t:?}");
    }
    // A match starting where the one before it ends, and overlapping
    // keywords (`auth_token` holds `token`).
    for t in [
        "token=abcTOKEN=def auth_token: xyz1 Auth_Token = 9q9q",
        "\u{3}token:abc",
    ] {
        let w = spans(guard, t, "t.win.5");
        assert!(!w.is_empty(), "{t:?}");
        assert_eq!(w, spans(guard, t, "t.all.5"), "{t:?}");
    }
    for t in [
        format!("abcd1234{gap}=>{gap}\"Password{gap}"),
        format!("{gap}abc{gap}:key and x1y2z3{gap}={gap}password"),
    ] {
        let w = spans(guard, &t, "t.win.6");
        assert!(!w.is_empty(), "{t:?}");
        assert_eq!(w, spans(guard, &t, "t.all.6"), "{t:?}");
    }
}
