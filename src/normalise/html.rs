//! HTML descriptions: sanitised (ammonia) with a plain-text twin.
//! SKELETON: to be completed.

/// A sanitised HTML fragment and its plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanitised {
    pub html: String,
    pub text: String,
}

/// Sanitises `raw` (no script, style, event handlers, `javascript:` URLs). `None` when
/// nothing visible remains.
pub fn sanitise(raw: &str) -> Option<Sanitised> {
    let html = ammonia::clean(raw);
    let text = super::text::clean(&html_escape::decode_html_entities(
        &ammonia::Builder::empty().clean(&html).to_string(),
    ))?;
    Some(Sanitised {
        html: html.trim().to_owned(),
        text,
    })
}
