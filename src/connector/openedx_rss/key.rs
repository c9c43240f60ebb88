//! Open edX course keys (`course-v1:Org+Number+Run`, legacy `Org/Number/Run`) split into
//! the listing identity (`Org+Number`) and the run identity (the whole key).
//!
//! The LMS connector parses the same keys (`connector::openedx::key`); both must agree so
//! that the RSS feed and the LMS API of one site produce the same listing ids.

use percent_encoding::percent_decode_str;

/// A parsed course key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CourseKey {
    pub org: String,
    pub number: String,
    pub run: String,
    /// The whole key, percent-decoded and trimmed: the run's identity.
    pub key: String,
}

impl CourseKey {
    /// The listing identity: `Org+Number`.
    pub fn listing_id(&self) -> String {
        format!("{}+{}", self.org, self.number)
    }
}

/// Parses a course key; `None` unless it has exactly three non-empty parts free of
/// whitespace, control characters, `+` and `/` (the rules of `openedx::key::CourseKey`). Keys copied out of URLs arrive percent-encoded (`course-v1%3AMITx%2B…`),
/// so the text is decoded first.
pub(crate) fn parse_course_key(raw: &str) -> Option<CourseKey> {
    let decoded = percent_decode_str(raw.trim()).decode_utf8().ok()?;
    let key = decoded.trim();
    let parts: Vec<&str> = match key.strip_prefix("course-v1:") {
        Some(rest) => rest.split('+').collect(),
        None => key.split('/').collect(),
    };
    let [org, number, run] = parts.as_slice() else {
        return None;
    };
    // A `+` or `/` inside a part would make `Org+Number` ambiguous between the syntaxes.
    let valid = |p: &str| {
        !p.is_empty()
            && !p
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '+' || c == '/')
    };
    if !(valid(org) && valid(number) && valid(run)) {
        return None;
    }
    Some(CourseKey {
        org: (*org).to_owned(),
        number: (*number).to_owned(),
        run: (*run).to_owned(),
        key: key.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn new_style_key_splits_into_org_number_and_run() {
        let k = parse_course_key("course-v1:MITx+21W.789.4x+1T2016").unwrap();
        assert_eq!(
            (k.org.as_str(), k.number.as_str(), k.run.as_str()),
            ("MITx", "21W.789.4x", "1T2016")
        );
        assert_eq!(k.listing_id(), "MITx+21W.789.4x");
        assert_eq!(k.key, "course-v1:MITx+21W.789.4x+1T2016");
    }

    #[test]
    fn legacy_slash_key_gives_the_same_listing_id_as_the_new_style() {
        let legacy = parse_course_key("MITx/6.002x/2012_Fall").unwrap();
        let new = parse_course_key("course-v1:MITx+6.002x+3T2016").unwrap();
        assert_eq!(legacy.listing_id(), new.listing_id());
        assert_eq!(legacy.key, "MITx/6.002x/2012_Fall");
    }

    #[test]
    fn percent_encoded_key_is_decoded_first() {
        let k = parse_course_key("course-v1%3AHarvardX%2BCS50%2BX").unwrap();
        assert_eq!(k.listing_id(), "HarvardX+CS50");
        assert_eq!(k.key, "course-v1:HarvardX+CS50+X");
    }

    #[test]
    fn surrounding_whitespace_is_ignored_but_inner_whitespace_is_not() {
        assert!(parse_course_key("  course-v1:A+B+C\n").is_some());
        assert_eq!(parse_course_key("course-v1:A B+C+D"), None);
        assert_eq!(parse_course_key("A/B\t/C"), None);
    }

    #[test]
    fn keys_without_three_non_empty_parts_are_refused() {
        for bad in [
            "",
            "course-v1:",
            "course-v1:A+B",
            "course-v1:A+B+C+D",
            "course-v1:A++C",
            "A/B",
            "A//C",
            "A/B/C/D",
            "not a key",
            "%FF%FE/x/y",
            "course-v1:A/x+B+C",
            "A+x/B/C",
            "A/B/C\u{7}",
            "ccx-v1:MITx+6.00x+2T2016+ccx@3",
        ] {
            assert_eq!(parse_course_key(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_three_clean_parts_round_trip(
            org in "[A-Za-z0-9_.-]{1,12}",
            number in "[A-Za-z0-9_.-]{1,12}",
            run in "[A-Za-z0-9_.-]{1,12}",
        ) {
            let k = parse_course_key(&format!("course-v1:{org}+{number}+{run}")).unwrap();
            prop_assert_eq!(k.listing_id(), format!("{org}+{number}"));
            prop_assert_eq!(k.run, run);
        }

        #[test]
        fn whatever_parses_has_three_clean_parts(raw in "(course-v1:)?\\PC{0,6}[+/]\\PC{0,6}[+/]\\PC{0,6}") {
            if let Some(k) = parse_course_key(&raw) {
                for part in [&k.org, &k.number, &k.run] {
                    prop_assert!(!part.is_empty());
                    prop_assert!(!part.chars().any(|c| c.is_whitespace() || c == '+' || c == '/'));
                }
                prop_assert!(k.key.contains(&k.run));
            }
        }
    }
}
