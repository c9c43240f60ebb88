//! Open edX course keys: `course-v1:Org+Number+Run` and legacy `Org/Number/Run`, parsed into
//! the course identity (`Org+Number`, the listing) and the run identity (the whole key).

use std::fmt;

/// Which syntax a key was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySyntax {
    /// `course-v1:Org+Number+Run`.
    CourseV1,
    /// `Org/Number/Run` (pre-2014 "slash-separated" keys).
    Legacy,
}

/// A parsed course (run) key. Every part is non-empty and free of whitespace, control
/// characters and the separators of either syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseKey {
    pub org: String,
    pub number: String,
    pub run: String,
    pub syntax: KeySyntax,
}

/// Why a string is not a usable course key; the message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("empty")]
    Empty,
    #[error("percent-encoding does not decode to UTF-8")]
    BadEncoding,
    /// A CCX key names a custom course of one cohort, not a catalogue course: the LMS lists
    /// it only to its members, so it is rejected rather than merged into the public course.
    #[error("{0:?} is a CCX (custom course) key, not a catalogue course")]
    Ccx(String),
    #[error("{0:?}: expected course-v1:Org+Number+Run or Org/Number/Run")]
    Shape(String),
    #[error("{key:?}: the {part} part is empty")]
    EmptyPart { key: String, part: &'static str },
    #[error("{key:?}: the {part} part contains whitespace or a control character")]
    BadChar { key: String, part: &'static str },
}

const V1_PREFIX: &str = "course-v1:";
const CCX_PREFIX: &str = "ccx-v1:";

impl CourseKey {
    /// Parses a key as the LMS gives it. Percent-encoded keys (`edX%2FDemoX%2FDemo_Course`,
    /// as they appear in URLs) are decoded first; surrounding whitespace is ignored.
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        let decoded = percent_encoding::percent_decode_str(raw.trim())
            .decode_utf8()
            .map_err(|_| KeyError::BadEncoding)?;
        let key = decoded.trim();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.starts_with(CCX_PREFIX) {
            return Err(KeyError::Ccx(key.to_owned()));
        }
        let (syntax, parts): (KeySyntax, Vec<&str>) = match key.strip_prefix(V1_PREFIX) {
            Some(rest) => (KeySyntax::CourseV1, rest.split('+').collect()),
            None if key.contains('/') => (KeySyntax::Legacy, key.split('/').collect()),
            None => return Err(KeyError::Shape(key.to_owned())),
        };
        let [org, number, run] = parts.as_slice() else {
            return Err(KeyError::Shape(key.to_owned()));
        };
        for (part, value) in [("org", org), ("number", number), ("run", run)] {
            if value.is_empty() {
                return Err(KeyError::EmptyPart {
                    key: key.to_owned(),
                    part,
                });
            }
            // A legacy run may not contain `+` either: that would make `Org+Number`
            // ambiguous between the two syntaxes.
            if value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '+' || c == '/')
            {
                return Err(KeyError::BadChar {
                    key: key.to_owned(),
                    part,
                });
            }
        }
        Ok(Self {
            org: (*org).to_owned(),
            number: (*number).to_owned(),
            run: (*run).to_owned(),
            syntax,
        })
    }

    /// The course identity shared by every run of the course: `Org+Number`, whichever
    /// syntax the key used.
    pub fn course_id(&self) -> String {
        format!("{}+{}", self.org, self.number)
    }
}

/// The key in the syntax it was written in (decoded): the run identity.
impl fmt::Display for CourseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.syntax {
            KeySyntax::CourseV1 => {
                write!(f, "{V1_PREFIX}{}+{}+{}", self.org, self.number, self.run)
            }
            KeySyntax::Legacy => write!(f, "{}/{}/{}", self.org, self.number, self.run),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn course_v1_key_splits_into_org_number_and_run() {
        let k = CourseKey::parse("course-v1:MITx+0.111x+2T2015").unwrap();
        assert_eq!(
            (k.org.as_str(), k.number.as_str(), k.run.as_str()),
            ("MITx", "0.111x", "2T2015")
        );
        assert_eq!(k.syntax, KeySyntax::CourseV1);
        assert_eq!(k.course_id(), "MITx+0.111x");
        assert_eq!(k.to_string(), "course-v1:MITx+0.111x+2T2015");
    }

    #[test]
    fn legacy_key_gives_the_same_course_identity_form() {
        let k = CourseKey::parse("edX/DemoX/Demo_Course").unwrap();
        assert_eq!(k.syntax, KeySyntax::Legacy);
        assert_eq!(k.course_id(), "edX+DemoX");
        assert_eq!(k.to_string(), "edX/DemoX/Demo_Course");
    }

    #[test]
    fn percent_encoded_key_decodes() {
        let k = CourseKey::parse("edX%2FDemoX%2FDemo_Course").unwrap();
        assert_eq!(k.to_string(), "edX/DemoX/Demo_Course");
        let k = CourseKey::parse("course-v1%3AedX%2BDemoX%2BDemo_Course").unwrap();
        assert_eq!(k.to_string(), "course-v1:edX+DemoX+Demo_Course");
    }

    #[test]
    fn malformed_keys_are_errors_naming_the_problem() {
        assert_eq!(CourseKey::parse("  "), Err(KeyError::Empty));
        assert!(matches!(
            CourseKey::parse("not-a-key"),
            Err(KeyError::Shape(_))
        ));
        assert!(matches!(
            CourseKey::parse("course-v1:MITx+6.002x"),
            Err(KeyError::Shape(_))
        ));
        assert!(matches!(
            CourseKey::parse("a/b/c/d"),
            Err(KeyError::Shape(_))
        ));
        assert_eq!(
            CourseKey::parse("course-v1:+6.002x+2T2020"),
            Err(KeyError::EmptyPart {
                key: "course-v1:+6.002x+2T2020".into(),
                part: "org"
            })
        );
        assert!(matches!(
            CourseKey::parse("course-v1:MITx+6 002x+2T2020"),
            Err(KeyError::BadChar { part: "number", .. })
        ));
        // A `%` that starts no escape is kept as written.
        assert_eq!(
            CourseKey::parse("edX/Demo%ZZX/run").unwrap().number,
            "Demo%ZZX"
        );
        assert_eq!(CourseKey::parse("%FF%FE/a/b"), Err(KeyError::BadEncoding));
    }

    #[test]
    fn ccx_key_is_rejected_as_not_a_catalogue_course() {
        assert!(matches!(
            CourseKey::parse("ccx-v1:MITx+6.002x+2T2020+ccx@3"),
            Err(KeyError::Ccx(_))
        ));
    }

    fn part() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_.~:-]{1,16}"
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,64}") {
            let _ = CourseKey::parse(&s);
        }

        #[test]
        fn parser_never_panics_on_key_like_text(s in "(course-v1:|ccx-v1:)?[A-Za-z0-9+/% .:]{0,40}") {
            let _ = CourseKey::parse(&s);
        }

        #[test]
        fn course_v1_keys_round_trip(org in part(), number in part(), run in part()) {
            let raw = format!("course-v1:{org}+{number}+{run}");
            let k = CourseKey::parse(&raw).unwrap();
            prop_assert_eq!(&k.org, &org);
            prop_assert_eq!(&k.number, &number);
            prop_assert_eq!(&k.run, &run);
            prop_assert_eq!(k.course_id(), format!("{org}+{number}"));
            prop_assert_eq!(k.to_string(), raw);
        }
    }
}
