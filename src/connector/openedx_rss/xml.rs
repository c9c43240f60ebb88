//! The feed's XML read into raw texts ([`RawFeed`]): elements matched by namespace URI,
//! never by prefix, so a feed binding `course:` to another prefix (or as the default
//! namespace) reads the same. Unknown namespaces and elements are skipped.

use quick_xml::encoding::DecodingReader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

/// The namespace of edX's `course:` elements.
pub const COURSE_NS: &str = "https://www.edx.org/api/course/elements/1.0/";
/// The namespace of edX's `staff:` elements.
pub const STAFF_NS: &str = "https://www.edx.org/api/staff/elements/1.0/";
/// The Atom namespace (`atom:link rel="next"` paging).
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// One `<item>` as raw texts (entities resolved, not yet cleaned).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RawItem {
    pub title: Option<String>,
    pub link: Option<String>,
    pub description: Option<String>,
    pub id: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub self_paced: Option<String>,
    pub subtitle: Option<String>,
    pub effort: Option<String>,
    pub length: Option<String>,
    pub language: Option<String>,
    pub verified: Option<String>,
    pub image_thumbnail: Option<String>,
    pub image_banner: Option<String>,
    pub video_youtube: Option<String>,
    pub video_file: Option<String>,
    pub schools: Vec<String>,
    pub subjects: Vec<String>,
    pub staff_names: Vec<String>,
}

/// A whole feed page as raw texts.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RawFeed {
    /// The channel's `<language>`.
    pub language: Option<String>,
    /// The `href` of the first `atom:link rel="next"` outside the items.
    pub next: Option<String>,
    pub items: Vec<RawItem>,
}

/// Which vocabulary an element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No namespace: RSS 2.0's own elements.
    Rss,
    Course,
    Staff,
    Atom,
    Other,
}

impl Ns {
    fn of(resolved: &ResolveResult<'_>) -> Self {
        match resolved {
            ResolveResult::Unbound => Self::Rss,
            ResolveResult::Bound(ns) => match ns.0 {
                COURSE_NS => Self::Course,
                STAFF_NS => Self::Staff,
                ATOM_NS => Self::Atom,
                _ => Self::Other,
            },
            // An undeclared prefix: not a vocabulary we know.
            ResolveResult::Unknown(_) => Self::Other,
        }
    }
}

/// Reads a feed page. An error (with the byte offset) when the XML is not well formed,
/// ends early, or is not an RSS document with a `<channel>`.
pub(crate) fn read_feed(body: &[u8]) -> Result<RawFeed, String> {
    // Transcodes UTF-16 (told by a byte order mark or `<\0?\0`) to UTF-8; anything else must
    // be UTF-8, as edX serves it. Bytes that are not are an error, never replaced silently.
    let mut reader = NsReader::from_reader(DecodingReader::new(body));
    // Entities and text are kept exactly; cleaning happens in the mapping.
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut feed = RawFeed::default();
    let mut stack: Vec<(Ns, String)> = Vec::new();
    let mut item: Option<RawItem> = None;
    let mut text = String::new();
    let mut saw_channel = false;

    loop {
        buf.clear();
        let (ns, event) = match reader.read_resolved_event_into(&mut buf) {
            Ok((resolved, event)) => (Ns::of(&resolved), event),
            Err(e) => {
                return Err(format!(
                    "XML error at byte {}: {e}",
                    reader.error_position()
                ));
            }
        };
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                on_open(ns, &name, &e, &mut item, &mut feed, &mut saw_channel);
                stack.push((ns, name));
                text.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                on_open(ns, &name, &e, &mut item, &mut feed, &mut saw_channel);
                // `<item/>` opened and closed at once: an item with nothing in it.
                if let Some(done) = item.take_if(|_| ns == Ns::Rss && name == "item") {
                    feed.items.push(done);
                }
                text.clear();
            }
            Event::End(_) => {
                let Some((ns, name)) = stack.pop() else {
                    return Err(format!(
                        "XML error at byte {}: closing tag without an opening one",
                        reader.buffer_position()
                    ));
                };
                let value = std::mem::take(&mut text);
                let parent = stack.last().map(|(ns, n)| (*ns, n.as_str()));
                if ns == Ns::Rss && name == "item" {
                    if let Some(done) = item.take() {
                        feed.items.push(done);
                    }
                } else if let Some(it) = item.as_mut() {
                    on_item_field(it, ns, &name, parent, value);
                } else if ns == Ns::Rss
                    && name == "language"
                    && parent == Some((Ns::Rss, "channel"))
                {
                    first(&mut feed.language, value);
                }
            }
            Event::Text(e) => text.push_str(&e.xml10_content()),
            Event::CData(e) => text.push_str(&e.xml10_content()),
            Event::GeneralRef(r) => push_reference(&mut text, &r),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    if let Some((_, open)) = stack.last() {
        return Err(format!(
            "the document ends inside <{open}> (truncated at byte {})",
            reader.buffer_position()
        ));
    }
    if !saw_channel {
        return Err("not an RSS feed: no <channel> element".to_owned());
    }
    Ok(feed)
}

