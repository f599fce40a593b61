//! Validators: checks a candidate match must pass before it becomes a
//! finding (checksums, structure, entropy). Named in rule files.
//!
//! Most validators accept or reject the whole match. A few *narrow* it: a
//! payment card regex reads a run of digits and separators, and the
//! validator picks the card inside it (so `4111 1111 1111 1111 2024` is a
//! card followed by a year, not a 20-digit number).

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A validator: takes the matched text (from the `clean` view, so
/// invisible characters are gone and full-width digits are ASCII).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Validator {
    /// Accepts or rejects the whole match.
    Check(fn(&str) -> bool),
    /// Returns the byte range of the match that is the real hit, if any.
    Narrow(fn(&str) -> Option<(usize, usize)>),
    /// Sees the whole view text and the match span (to read what comes
    /// before it); returns the accepted span, if any.
    Context(fn(&str, usize, usize) -> Option<(usize, usize)>),
}

impl Validator {
    /// The accepted span of the match `text[s..e]`, in `text` offsets.
    pub(crate) fn apply(&self, text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
        let m = text.get(s..e)?;
        let (a, b) = match self {
            Validator::Check(f) => return f(m).then_some((s, e)),
            Validator::Narrow(f) => f(m).map(|(a, b)| (s + a, s + b))?,
            Validator::Context(f) => f(text, s, e)?,
        };
        (a < b && b <= text.len() && text.is_char_boundary(a) && text.is_char_boundary(b))
            .then_some((a, b))
    }
}

/// Every validator a rule may name, by name.
pub(crate) const VALIDATORS: &[(&str, Validator)] = &[
    ("luhn", Validator::Check(luhn)),
    ("not_armor", Validator::Check(not_armor)),
    ("card", Validator::Narrow(card)),
    ("github_checksum", Validator::Check(github_checksum)),
    ("grafana_checksum", Validator::Check(grafana_checksum)),
    ("atlassian_checksum", Validator::Check(atlassian_checksum)),
    ("jwt", Validator::Check(jwt)),
    ("base64", Validator::Check(base64_structure)),
    ("azure_storage_key", Validator::Check(azure_storage_key)),
    ("discord_bot_token", Validator::Check(discord_bot_token)),
    ("secret_value", Validator::Check(secret_value)),
    ("aws_secret", Validator::Check(aws_secret)),
    ("crates_token", Validator::Check(mixed_token)),
    ("pem", Validator::Check(pem)),
    ("generic_secret", Validator::Check(generic_secret)),
    ("bearer_secret", Validator::Check(bearer_secret)),
    ("prose_secret", Validator::Context(prose_secret)),
    ("url_password", Validator::Check(url_password)),
    ("hex_secret", Validator::Check(hex_secret)),
    ("iban", Validator::Narrow(iban_narrow)),
    ("us_ssn", Validator::Check(us_ssn)),
    ("email", Validator::Check(email)),
    ("phone_e164", Validator::Check(phone_e164)),
    ("phone_national", Validator::Check(phone_national)),
    ("ipv4", Validator::Context(ipv4_public_ctx)),
    ("ipv4_private", Validator::Context(ipv4_private_ctx)),
    ("ipv6", Validator::Check(ipv6_global)),
    ("btc_address", Validator::Check(btc_address)),
    ("eth_address", Validator::Check(eth_address)),
    ("uk_nino", Validator::Check(uk_nino)),
    ("es_dni", Validator::Check(es_dni)),
    ("in_aadhaar", Validator::Check(in_aadhaar)),
    ("br_cpf", Validator::Check(br_cpf)),
];

/// Looks up a validator by name.
pub(crate) fn lookup(name: &str) -> Option<Validator> {
    VALIDATORS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

// ---------------------------------------------------------------------------
// Checksums

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base 62 (`0-9A-Za-z`), left-padded with `0` to `width`.
pub(crate) fn base62(mut n: u64, width: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// GitHub classic tokens (`ghp_` `gho_` `ghu_` `ghs_` `ghr_`) and npm
/// tokens (`npm_`): prefix, 30 random base62 characters, then the CRC-32
/// of those 30 characters in base62, 6 characters.
pub(crate) fn github_checksum(s: &str) -> bool {
    let Some((_, body)) = s.split_once('_') else {
        return false;
    };
    if body.len() != 36 || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62(u64::from(crc32(random.as_bytes())), 6) == check
}

/// Grafana service-account tokens: `glsa_` + 32 + `_` + 8 hex, the hex
/// being the CRC-32 of the first 37 characters as little-endian bytes.
pub(crate) fn grafana_checksum(s: &str) -> bool {
    if s.len() != 46 || !s.starts_with("glsa_") || s.as_bytes()[37] != b'_' {
        return false;
    }
    let crc = crc32(&s.as_bytes()[..37]).to_le_bytes();
    let hex: String = crc.iter().map(|b| format!("{b:02x}")).collect();
    s[38..].eq_ignore_ascii_case(&hex)
}

/// Atlassian API tokens and Bitbucket app passwords: the last 8 characters
/// are the upper-case hex CRC-32 of everything before them.
pub(crate) fn atlassian_checksum(s: &str) -> bool {
    if s.len() < 20 || !s.is_ascii() {
        return false;
    }
    let (body, check) = s.split_at(s.len() - 8);
    u32::from_str_radix(check, 16).is_ok_and(|c| c == crc32(body.as_bytes()))
}

/// Rejects PEM/PGP armour lines (`-----BEGIN RSA PRIVATE KEY-----`), which
/// look like a forged section boundary but are ordinary key and
/// certificate framing.
pub(crate) fn not_armor(s: &str) -> bool {
    let t = s.trim();
    let Some(inner) = t
        .strip_prefix("-----")
        .and_then(|x| x.strip_suffix("-----"))
    else {
        return true;
    };
    let words = inner
        .strip_prefix("BEGIN ")
        .or_else(|| inner.strip_prefix("END "));
    !words.is_some_and(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
    })
}

/// The Luhn (mod 10) check used by payment card numbers. Non-digits are
/// ignored; 12 to 19 digits are required.
pub(crate) fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    (12..=19).contains(&digits.len()) && luhn_digits(&digits)
}

