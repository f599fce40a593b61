//! Documented example values and values reserved for documentation.
//!
//! They have the exact shape of live secrets and personal data, and they
//! fill documentation, tutorials, test suites and sample configs: AWS's
//! `AKIAIOSFODNN7EXAMPLE`, Stripe's docs test keys, the jwt.io token, the
//! Azure storage emulator key, the card numbers payment processors publish
//! for testing, `example.com` addresses (RFC 2606), 555-01xx numbers, the
//! RFC 5737 / 3849 documentation address blocks, loopback and well-known
//! resolver addresses. Reporting them as leaks would bury real findings in
//! noise, so the default policy drops them (`allow.examples = true`); a
//! policy that wants to see them sets it to `false`.

/// Exact documented values (compared after normalisation).
const EXACT: &[&str] = &[
    // AWS IAM documentation.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // Stripe API reference test keys.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    // jwt.io's default token.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // Azure Storage emulator (Azurite) account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // Slack's documentation webhook.
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    // SSNs that are public: the Woolworth wallet card, the usual placeholder.
    "078-05-1120",
    "123-45-6789",
    // IBANs from the ISO 13616 / bank documentation.
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
    // GitHub's published token test vector.
    "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",
];

/// Test card numbers published by card networks and processors.
const TEST_CARDS: &[&str] = &[
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "4000056655665556",
    "5555555555554444",
    "5105105105105100",
    "5200828282828210",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3530111333300000",
    "3566002020360505",
    "30569309025904",
    "38520000023237",
    "6200000000000005",
    "4000000000000002",
    "4000000000009995",
    "4222222222222",
];

/// Normalises a matched span for comparison: invisible characters dropped,
/// full-width ASCII mapped to ASCII.
fn normalise(value: &str) -> String {
    value
        .chars()
        .filter_map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0),
            0x200B..=0x200F | 0x2060..=0x2064 | 0xFEFF | 0x00AD => None,
            _ => Some(c),
        })
        .collect()
}

/// Whether `value`, reported as `entity`, is a documented example or a
/// value reserved for documentation.
pub(crate) fn is_example(entity: &str, value: &str) -> bool {
    let v = normalise(value);
    let v = v.trim();
    if EXACT.contains(&v) {
        return true;
    }
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    match entity {
        "aws_access_key_id" | "aws_secret_access_key" => {
            v.ends_with("EXAMPLE") || v.ends_with("EXAMPLEKEY")
        }
        "credit_card" => TEST_CARDS.contains(&digits.as_str()),
        "us_ssn" => {
            digits == "123456789" || digits == "078051120" || digits.starts_with("98765432")
        }
        "iban" => {
            let compact: String = v
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            EXACT.contains(&compact.as_str())
        }
        "email" => {
            let (local, domain) = v.rsplit_once('@').unwrap_or(("", ""));
            // Role addresses that never reach a person are not personal data.
            let l = local.to_ascii_lowercase();
            reserved_domain(domain)
                || matches!(
                    l.as_str(),
                    "noreply"
                        | "no-reply"
                        | "no_reply"
                        | "donotreply"
                        | "do-not-reply"
                        | "mailer-daemon"
                )
        }
        "phone" => fictional_phone(&digits),
        "ipv4" => documentation_ipv4(v),
        "ipv6" => documentation_ipv6(v),
        "eth_address" => v
            .trim_start_matches("0x")
            .trim_start_matches("0X")
            .bytes()
            .all(|b| b == b'0'),
        _ => false,
    }
}

/// RFC 2606 / 6761 reserved names.
fn reserved_domain(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    let d = d.trim_end_matches('.');
    ["example.com", "example.net", "example.org"]
        .iter()
        .any(|r| d == *r || d.ends_with(&format!(".{r}")))
        || [".test", ".example", ".invalid", ".localhost", ".local"]
            .iter()
            .any(|t| d.ends_with(t))
}

/// NANP 555-0100..0199 (reserved for fiction) and Ofcom's drama ranges
/// (07700 900000..900999, 01632 960000..960999, 020 7946 0000..0999).
fn fictional_phone(d: &str) -> bool {
    let national = d.strip_prefix('1').filter(|n| n.len() == 10).unwrap_or(d);
    if national.len() == 10 && &national[3..7] == "5550" && national.as_bytes()[7] == b'1' {
        return true;
    }
    let uk = d
        .strip_prefix("44")
        .map(|n| format!("0{n}"))
        .unwrap_or_else(|| d.to_string());
    uk.starts_with("07700900") || uk.starts_with("01632960") || uk.starts_with("02079460")
}

/// RFC 5737 documentation blocks, loopback, unspecified, link-local
/// (the cloud metadata endpoint), broadcast and well-known public resolvers.
fn documentation_ipv4(v: &str) -> bool {
    let Ok(a) = v.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    let o = a.octets();
    matches!(
        (o[0], o[1], o[2]),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
    ) || a.is_loopback()
        || a.is_unspecified()
        || a.is_link_local()
        || a.is_broadcast()
        || [
            "8.8.8.8",
            "8.8.4.4",
            "1.1.1.1",
            "1.0.0.1",
            "9.9.9.9",
            "149.112.112.112",
            "208.67.222.222",
            "208.67.220.220",
        ]
        .contains(&v)
}

/// RFC 3849 documentation prefix, loopback, unspecified, link-local, and
/// well-known public resolvers.
fn documentation_ipv6(v: &str) -> bool {
    let Ok(a) = v.parse::<std::net::Ipv6Addr>() else {
        return false;
    };
    let s = a.segments();
    (s[0] == 0x2001 && s[1] == 0x0db8)
        || a.is_loopback()
        || a.is_unspecified()
        || (s[0] & 0xffc0) == 0xfe80
        || [
            "2001:4860:4860::8888",
            "2001:4860:4860::8844",
            "2606:4700:4700::1111",
            "2606:4700:4700::1001",
        ]
        .contains(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        assert!(is_example("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"));
        assert!(is_example("credit_card", "4111 1111 1111 1111"));
        assert!(is_example(
            "credit_card",
            "４２４２４２４２４２４２４２４２"
        ));
        assert!(!is_example("credit_card", "4539 5787 6362 1486"));
        assert!(is_example("email", "jane@example.org"));
        assert!(is_example("email", "jane@mail.example.com"));
        assert!(!is_example("email", "jane@examples.com"));
        assert!(is_example("phone", "(646) 555-0188"));
        assert!(!is_example("phone", "(646) 555-0288"));
        assert!(is_example("ipv4", "203.0.113.7"));
        assert!(is_example("ipv4", "169.254.169.254"));
        assert!(!is_example("ipv4", "81.2.69.160"));
        assert!(is_example("ipv6", "2001:db8::1"));
        assert!(is_example("iban", "GB82 WEST 1234 5698 7654 32"));
        assert!(is_example("us_ssn", "078-05-1120"));
    }
}
