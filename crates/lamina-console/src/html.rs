//! HTML building blocks: escaping, the page frame every console page shares (head, nav,
//! stylesheet and script links), and small formatters. Pages are plain strings built
//! with these helpers; every value that came from a user goes through [`esc`].

use std::fmt::Write as _;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Escapes text for an HTML element body or a double-quoted attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes one path segment or query value for a link.
pub fn url_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A timestamp as RFC 3339 in UTC, to the second (people do not read nanoseconds).
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A byte count for people: `1.2 kB`, `3.4 MB`.
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// Which top-level section a page belongs to, for the nav highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The functions list and function pages.
    Functions,
    /// Environment images and migration plans.
    Environments,
    /// CloudFront distributions (Lambda@Edge).
    Distributions,
}

/// A whole page: the shared frame around `body`.
pub fn page(title: &str, section: Section, body: &str) -> String {
    let nav = |s: Section, href: &str, label: &str| {
        let current = if s == section {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · Lamina</title>\
<link rel=\"icon\" href=\"data:,\">\
<link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
<script src=\"/console/assets/console.js\" defer></script></head>\
<body><header class=\"top\"><a class=\"brand\" href=\"/console\">Lamina</a><nav>{}{}</nav></header>\
<main>{body}</main></body></html>\n",
        nav(Section::Functions, "/console/functions", "Functions"),
        nav(
            Section::Environments,
            "/console/environments",
            "Environments"
        ) + &nav(
            Section::Distributions,
            "/console/distributions",
            "Distributions"
        ),
        title = esc(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn url_parts_encode_everything_but_unreserved() {
        assert_eq!(url_part("my fn/ä"), "my%20fn%2F%C3%A4");
        assert_eq!(url_part("a-b_c.d~1"), "a-b_c.d~1");
    }

    #[test]
    fn times_are_shown_to_the_second_in_utc() {
        let t = time::macros::datetime!(2026-11-26 23:45:12.065409772 +01:00);
        assert_eq!(when(t), "2026-11-26T22:45:12Z");
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(1_234), "1.2 kB");
        assert_eq!(bytes(5_600_000), "5.6 MB");
    }

    #[test]
    fn page_escapes_its_title_and_marks_the_section() {
        let html = page("<x>", Section::Environments, "<p>hi</p>");
        assert!(html.contains("<title>&lt;x&gt; · Lamina</title>"));
        assert!(html.contains("href=\"/console/environments\" aria-current=\"page\""));
        assert!(html.contains("<main><p>hi</p></main>"));
    }
}