fn luhn_digits(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Whether a PAN's issuer prefix (IIN) and length fit a known brand.
pub(crate) fn card_brand(d: &[u32]) -> Option<&'static str> {
    let n = d.len();
    let p = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + x);
    match d.first()? {
        4 if matches!(n, 13 | 16 | 19) => Some("visa"),
        5 if (51..=55).contains(&p(2)) && n == 16 => Some("mastercard"),
        2 if (2221..=2720).contains(&p(4)) && n == 16 => Some("mastercard"),
        3 if matches!(p(2), 34 | 37) && n == 15 => Some("amex"),
        3 if (3528..=3589).contains(&p(4)) && (16..=19).contains(&n) => Some("jcb"),
        3 if (matches!(p(2), 36 | 38 | 39) || (300..=305).contains(&p(3)) || p(3) == 309)
            && (14..=19).contains(&n) =>
        {
            Some("diners")
        }
        6 if (p(4) == 6011 || (644..=649).contains(&p(3)) || p(2) == 65)
            && (16..=19).contains(&n) =>
        {
            Some("discover")
        }
        6 if p(2) == 62 && (16..=19).contains(&n) => Some("unionpay"),
        5 | 6
            if matches!(p(4), 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763)
                && (12..=19).contains(&n) =>
        {
            Some("maestro")
        }
        _ => None,
    }
}

/// Payment card numbers: in a run of digits separated by single spaces or
/// dashes, the first window that starts and ends on a group boundary,
/// passes Luhn and fits a brand's prefix and length.
pub(crate) fn card(s: &str) -> Option<(usize, usize)> {
    // (digit value, byte offset, starts a group, ends a group)
    let b = s.as_bytes();
    let mut ds: Vec<(u32, usize, bool, bool)> = Vec::with_capacity(24);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            let start = i == 0 || !b[i - 1].is_ascii_digit();
            let end = i + 1 == b.len() || !b[i + 1].is_ascii_digit();
            ds.push((u32::from(c - b'0'), i, start, end));
        }
    }
    let vals: Vec<u32> = ds.iter().map(|d| d.0).collect();
    for st in 0..ds.len() {
        if !ds[st].2 {
            continue;
        }
        for len in (13..=19).rev() {
            let en = st + len;
            if en > ds.len() || !ds[en - 1].3 {
                continue;
            }
            let w = &vals[st..en];
            if card_brand(w).is_some() && luhn_digits(w) && !w.iter().all(|&x| x == w[0]) {
                return Some((ds[st].1, ds[en - 1].1 + 1));
            }
        }
    }
    None
}

/// IBAN: country code, per-country length (ISO 13616 registry), mod-97.
/// Spaces (print form) are ignored.
pub(crate) fn iban(s: &str) -> bool {
    let c: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'-')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if c.len() < 15 || c.len() > 34 || !c.iter().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let Some(len) = iban_length(&c[..2]) else {
        return false;
    };
    if c.len() != len || !c[2].is_ascii_digit() || !c[3].is_ascii_digit() {
        return false;
    }
    let mut rem = 0u32;
    for &ch in c[4..].iter().chain(&c[..4]) {
        let v = if ch.is_ascii_digit() {
            u32::from(ch - b'0')
        } else {
            u32::from(ch - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// IBAN in a run of letters, digits and single spaces: the country's
/// length of characters from the start, if they pass [`iban`].
pub(crate) fn iban_narrow(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let len = iban_length(&[
        b.first()?.to_ascii_uppercase(),
        b.get(1)?.to_ascii_uppercase(),
    ])?;
    let mut n = 0;
    for (i, c) in b.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            n += 1;
            if n == len {
                // The IBAN must not run on into more letters or digits.
                if b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
                    return None;
                }
                return iban(&s[..=i]).then_some((0, i + 1));
            }
        }
    }
    None
}

fn iban_length(cc: &[u8]) -> Option<usize> {
    const T: &[(&[u8; 2], usize)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BR", 29),
        (b"BY", 28),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
        (b"HR", 21),
        (b"HU", 28),
        (b"IE", 22),
        (b"IL", 23),
        (b"IQ", 23),
        (b"IS", 26),
        (b"IT", 27),
        (b"JO", 30),
        (b"KW", 30),
        (b"KZ", 20),
        (b"LB", 28),
        (b"LC", 32),
        (b"LI", 21),
        (b"LT", 20),
        (b"LU", 20),
        (b"LV", 21),
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NL", 18),
        (b"NO", 15),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"SA", 24),
        (b"SC", 31),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"TL", 23),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
    ];
    T.iter().find(|(c, _)| c.as_slice() == cc).map(|(_, n)| *n)
}