/// An element opens: items begin, the channel is noted, `atom:link rel="next"` is read
/// (its value is in attributes, so it cannot wait for the closing tag).
fn on_open(
    ns: Ns,
    name: &str,
    e: &BytesStart<'_>,
    item: &mut Option<RawItem>,
    feed: &mut RawFeed,
    saw_channel: &mut bool,
) {
    match (ns, name) {
        (Ns::Rss, "channel") => *saw_channel = true,
        (Ns::Rss, "item") if item.is_none() => *item = Some(RawItem::default()),
        (Ns::Atom, "link") if item.is_none() && feed.next.is_none() => {
            let mut rel = None;
            let mut href = None;
            for attr in e.attributes().flatten() {
                let value = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned());
                match attr.key.as_ref() {
                    "rel" => rel = value,
                    "href" => href = value,
                    _ => {}
                }
            }
            if rel.as_deref().map(str::trim) == Some("next") {
                feed.next = href.filter(|h| !h.trim().is_empty());
            }
        }
        _ => {}
    }
}

/// A closed element inside an item lands in its field.
fn on_item_field(it: &mut RawItem, ns: Ns, name: &str, parent: Option<(Ns, &str)>, value: String) {
    let direct = parent == Some((Ns::Rss, "item"));
    match (ns, name) {
        (Ns::Rss, "title") if direct => first(&mut it.title, value),
        (Ns::Rss, "link") if direct => first(&mut it.link, value),
        (Ns::Rss, "description") if direct => first(&mut it.description, value),
        (Ns::Course, "id") => first(&mut it.id, value),
        (Ns::Course, "start") => first(&mut it.start, value),
        (Ns::Course, "end") => first(&mut it.end, value),
        (Ns::Course, "self_paced") => first(&mut it.self_paced, value),
        (Ns::Course, "subtitle") => first(&mut it.subtitle, value),
        (Ns::Course, "effort") => first(&mut it.effort, value),
        (Ns::Course, "length") => first(&mut it.length, value),
        (Ns::Course, "language") => first(&mut it.language, value),
        (Ns::Course, "verified") => first(&mut it.verified, value),
        (Ns::Course, "image-thumbnail") => first(&mut it.image_thumbnail, value),
        (Ns::Course, "image-banner") => first(&mut it.image_banner, value),
        (Ns::Course, "video-youtube") => first(&mut it.video_youtube, value),
        (Ns::Course, "video-file") => first(&mut it.video_file, value),
        (Ns::Course, "school") => more(&mut it.schools, value),
        (Ns::Course, "subject") => more(&mut it.subjects, value),
        (Ns::Staff, "name") => more(&mut it.staff_names, value),
        _ => {}
    }
}

/// Keeps the first non-blank value of a single-valued field.
fn first(slot: &mut Option<String>, value: String) {
    if slot.is_none() && !value.trim().is_empty() {
        *slot = Some(value);
    }
}

/// Adds a non-blank value to a many-valued field.
fn more(list: &mut Vec<String>, value: String) {
    if !value.trim().is_empty() {
        list.push(value);
    }
}

