//! HTML descriptions: sanitised (ammonia) with a plain-text twin.
//! The HTML is what the API serves; the text is what search and dedup read.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use url::Url;

/// A sanitised HTML fragment and its plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanitised {
    pub html: String,
    pub text: String,
}

/// Tags a description may keep; everything else is unwrapped (its text stays).
const TAGS: &[&str] = &[
    "p", "br", "ul", "ol", "li", "b", "strong", "i", "em", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "img",
];

/// Tags dropped together with their content: their text is code or a frame, not prose.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
];

/// The sanitiser without a base, built once: the builder's sets are static.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(builder);

/// The description sanitiser's rules. A builder with a base is made per call, since
/// ammonia's builder cannot be cloned; it is a few small sets.
fn builder() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("img", HashSet::from(["src", "alt"])),
        ]))
        // `javascript:` and `data:` are absent, so such URLs lose their attribute.
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener"))
        .strip_comments(true);
    builder
}

/// Sanitises `raw`: no script, style, iframe, event-handler attributes, `javascript:` or
/// `data:` URLs; keeps paragraphs, lists, emphasis, headings, links and images. Returns
/// `None` when no visible text remains (e.g. `<p></p>`).
/// Relative URLs are left as written; see [`sanitise_with_base`].
pub fn sanitise(raw: &str) -> Option<Sanitised> {
    finish(SANITISER.clean(raw).to_string())
}

/// [`sanitise`], with the relative URLs of links and images (`/about`, `img/x.png`,
/// `//cdn.example.org/x.png`) resolved against `base`, the page the HTML came from, so
/// they still lead somewhere once served elsewhere. Absolute URLs are checked as by
/// [`sanitise`]. A base that is not http(s) is not used: relative URLs then stay as
/// written, rather than becoming `file:` or other non-web links.
pub fn sanitise_with_base(raw: &str, base: &Url) -> Option<Sanitised> {
    if !matches!(base.scheme(), "http" | "https") {
        return sanitise(raw);
    }
    let mut builder = builder();
    builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    finish(builder.clean(raw).to_string())
}

/// The sanitised HTML and its text; `None` when no text is visible.
fn finish(html: String) -> Option<Sanitised> {
    let text = plain_text(&html)?;
    Some(Sanitised {
        html: html.trim().to_owned(),
        text,
    })
}

/// How strongly a tag separates the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    None,
    Line,
    Paragraph,
}

fn break_for(tag: &str) -> Break {
    match tag {
        "br" | "li" => Break::Line,
        "p" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Break::Paragraph,
        _ => Break::None,
    }
}

/// Builds the text: lines cleaned one by one, joined by `\n` (line) or `\n\n` (paragraph).
#[derive(Default)]
struct TextBuilder {
    out: String,
    line: String,
    pending: Option<Break>,
}

impl TextBuilder {
    fn flush(&mut self) {
        if let Some(cleaned) = super::text::clean(&self.line) {
            if !self.out.is_empty() {
                self.out.push_str(match self.pending {
                    Some(Break::Paragraph) => "\n\n",
                    Some(Break::Line) => "\n",
                    // Text is only flushed at a break or at the end, so this is unreachable
                    // in practice; a space keeps words apart if it ever happens.
                    Some(Break::None) | None => " ",
                });
            }
            self.out.push_str(&cleaned);
            self.pending = None;
        }
        self.line.clear();
    }

    fn brk(&mut self, b: Break) {
        if b == Break::None {
            return;
        }
        self.flush();
        self.pending = Some(self.pending.map_or(b, |p| p.max(b)));
    }
}

/// The plain text of ammonia's output. That output is html5ever's serialisation: `<` and
/// `&` in text are always escaped and attribute values are double-quoted, so a small
/// scanner reads it exactly, with no recursion on deeply nested input.
fn plain_text(html: &str) -> Option<String> {
    let mut builder = TextBuilder::default();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let (text, tail) = rest.split_at(lt);
        builder
            .line
            .push_str(&html_escape::decode_html_entities(text));
        let (tag, after) = split_tag(tail);
        builder.brk(break_for(&tag_name(tag)));
        rest = after;
    }
    builder
        .line
        .push_str(&html_escape::decode_html_entities(rest));
    builder.flush();
    if builder.out.is_empty() {
        None
    } else {
        Some(builder.out)
    }
}

/// Splits `<tag …>rest` after the closing `>`, skipping `>` inside quoted attribute values.
fn split_tag(s: &str) -> (&str, &str) {
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '>' if !in_quotes => return s.split_at(i + 1),
            _ => {}
        }
    }
    (s, "")
}