/// US Social Security numbers: area not 000, 666 or 9xx; group not 00;
/// serial not 0000.
pub(crate) fn us_ssn(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 9 {
        return false;
    }
    let area = d[0] * 100 + d[1] * 10 + d[2];
    let group = d[3] * 10 + d[4];
    let serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !d.iter().all(|&x| x == d[0])
}

// ---------------------------------------------------------------------------
// Structure

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let t = s.trim_end_matches('=');
    if t.contains(['-', '_']) {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .ok()
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(t)
            .ok()
    }
}

/// JWT: three base64url segments; the header decodes to a JSON object with
/// an `alg` member, the payload to a JSON object.
pub(crate) fn jwt(s: &str) -> bool {
    let mut parts = s.split('.');
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some(header) = b64_decode(h) else {
        return false;
    };
    let Ok(serde_json::Value::Object(hm)) = serde_json::from_slice::<serde_json::Value>(&header)
    else {
        return false;
    };
    if !hm.contains_key("alg") {
        return false;
    }
    // The payload may be cut short by a line break in logs: accept a
    // payload that decodes and starts like a JSON object.
    b64_decode(p).is_some_and(|b| b.first() == Some(&b'{'))
}

/// Base64 structure: decodes (standard or URL alphabet), and is not
/// plainly text-like (a real key is random bytes).
pub(crate) fn base64_structure(s: &str) -> bool {
    b64_decode(s).is_some_and(|b| b.len() >= 16) && shannon_entropy(s) >= 3.5
}

/// Azure storage account keys: 88 base64 characters decoding to 64 bytes.
pub(crate) fn azure_storage_key(s: &str) -> bool {
    s.len() == 88 && b64_decode(s).is_some_and(|b| b.len() == 64)
}

/// Discord bot tokens: the first segment is the base64 of a 17–20 digit
/// user id.
pub(crate) fn discord_bot_token(s: &str) -> bool {
    let Some(first) = s.split('.').next() else {
        return false;
    };
    b64_decode(first)
        .is_some_and(|b| (17..=20).contains(&b.len()) && b.iter().all(u8::is_ascii_digit))
}

// ---------------------------------------------------------------------------
// Generic secrets and placeholders

/// Words that mark a value as a placeholder, not a credential.
const PLACEHOLDER_WORDS: &[&str] = &[
    "your",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "redacted",
    "dummy",
    "sample",
    "insert",
    "here",
    "todo",
    "secret_key",
    "password",
    "passwd",
    "token",
    "test1234",
    "foobar",
    "lorem",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "$(",
    "****",
    "...",
    "…",
    "process.env",
    "os.environ",
    "getenv",
    "env(",
];

/// Whether `s` looks like a placeholder: `<YOUR_API_KEY>`, `${VAR}`,
/// `xxxx…`, `****`, `your-api-key-here`, a run of one repeated character.
pub(crate) fn is_placeholder(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| l.contains(w)) || s.contains("xxxx") || s.contains("XXXX") {
        return true;
    }
    if l.starts_with('$') || l.starts_with('%') {
        return true;
    }
    // Long runs of one character (`sk-aaaaaaaa…`, `000000`).
    let b = l.as_bytes();
    let mut run = 1;
    for i in 1..b.len() {
        run = if b[i] == b[i - 1] { run + 1 } else { 1 };
        if run >= 6 {
            return true;
        }
    }
    // Sequential patterns (`abcdef`, `123456`).
    let mut seq = 1;
    for i in 1..b.len() {
        seq = if b[i] == b[i - 1].wrapping_add(1) {
            seq + 1
        } else {
            1
        };
        if seq >= 6 {
            return true;
        }
    }
    false
}

/// A provider value in a known format: not a placeholder.
pub(crate) fn secret_value(s: &str) -> bool {
    !is_placeholder(s)
}

/// An unprefixed AWS secret access key: 40 base64 characters mixing
/// upper case, lower case and digits (hex digests and words are not).
pub(crate) fn aws_secret(s: &str) -> bool {
    s.len() == 40 && mixed_token(s) && shannon_entropy(s) >= 4.0
}

/// A random token: upper case, lower case and at least two digits, not a
/// placeholder.
pub(crate) fn mixed_token(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes().filter(u8::is_ascii_digit).count() >= 2
        && !is_placeholder(s)
}

/// A PEM or PGP block with a real body: at least 64 base64 characters
/// between the armor lines, and no elision (`...`).
pub(crate) fn pem(s: &str) -> bool {
    // The header line is `-----BEGIN ...-----`: the body starts after its
    // closing dashes and ends at `-----END`.
    let after_open = s.get(5..).unwrap_or("");
    let body = after_open.split_once("-----").map_or("", |x| x.1);
    let body = body.split_once("-----END").map_or(body, |x| x.0);
    !body.contains("...")
        && !body.contains('…')
        && body
            .bytes()
            .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            .count()
            >= 64
}