/// Appends what an entity reference stands for. The five XML entities and character
/// references resolve; any other (`&nbsp;`, undeclared in XML but common in feeds written
/// as HTML) is kept verbatim for the HTML-aware cleaning that follows.
fn push_reference(text: &mut String, r: &BytesRef<'_>) {
    let name: &str = r;
    match name {
        "lt" => text.push('<'),
        "gt" => text.push('>'),
        "amp" => text.push('&'),
        "apos" => text.push('\''),
        "quot" => text.push('"'),
        _ if r.is_char_ref() => match r.resolve_char_ref() {
            Ok(Some(c)) => text.push(c),
            // `&#0;` or a number beyond Unicode: shown as unknown, not fatal.
            _ => text.push(char::REPLACEMENT_CHARACTER),
        },
        _ => {
            text.push('&');
            text.push_str(name);
            text.push(';');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(items: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:atom="{ATOM_NS}" xmlns:course="{COURSE_NS}" xmlns:staff="{STAFF_NS}"><channel><language>en</language>{items}</channel></rss>"#
        )
    }

    #[test]
    fn course_elements_are_found_under_any_prefix() {
        let body = format!(
            r#"<rss xmlns:x="{COURSE_NS}"><channel><item><x:id>course-v1:A+B+C</x:id><id xmlns="{COURSE_NS}">ignored second id</id><start xmlns="{COURSE_NS}">2016-01-01 00:00:00</start></item></channel></rss>"#
        );
        let f = read_feed(body.as_bytes()).unwrap();
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.items[0].id.as_deref(), Some("course-v1:A+B+C"));
        assert_eq!(f.items[0].start.as_deref(), Some("2016-01-01 00:00:00"));
    }

    #[test]
    fn course_prefix_bound_to_another_namespace_is_ignored() {
        let body = r#"<rss xmlns:course="https://example.org/other/"><channel><item><course:id>course-v1:A+B+C</course:id></item></channel></rss>"#;
        let f = read_feed(body.as_bytes()).unwrap();
        assert_eq!(f.items[0].id, None);
    }

    #[test]
    fn entities_character_references_and_cdata_are_resolved() {
        let body = feed(
            "<item><title>R &amp; D &#8212; &#x41;&lt;b&gt; &nbsp;<![CDATA[<i>raw</i> & more]]></title></item>",
        );
        let f = read_feed(body.as_bytes()).unwrap();
        assert_eq!(
            f.items[0].title.as_deref(),
            Some("R & D \u{2014} A<b> &nbsp;<i>raw</i> & more")
        );
    }

    #[test]
    fn next_link_is_read_from_attributes_in_any_order() {
        let body =
            feed(r#"<atom:link href="/rss?page=2" rel="next"/><atom:link rel="last" href="/x"/>"#);
        assert_eq!(
            read_feed(body.as_bytes()).unwrap().next.as_deref(),
            Some("/rss?page=2")
        );
    }

    #[test]
    fn next_link_inside_an_item_is_not_paging() {
        let body = feed(r#"<item><atom:link rel="next" href="/nope"/></item>"#);
        assert_eq!(read_feed(body.as_bytes()).unwrap().next, None);
    }

    #[test]
    fn staff_names_and_repeated_subjects_are_all_kept() {
        let body = feed(
            "<item><course:subject>A</course:subject><course:subject>B</course:subject><course:instructors><course:staff><staff:name>X</staff:name><staff:title/></course:staff><course:staff><staff:name>Y</staff:name></course:staff></course:instructors></item>",
        );
        let f = read_feed(body.as_bytes()).unwrap();
        assert_eq!(f.items[0].subjects, ["A", "B"]);
        assert_eq!(f.items[0].staff_names, ["X", "Y"]);
        assert_eq!(f.language.as_deref(), Some("en"));
    }

    #[test]
    fn nested_title_of_an_unknown_element_is_not_the_item_title() {
        let body = feed("<item><source><title>Other</title></source><title>Mine</title></item>");
        let f = read_feed(body.as_bytes()).unwrap();
        assert_eq!(f.items[0].title.as_deref(), Some("Mine"));
    }

    #[test]
    fn truncated_document_is_an_error() {
        let body = feed("<item><title>cut");
        let cut = &body.as_bytes()[..body.len() - "</channel></rss>".len()];
        let e = read_feed(cut).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn mismatched_tags_are_an_error() {
        let e = read_feed(feed("<item><title>x</link></item>").as_bytes()).unwrap_err();
        assert!(e.contains("XML error"), "{e}");
    }

    #[test]
    fn a_document_without_a_channel_is_not_a_feed() {
        assert!(read_feed(b"<html><body>Maintenance</body></html>").is_err());
        assert!(read_feed(b"").is_err());
    }
}

#[cfg(test)]
mod encoding_tests {
    use super::*;

    #[test]
    fn a_utf_16_feed_with_a_byte_order_mark_is_decoded() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><channel><item><title>Caf\u{e9} \u{4e2d}\u{6587}</title></item></channel></rss>";
        let mut body = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            body.extend_from_slice(&unit.to_le_bytes());
        }
        let f = read_feed(&body).unwrap();
        assert_eq!(
            f.items[0].title.as_deref(),
            Some("Caf\u{e9} \u{4e2d}\u{6587}")
        );
    }

    #[test]
    fn bytes_that_are_not_utf_8_are_an_error_not_a_panic() {
        // Latin-1 declarations are not transcoded (edX serves UTF-8): the page fails clearly.
        let mut body =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><title>Caf"
                .to_vec();
        body.push(0xE9);
        body.extend_from_slice(b"</title></item></channel></rss>");
        let e = read_feed(&body).unwrap_err();
        assert!(e.contains("decode"), "{e}");
    }
}