/// The lower-case name of `<name …>` or `</name>`.
fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('<')
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html_of(raw: &str) -> String {
        sanitise(raw).map(|s| s.html).unwrap_or_default()
    }

    #[test]
    fn script_tags_and_event_handlers_are_removed() {
        let s = sanitise(r#"<p onclick="steal()">Hi<script>alert(1)</script></p>"#);
        let s = s.expect("visible text remains");
        assert_eq!(s.html, "<p>Hi</p>");
        assert_eq!(s.text, "Hi");
    }

    #[test]
    fn style_and_iframe_are_removed_with_their_content() {
        let html = html_of(
            "<style>p{color:red}</style><p>Text</p><iframe src=\"https://x\">frame</iframe>",
        );
        assert_eq!(html, "<p>Text</p>");
    }

    #[test]
    fn javascript_and_data_urls_are_dropped() {
        let html = html_of(
            r#"<a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AAA" alt="y">"#,
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(html.contains(">x</a>"), "{html}");
    }

    #[test]
    fn links_keep_href_and_get_rel_noopener() {
        let html = html_of(r#"<a href="https://example.org/c" target="_blank">c</a>"#);
        assert_eq!(
            html,
            r#"<a href="https://example.org/c" rel="noopener">c</a>"#
        );
    }

    #[test]
    fn allowed_structure_is_kept() {
        let raw = "<h2>T</h2><ul><li><b>a</b></li><li><em>b</em></li></ul><p>x<br>y</p><img src=\"https://e.org/i.png\" alt=\"pic\">";
        assert_eq!(html_of(raw), raw);
    }

    #[test]
    fn unknown_tags_are_unwrapped_not_emptied() {
        assert_eq!(html_of("<div><span>kept</span></div>"), "kept");
    }

    #[test]
    fn block_elements_become_line_breaks_not_glued_words() {
        let s = sanitise("<p>First</p><p>Second</p><ul><li>one</li><li>two</li></ul>a<br>b")
            .expect("text");
        assert_eq!(s.text, "First\n\nSecond\n\none\ntwo\n\na\nb");
    }

    #[test]
    fn plain_text_decodes_entities_and_collapses_whitespace_per_line() {
        let s =
            sanitise("<p>  Tom &amp;   Jerry&nbsp;&lt;3 </p><p>\n  next\tline </p>").expect("text");
        assert_eq!(s.text, "Tom & Jerry <3\n\nnext line");
    }

    #[test]
    fn empty_paragraph_is_absent() {
        assert_eq!(sanitise("<p></p>"), None);
        assert_eq!(sanitise("<p> &nbsp; </p><br>"), None);
        assert_eq!(sanitise(""), None);
        assert_eq!(sanitise("<script>only()</script>"), None);
    }

    #[test]
    fn attribute_with_angle_bracket_does_not_leak_into_text() {
        let s = sanitise(r#"<img src="https://e.org/a.png" alt="a > b">caption"#).expect("text");
        assert_eq!(s.text, "caption");
    }

    fn base() -> Url {
        Url::parse("https://courses.edx.org/courses/course-v1:MITx+6.00x+2T2024/about")
            .unwrap_or_else(|e| panic!("test base URL: {e}"))
    }

    fn html_with_base(raw: &str, base: &Url) -> String {
        sanitise_with_base(raw, base)
            .map(|s| s.html)
            .unwrap_or_default()
    }

    #[test]
    fn relative_links_and_images_are_made_absolute() {
        let raw = r#"<p><img src="/c4x/MITx/6.00x/asset/logo.png" alt="logo"><a href="/about">About</a> <a href="syllabus?week=1#top">Syllabus</a></p>"#;
        let s = sanitise_with_base(raw, &base()).expect("text");
        assert_eq!(
            s.html,
            concat!(
                r#"<p><img src="https://courses.edx.org/c4x/MITx/6.00x/asset/logo.png" alt="logo">"#,
                r#"<a href="https://courses.edx.org/about" rel="noopener">About</a> "#,
                r#"<a href="https://courses.edx.org/courses/course-v1:MITx+6.00x+2T2024/syllabus?week=1#top" rel="noopener">Syllabus</a></p>"#
            )
        );
        assert_eq!(s.text, "About Syllabus");
        assert_eq!(sanitise(raw).map(|s| s.text), Some(s.text));
    }

    #[test]
    fn sanitise_without_a_base_keeps_relative_urls_as_written() {
        let html = html_of(r#"<a href="/about">About</a>"#);
        assert_eq!(html, r#"<a href="/about" rel="noopener">About</a>"#);
    }

    #[test]
    fn protocol_relative_and_absolute_urls_are_kept_safe() {
        let raw = r#"<img src="//cdn.example.org/i.png" alt="i"><a href="https://other.org/x">x</a><a href="mailto:team@example.org">mail</a>"#;
        assert_eq!(
            html_with_base(raw, &base()),
            concat!(
                r#"<img src="https://cdn.example.org/i.png" alt="i">"#,
                r#"<a href="https://other.org/x" rel="noopener">x</a>"#,
                r#"<a href="mailto:team@example.org" rel="noopener">mail</a>"#
            )
        );
        let http_base = Url::parse("http://mooc.example.ac.th/course/1")
            .unwrap_or_else(|e| panic!("test base URL: {e}"));
        assert_eq!(
            html_with_base(r#"<img src="//cdn.example.org/i.png">x"#, &http_base),
            r#"<img src="http://cdn.example.org/i.png">x"#
        );
    }

    #[test]
    fn javascript_url_is_still_dropped_with_a_base() {
        for href in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "java&#9;script:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let html = html_with_base(&format!(r#"<a href="{href}">x</a>"#), &base());
            assert_eq!(html, r#"<a rel="noopener">x</a>"#, "{href:?}");
        }
        let html = html_with_base(r#"<img src="data:image/png;base64,AAA">y"#, &base());
        assert_eq!(html, "<img>y");
    }

    #[test]
    fn a_base_that_is_not_http_is_not_used() {
        let file_base =
            Url::parse("file:///etc/passwd").unwrap_or_else(|e| panic!("test base URL: {e}"));
        assert_eq!(
            html_with_base(r#"<a href="/about">About</a>"#, &file_base),
            r#"<a href="/about" rel="noopener">About</a>"#
        );
    }

    #[test]
    fn thai_text_keeps_its_marks() {
        let s = sanitise("<p>การเงิน&nbsp;ส่วนบุคคล</p>").expect("text");
        assert_eq!(s.text, "การเงิน ส่วนบุคคล");
    }
}