/// Words for a credential, in the languages people paste keys in.
const CREDENTIAL_WORDS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwort",
    "contraseña",
    "clé",
    "jeton",
    "schlüssel",
    "clave",
    "chiave",
    "chave",
    "sleutel",
    "klucz",
    "anahtar",
    "ключ",
    "токен",
    "пароль",
    "密钥",
    "令牌",
    "密码",
    "キー",
    "トークン",
    "パスワード",
    "키",
    "토큰",
    "비밀번호",
    "कुंजी",
    "टोकन",
    "पासवर्ड",
    "مفتاح",
    "رمز",
];

/// A random-looking token after a credential word on the same line,
/// at most 96 bytes before it (`my API key is ...`, `Mein Token: ...`).
fn prose_secret(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    // A whole token: not a slice of a longer run of token characters.
    let b = text.as_bytes();
    let token = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'+' | b'_' | b'=' | b'-');
    // A dot between token characters joins them (JWTs and other dotted
    // tokens have rules of their own).
    let before = s > 0 && (token(b[s - 1]) || (b[s - 1] == b'.' && s > 1 && token(b[s - 2])));
    let after =
        e < b.len() && (token(b[e]) || (b[e] == b'.' && e + 1 < b.len() && token(b[e + 1])));
    if before || after {
        return None;
    }
    // The cue: a credential word among the last few words before the
    // token on its line. Counting words rather than bytes keeps the test
    // stable under redaction, which swaps a token for a placeholder inside
    // the same word (a byte window would shrink and reach a far cue).
    let mut from = s.saturating_sub(CUE_LOOKBACK);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = &text[from..s];
    let line = before.rsplit_once('\n').map_or(before, |x| x.1);
    // Nor is text before one: a placeholder is shorter than what it
    // replaced, so the byte window reaches further back in redacted text.
    // Only the text after the last placeholder is the same as before
    // redaction, and it lies within the window there too.
    let line = after_last_placeholder(line);
    let mut words: Vec<&str> = line.split_whitespace().rev().take(CUE_WORDS).collect();
    words.reverse();
    let near = words.join(" ").to_lowercase();
    // Redaction placeholders (`[SECRET:api_key]`, `[REDACTED:...]`) name a
    // secret but are not a cue: redacted text must not grow new findings.
    let near = strip_placeholders(&near);
    (CREDENTIAL_WORDS.iter().any(|w| near.contains(w)) && generic_secret(&text[s..e]))
        .then_some((s, e))
}

/// How many bytes before a generic token its cue may lie: a bounded look
/// back, which a stream's windows cover (`stream::LOOKBACK`).
pub(crate) const CUE_LOOKBACK: usize = 1024;

/// How many words before a generic token may hold its credential cue.
const CUE_WORDS: usize = 8;

/// The part of `line` after the last tag redaction writes
/// (`crate::guard::is_redaction_tag`: `[SECRET:api_key]`, `[REDACTED:pii]`,
/// `[EMAIL_1]`, `[EMAIL:3f9a1c2e]`).
fn after_last_placeholder(line: &str) -> &str {
    let b = line.as_bytes();
    let mut end = b.len();
    while let Some(close) = b[..end].iter().rposition(|&c| c == b']') {
        let open = b[..close].iter().rposition(|&c| c == b'[');
        if let Some(open) = open {
            if crate::guard::is_redaction_tag(&b[open + 1..close], false) {
                return &line[close + 1..];
            }
        }
        end = close;
    }
    line
}

/// `line` without the bracketed tags redaction writes (`[SECRET:...]`,
/// `[REDACTED:...]`, `[EMAIL_1]`...).
fn strip_placeholders(line: &str) -> String {
    strip_tags(line, |inner| {
        crate::guard::is_redaction_tag(inner.as_bytes(), true)
    })
}

