//! One catalogue page, bytes to normalised listings: the envelope, every item mapped,
//! items sharing a `course_sign` folded into one listing with several runs.

use chrono_tz::Tz;
use serde::Serialize;
use url::Url;

use super::envelope::{EnvelopeError, parse_envelope};
use super::item::map_item;
use crate::domain::{ListingDraft, Rejection};

/// What one page yields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// The total the platform announces (`data.count`).
    pub count: Option<u64>,
    /// Items on the page, good or bad (the stop rule counts these).
    pub items: usize,
    /// The page's classroom ids, sorted: two pages with the same non-empty set are the
    /// same page served twice.
    pub classroom_ids: Vec<String>,
    /// One draft per `course_sign`, in the order first seen.
    pub listings: Vec<ListingDraft>,
    pub rejections: Vec<Rejection>,
}

/// Parses and maps one `get_product_list` response body.
pub fn parse_page(body: &[u8], base: &Url, tz: Tz) -> Result<Page, EnvelopeError> {
    let envelope = parse_envelope(body)?;
    let mut classroom_ids: Vec<String> = envelope
        .items
        .iter()
        .filter_map(|i| i.get("classroom_id"))
        .filter_map(|v| match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    classroom_ids.sort();
    classroom_ids.dedup();

    let mut listings: Vec<ListingDraft> = Vec::new();
    let mut rejections = Vec::new();
    for item in &envelope.items {
        match map_item(item, base, tz) {
            Ok(draft) => match listings
                .iter_mut()
                .find(|l| l.external_id == draft.external_id)
            {
                Some(existing) => existing.absorb(draft),
                None => listings.push(draft),
            },
            Err(rejection) => rejections.push(rejection),
        }
    }
    Ok(Page {
        count: envelope.count,
        items: envelope.items.len(),
        classroom_ids,
        listings,
        rejections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Page, EnvelopeError> {
        parse_page(
            body.as_bytes(),
            &Url::parse("https://www.xuetangx.com/").unwrap(),
            chrono_tz::Asia::Shanghai,
        )
    }

    #[test]
    fn items_sharing_a_course_sign_become_one_listing_with_two_runs() {
        let page = parse(
            r#"{"success": true, "data": {"count": 3, "product_list": [
              {"course_sign": "THU1", "classroom_id": 2, "name": "数据结构(上)"},
              {"course_sign": "THU2", "classroom_id": 3, "name": "数据结构(下)"},
              {"sign": "THU1", "classroom_id": 1, "name": "数据结构(上)", "cover": "/c.png"}
            ]}}"#,
        )
        .unwrap();
        assert_eq!(page.items, 3);
        assert_eq!(page.listings.len(), 2);
        let first = page.listings.first().unwrap();
        assert_eq!(first.external_id, "THU1");
        let runs: Vec<&str> = first
            .runs
            .iter()
            .map(|r| r.external_run_id.as_str())
            .collect();
        assert_eq!(runs, vec!["2", "1"]);
        assert!(first.image_url.is_some());
        assert_eq!(page.classroom_ids, vec!["1", "2", "3"]);
    }

    #[test]
    fn a_bad_item_is_rejected_and_the_page_goes_on() {
        let page = parse(
            r#"{"success": true, "data": {"count": 2, "product_list": [
              {"classroom_id": 7, "name": "无标识"},
              {"course_sign": "THU2", "classroom_id": 8, "name": "好"}
            ]}}"#,
        )
        .unwrap();
        assert_eq!(page.listings.len(), 1);
        assert_eq!(page.rejections.len(), 1);
        assert_eq!(page.items, 2);
        assert_eq!(page.classroom_ids, vec!["7", "8"]);
    }

    #[test]
    fn success_false_is_not_an_empty_page() {
        assert!(matches!(
            parse(r#"{"success": false, "msg": "no"}"#),
            Err(EnvelopeError::Platform(_))
        ));
    }
}