/// `line` without its `[...]` tags whose inside `is_tag` accepts.
fn strip_tags(line: &str, is_tag: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        match tail.find(']') {
            Some(close) if is_tag(&tail[1..close]) => rest = &tail[close + 1..],
            _ => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Prefixes of formats that have their own rule and validator.
const PROVIDER_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "npm_",
    "pypi-",
    "glpat-",
    "glsa_",
    "xox",
    "xapp-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "sk-",
    "AKIA",
    "ASIA",
    "AIza",
    "hf_",
    "SG.",
    "shp",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
    "dapi",
    "PMAK-",
    "pul-",
    "lin_api_",
    "ntn_",
    "HRKU-",
    "ATATT",
    "ATBB",
    "sntryu_",
    "sntrys_",
    "NRAK-",
    "EAA",
    "sq0",
    "rubygems_",
    "hvs.",
    "hvb.",
    "key-",
    "xkeysib-",
    "LTAI",
    "fo1_",
    "v1.0-",
    "AKCp",
    "gsk_",
    "r8_",
    "whsec_",
    "GOCSPX-",
    "eyJ",
];

/// A value assigned to a secret-sounding name (`password = "…"`,
/// `api_key: …`, `Authorization: Bearer …`): long enough, high entropy,
/// not a placeholder, and not a plain word or identifier.
pub(crate) fn generic_secret(s: &str) -> bool {
    if s.len() < 12 || is_placeholder(s) || s.to_ascii_lowercase().contains("example") {
        return false;
    }
    // Provider formats are judged by their own rules (a GitHub token with
    // a bad checksum is not a secret of unknown kind).
    if PROVIDER_PREFIXES.iter().any(|p| s.starts_with(p)) {
        return false;
    }
    // `key=value` pairs (connection-string parts) are not one value;
    // base64 padding only ends a value.
    if s.trim_end_matches('=').contains('=') {
        return false;
    }
    let classes = [
        s.bytes().any(|b| b.is_ascii_lowercase()),
        s.bytes().any(|b| b.is_ascii_uppercase()),
        s.bytes().any(|b| b.is_ascii_digit()),
        s.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let n = classes.iter().filter(|&&c| c).count();
    // Hex digests and UUIDs are identifiers more often than secrets.
    if s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return false;
    }
    n >= 3 && shannon_entropy(s) >= 3.5
}

/// The credential after `Authorization: Bearer` / `Basic`: any token of
/// 16+ characters that is not a placeholder (hex tokens included: the
/// header says it is a credential). Provider formats are left to their
/// own rules.
pub(crate) fn bearer_secret(s: &str) -> bool {
    s.len() >= 16
        && !is_placeholder(s)
        && !s.to_ascii_lowercase().contains("example")
        && !PROVIDER_PREFIXES.iter().any(|p| s.starts_with(p))
        && shannon_entropy(s) >= 3.0
}

/// A hex secret that needs context (Twilio auth token, Mailgun key): a
/// mix of letters and digits, not a placeholder.
pub(crate) fn hex_secret(s: &str) -> bool {
    !is_placeholder(s)
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && shannon_entropy(s) >= 3.0
}

/// The password of `scheme://user:PASSWORD@host`: not a placeholder or a
/// variable reference, and not an obvious dummy.
pub(crate) fn url_password(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    if s.len() < 4
        || s.starts_with(['$', '%', '<', '{', '*'])
        || l.contains("${")
        || l.contains("xxx")
        || s.bytes().all(|b| b == b'*' || b == b'.')
    {
        return false;
    }
    !matches!(
        l.as_str(),
        "password"
            | "pass"
            | "passwd"
            | "secret"
            | "changeme"
            | "user"
            | "pwd"
            | "example"
            | "test"
            | "admin"
            | "root"
            | "guest"
            | "postgres"
            | "mysql"
            | "redis"
    ) && !l.contains("your")
        && !l.contains("password")
        && !l.contains("example")
}

// ---------------------------------------------------------------------------
// Personal data

/// Email: a domain with at least one dot, labels of letters, digits and
/// inner hyphens, and an alphabetic top-level domain.
pub(crate) fn email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || domain.len() > 253
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || tld.len() > 24 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    labels
        .iter()
        .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
}

/// Country calling codes and the lengths of their national significant
/// numbers (ITU-T E.164 assignments; lengths from national numbering plans).
fn country_code(d: &[u32]) -> Option<(usize, std::ops::RangeInclusive<usize>)> {
    let n = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + x);
    const ONE: &[(u32, u8, u8)] = &[(1, 10, 10), (7, 10, 10)];
    const TWO: &[(u32, u8, u8)] = &[
        (20, 8, 10),
        (27, 9, 9),
        (30, 10, 10),
        (31, 9, 9),
        (32, 8, 9),
        (33, 9, 9),
        (34, 9, 9),
        (36, 8, 9),
        (39, 6, 11),
        (40, 9, 9),
        (41, 9, 9),
        (43, 4, 13),
        (44, 9, 10),
        (45, 8, 8),
        (46, 7, 10),
        (47, 8, 8),
        (48, 9, 9),
        (49, 6, 13),
        (51, 8, 9),
        (52, 10, 10),
        (53, 8, 8),
        (54, 10, 11),
        (55, 10, 11),
        (56, 9, 9),
        (57, 8, 10),
        (58, 10, 10),
        (60, 8, 10),
        (61, 9, 9),
        (62, 8, 12),
        (63, 8, 10),
        (64, 8, 10),
        (65, 8, 8),
        (66, 8, 9),
        (81, 9, 10),
        (82, 8, 10),
        (84, 9, 10),
        (86, 10, 11),
        (90, 10, 10),
        (91, 10, 10),
        (92, 9, 10),
        (93, 9, 9),
        (94, 9, 9),
        (95, 8, 10),
        (98, 10, 10),
    ];
    if let Some(&(_, lo, hi)) = ONE.iter().find(|c| c.0 == n(1)) {
        return Some((1, lo as usize..=hi as usize));
    }
    if let Some(&(_, lo, hi)) = TWO.iter().find(|c| c.0 == n(2)) {
        return Some((2, lo as usize..=hi as usize));
    }
    // Three-digit codes (Africa 2xx, Europe 35x/37x/38x/42x, Americas 50x/59x,
    // Oceania 67x/68x, Asia 85x/88x/96x/97x/99x): national numbers 6–12.
    let c3 = n(3);
    let three = matches!(
        c3 / 10,
        21..=26 | 29 | 35 | 37 | 38 | 42 | 50 | 59 | 67 | 68 | 85 | 88 | 96 | 97 | 99
    );
    three.then_some((3, 6..=12))
}

/// An international number: `+`, a known country code, and a national
/// number whose length fits that country; not a fictional range.
pub(crate) fn phone_e164(s: &str) -> bool {
    // `+49 (0)170 ...`: the bracketed trunk prefix is not dialled.
    let s = s.replacen("(0)", "", 1);
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(8..=15).contains(&d.len()) {
        return false;
    }
    let Some((cc, lens)) = country_code(&d) else {
        return false;
    };
    let national = &d[cc..];
    if !lens.contains(&national.len()) || national.iter().all(|&x| x == national[0]) {
        return false;
    }
    if cc == 1 {
        return nanp(national);
    }
    // A national number never starts with the trunk prefix 0 after the
    // country code (except Italy's fixed lines).
    national[0] != 0 || d[..2] == [3, 9]
}

/// NANP: NXX-NXX-XXXX with N in 2..=9, not N11 service codes.
fn nanp(d: &[u32]) -> bool {
    d.len() == 10
        && d[0] >= 2
        && d[3] >= 2
        && !(d[1] == 1 && d[2] == 1)
        && !(d[4] == 1 && d[5] == 1)
}

/// A national-format number (the regex chose the shape): NANP with area
/// and exchange codes valid, or a trunk-prefixed number of 10–11 digits.
pub(crate) fn phone_national(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    match d.first() {
        Some(0) => (9..=12).contains(&d.len()) && d[1] != 0,
        Some(1) if d.len() == 11 => nanp(&d[1..]),
        Some(_) => nanp(&d),
        None => false,
    }
}

fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut out {
        let p = parts.next()?;
        if p.is_empty()
            || p.len() > 3
            || (p.len() > 1 && p.starts_with('0'))
            || !p.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        *o = p.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Private ranges: 10/8, 172.16/12, 192.168/16, CGNAT 100.64/10.
fn ipv4_is_private(a: [u8; 4]) -> bool {
    a[0] == 10
        || (a[0] == 172 && (16..=31).contains(&a[1]))
        || (a[0] == 192 && a[1] == 168)
        || (a[0] == 100 && (64..=127).contains(&a[1]))
}

/// Addresses that identify no one: unspecified, loopback, link-local,
/// multicast, broadcast, netmasks.
fn ipv4_is_special(a: [u8; 4]) -> bool {
    a[0] == 0
        || a[0] == 127
        || (a[0] == 169 && a[1] == 254)
        || a[0] >= 224
        || a == [255, 255, 255, 0]
}

/// A public IPv4 address (private and special ranges are other rules).
pub(crate) fn ipv4_public(s: &str) -> bool {
    parse_ipv4(s).is_some_and(|a| !ipv4_is_private(a) && !ipv4_is_special(a))
}

/// A private-range IPv4 address (`pii.ipv4.private`, which policies may
/// switch off).
pub(crate) fn ipv4_private(s: &str) -> bool {
    parse_ipv4(s).is_some_and(ipv4_is_private)
}

/// Whether the text just before `at` names a version, build or object id
/// (`version = '1.2.3.4'`, `oid=`), which dotted quads often are.
fn after_version_word(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(32);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = text[from..at].to_ascii_lowercase();
    // The last two words before the match.
    let words: Vec<&str> = before
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().rev().take(2).any(|w| {
        w.ends_with("version")
            || w.ends_with("oid")
            || matches!(
                *w,
                "v" | "ver"
                    | "build"
                    | "release"
                    | "released"
                    | "firmware"
                    | "fw"
                    | "sdk"
                    | "since"
                    | "upgrade"
                    | "upgraded"
                    | "upgrading"
                    | "downgrade"
                    | "downgraded"
                    | "bumped"
                    | "patch"
                    | "chrome"
                    | "firefox"
                    | "safari"
                    | "revision"
                    | "rev"
            )
    })
}

fn ipv4_public_ctx(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    (ipv4_public(&text[s..e]) && !after_version_word(text, s)).then_some((s, e))
}

fn ipv4_private_ctx(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    (ipv4_private(&text[s..e]) && !after_version_word(text, s)).then_some((s, e))
}

/// A global-scope IPv6 address (2000::/3) in valid RFC 4291 text form.
pub(crate) fn ipv6_global(s: &str) -> bool {
    s.parse::<std::net::Ipv6Addr>().is_ok_and(|a| {
        let seg = a.segments();
        (seg[0] & 0xE000) == 0x2000
            && s.contains(':')
            && s.split(':').filter(|p| !p.is_empty()).count() >= 3
    })
}

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base58_decode(s: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(32);
    for c in s.bytes() {
        let mut carry = B58.iter().position(|&x| x == c)? as u32;
        for b in out.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xFF) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&b| b == b'1').count();
    let mut v = vec![0u8; zeros];
    v.extend(out);
    Some(v)
}

fn bech32_polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk = 1u32;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// Bitcoin addresses: base58check P2PKH/P2SH (version 0x00/0x05, 25
/// bytes, double-SHA256 checksum) or SegWit `bc1` (bech32 for v0, bech32m
/// for v1+, BIP-173/350).
pub(crate) fn btc_address(s: &str) -> bool {
    if s.len() > 14 && (s.starts_with("bc1") || s.starts_with("BC1")) {
        let l = s.to_ascii_lowercase();
        if s != l && s != s.to_ascii_uppercase() {
            return false;
        }
        const CH: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        let data: Option<Vec<u8>> = l.as_bytes()[3..]
            .iter()
            .map(|c| CH.iter().position(|x| x == c).map(|p| p as u8))
            .collect();
        let Some(data) = data else { return false };
        if data.len() < 7 {
            return false;
        }
        let mut v = vec![3u8, 3, 0, 2, 3]; // hrp "bc" expanded
        v.extend(&data);
        let pm = bech32_polymod(&v);
        let witver = data[0];
        let prog_bits = (data.len() - 7) * 5;
        let prog_len = prog_bits / 8;
        return match witver {
            0 => pm == 1 && (prog_len == 20 || prog_len == 32),
            1..=16 => pm == 0x2bc8_30a3 && (2..=40).contains(&prog_len),
            _ => false,
        };
    }
    if !(26..=35).contains(&s.len()) || !(s.starts_with('1') || s.starts_with('3')) {
        return false;
    }
    let Some(raw) = base58_decode(s) else {
        return false;
    };
    if raw.len() != 25 || !(raw[0] == 0 || raw[0] == 5) {
        return false;
    }
    let h = Sha256::digest(Sha256::digest(&raw[..21]));
    h[..4] == raw[21..]
}

/// Ethereum addresses: `0x` + 40 hex. Mixed case must pass the EIP-55
/// checksum (keccak-256 of the lower-case hex); one-case addresses carry
/// no checksum and are accepted.
pub(crate) fn eth_address(s: &str) -> bool {
    let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) else {
        return false;
    };
    if h.len() != 40 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let lower = h.to_ascii_lowercase();
    if h == lower || h == h.to_ascii_uppercase() {
        return !h.bytes().all(|b| b == b'0');
    }
    let hash = crate::keccak::keccak256(lower.as_bytes());
    h.bytes().enumerate().all(|(i, c)| {
        let nib = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xF;
        if c.is_ascii_digit() {
            true
        } else if nib >= 8 {
            c.is_ascii_uppercase()
        } else {
            c.is_ascii_lowercase()
        }
    })
}

/// UK National Insurance numbers: two prefix letters (not D F I Q U V; the
/// second not O; not the unallocated BG GB KN NK NT TN ZZ), six digits,
/// suffix A–D.
pub(crate) fn uk_nino(s: &str) -> bool {
    let c: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if c.len() != 9 || !c[2..8].iter().all(u8::is_ascii_digit) || !(b'A'..=b'D').contains(&c[8]) {
        return false;
    }
    let (a, b) = (c[0], c[1]);
    let bad = |x: u8| matches!(x, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V');
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || bad(a) || bad(b) || b == b'O' {
        return false;
    }
    !matches!(
        &c[..2],
        b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
    )
}

/// Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter):
/// the letter is `TRWAGMYFPDXBNJZSQVHLCKE`[number mod 23].
pub(crate) fn es_dni(s: &str) -> bool {
    const L: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let c: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b'-' && *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if c.len() != 9 {
        return false;
    }
    let first = match c[0] {
        b'X' => b'0',
        b'Y' => b'1',
        b'Z' => b'2',
        d if d.is_ascii_digit() => d,
        _ => return false,
    };
    let mut num = u32::from(first - b'0');
    for &d in &c[1..8] {
        if !d.is_ascii_digit() {
            return false;
        }
        num = num * 10 + u32::from(d - b'0');
    }
    num != 0 && L[(num % 23) as usize] == c[8]
}

/// Indian Aadhaar: 12 digits, not starting with 0 or 1, Verhoeff check.
pub(crate) fn in_aadhaar(s: &str) -> bool {
    let d: Vec<usize> = s
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|x| x as usize)
        .collect();
    if d.len() != 12 || d[0] < 2 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    verhoeff(&d)
}

/// The Verhoeff dihedral-group check over all digits (check digit last).
pub(crate) fn verhoeff(d: &[usize]) -> bool {
    const M: [[usize; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[usize; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 7, 8, 6, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0;
    for (i, &x) in d.iter().rev().enumerate() {
        c = M[c][P[i % 8][x]];
    }
    c == 0
}

/// Brazilian CPF: 11 digits with two mod-11 check digits; all-equal
/// digits are invalid.
pub(crate) fn br_cpf(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let sum: u32 = d[..n]
            .iter()
            .enumerate()
            .map(|(i, &x)| x * (n as u32 + 1 - i as u32))
            .sum();
        let r = (sum * 10) % 11;
        if r == 10 { 0 } else { r }
    };
    check(9) == d[9] && check(10) == d[10]
}

/// Shannon entropy of `s` in bits per character.
pub(crate) fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for &b in s.as_bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the inspect fuzz target: after redaction, the placeholder
    /// `[SECRET:generic_secret]` was a credential cue for the rest of a
    /// long token on the same line, so re-inspecting the redacted text
    /// found a new generic secret.
    #[test]
    fn placeholders_are_not_cues() {
        assert_eq!(strip_placeholders("x [secret:generic_secret]! y"), "x ! y");
        assert_eq!(strip_placeholders("a [b c] [email_1]"), "a [b c] ");
        // Bracketed words of other shapes are the input's own text.
        assert_eq!(strip_placeholders("[inst] key [sure]"), "[inst] key [sure]");
        assert_eq!(
            after_last_placeholder("my key [INST] is"),
            "my key [INST] is"
        );
        assert_eq!(after_last_placeholder("a [EMAIL_2] b [X] c"), " b [X] c");
        let t = "[SECRET:generic_secret]!ejkc5bJFIoxSLivuGvIL6P_8odNXR1yHnGA3cCcY";
        assert!(prose_secret(t, 24, t.len()).is_none());
    }

    #[test]
    fn luhn_works() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(!luhn("1234"));
    }

    #[test]
    fn card_narrows() {
        assert_eq!(card("4111 1111 1111 1111 2024"), Some((0, 19)));
        assert_eq!(card("4111111111111111"), Some((0, 16)));
        assert_eq!(card("4111111111111112"), None);
        // A window inside a longer digit run is never taken.
        assert_eq!(card("41111111111111110"), None);
        assert!(card("3782 822463 10005").is_some());
    }

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn crc_and_github() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // Published test vector.
        assert!(github_checksum("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"));
        assert!(!github_checksum("ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V5"));
        let body = "abcdefghijABCDEFGHIJ0123456789";
        let tok = format!("npm_{body}{}", base62(u64::from(crc32(body.as_bytes())), 6));
        assert!(github_checksum(&tok));
    }

    #[test]
    fn grafana_and_atlassian() {
        let head = "glsa_abcdefghijABCDEFGHIJ0123456789kl";
        assert_eq!(head.len(), 37);
        let hex: String = crc32(head.as_bytes())
            .to_le_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(grafana_checksum(&format!("{head}_{hex}")));
        assert!(!grafana_checksum(&format!("{head}_00000000")));
        let body = "ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz0123456789";
        assert!(atlassian_checksum(&format!(
            "{body}{:08X}",
            crc32(body.as_bytes())
        )));
        assert!(!atlassian_checksum(&format!("{body}00000000")));
    }

    #[test]
    fn iban_and_ssn() {
        assert!(iban("GB82 WEST 1234 5698 7654 32"));
        assert!(iban("DE89370400440532013000"));
        assert!(!iban("DE89370400440532013001"));
        assert!(!iban("DE8937040044053201300"));
        assert!(us_ssn("536-22-1234"));
        assert!(!us_ssn("666-22-1234") || !us_ssn("000-22-1234"));
        assert!(!us_ssn("900-22-1234"));
        assert!(!us_ssn("536-00-1234"));
        assert!(!us_ssn("536-22-0000"));
    }

    #[test]
    fn jwt_structure() {
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"42"}"#);
        assert!(jwt(&format!("{h}.{p}.c2lnbmF0dXJl")));
        let h2 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT"}"#);
        assert!(!jwt(&format!("{h2}.{p}.c2lnbmF0dXJl")));
    }

    #[test]
    fn crypto_addresses() {
        // BIP-173 / BIP-350 test vectors.
        assert!(btc_address("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
        assert!(btc_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(!btc_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        assert!(btc_address(
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
        ));
        // The genesis-block address.
        assert!(btc_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(!btc_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
        // EIP-55 test vectors.
        assert!(eth_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(eth_address("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"));
        assert!(!eth_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
        assert!(eth_address("0x52908400098527886e0f7030069857d2e4169ee7"));
    }

    #[test]
    fn national_ids() {
        assert!(uk_nino("AB123456C"));
        assert!(!uk_nino("QQ123456C"));
        assert!(!uk_nino("AB123456E"));
        assert!(es_dni("12345678Z"));
        assert!(!es_dni("12345678A"));
        assert!(es_dni("X1234567L"));
        // Verhoeff: 236 has check digit 3.
        assert!(verhoeff(&[2, 3, 6, 3]));
        assert!(!verhoeff(&[2, 3, 6, 4]));
        assert!(br_cpf("529.982.247-25"));
        assert!(!br_cpf("529.982.247-26"));
        assert!(!br_cpf("111.111.111-11"));
    }

    #[test]
    fn ips_and_phones() {
        assert!(ipv4_public("81.2.69.160"));
        assert!(!ipv4_public("10.1.2.3"));
        assert!(ipv4_private("10.1.2.3"));
        assert!(!ipv4_public("256.1.1.1"));
        assert!(!ipv4_public("127.0.0.1"));
        assert!(ipv6_global("2a00:1450:4001:81b::200e"));
        assert!(!ipv6_global("::1"));
        assert!(!ipv6_global("fe80::1"));
        assert!(phone_e164("+44 7911 123456"));
        assert!(phone_e164("+1 415 867 5309"));
        assert!(!phone_e164("+1 115 867 5309"));
        assert!(!phone_e164("+999 1"));
        assert!(phone_national("(415) 867-5309"));
        assert!(!phone_national("(115) 867-5309"));
    }

    #[test]
    fn placeholders() {
        for p in [
            "<YOUR_API_KEY>",
            "${OPENAI_API_KEY}",
            "sk-xxxxxxxxxxxxxxxx",
            "your-api-key-here",
            "********",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        assert!(!is_placeholder("Zq8vN2rT5kLw9XbM"));
        assert!(generic_secret("Zq8v-N2rT5kLw9Xb!M"));
        assert!(!generic_secret("hunter2"));
        assert!(!generic_secret("d41d8cd98f00b204e9800998ecf8427e"));
    }
}
