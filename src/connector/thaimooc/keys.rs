//! Open edX course keys in Thai MOOC links: a `course-v1:Org+Number+Run` key in an LMS
//! URL, or the old portal's `THAIMOOC::course--v1:Org-Number-Run` slug that encodes one.

use percent_encoding::percent_decode_str;

/// An Open edX course key (`course-v1:NU+NU036+2021_T1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEdxKey {
    pub org: String,
    pub number: String,
    pub run: String,
}

impl OpenEdxKey {
    /// The full run key, `course-v1:Org+Number+Run`.
    pub fn run_key(&self) -> String {
        format!("course-v1:{}+{}+{}", self.org, self.number, self.run)
    }

    /// The course identity across runs, `Org+Number` (what edX listings are keyed on).
    pub fn course_key(&self) -> String {
        format!("{}+{}", self.org, self.number)
    }

    /// Parses `course-v1:Org+Number+Run` (nothing before or after it), by the rules of
    /// the LMS connector's key parser so both produce the same listing identities.
    pub fn parse(key: &str) -> Option<Self> {
        let k = crate::connector::openedx::CourseKey::parse(key).ok()?;
        (k.syntax == crate::connector::openedx::KeySyntax::CourseV1).then_some(Self {
            org: k.org,
            number: k.number,
            run: k.run,
        })
    }
}

/// Finds the Open edX key a link carries: an LMS URL
/// (`https://lms.thaimooc.org/courses/course-v1:NU+NU036+2021_T1/about`), an old portal
/// URL or bare slug (`THAIMOOC::course--v1:NU-NU036-2021_T1`), percent-encoded or not.
pub fn openedx_key_in(link: &str) -> Option<OpenEdxKey> {
    let decoded = percent_decode_str(link.trim()).decode_utf8_lossy();
    let segment = |from: &str| -> String {
        from.split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    if let Some(at) = find_ascii_ci(&decoded, "THAIMOOC::") {
        let slug = decoded.get(at + "THAIMOOC::".len()..).unwrap_or_default();
        return OpenEdxKey::parse(&decode_legacy_slug(&segment(slug)));
    }
    let at = decoded.find("course-v1:")?;
    OpenEdxKey::parse(&segment(decoded.get(at..).unwrap_or_default()))
}

/// Decodes the old portal's slug form of a key: `--` stands for a literal `-` and a single
/// `-` for `+` (`course--v1:K--MOOC-K--MOOC005-2021` → `course-v1:K-MOOC+K-MOOC005+2021`).
pub fn decode_legacy_slug(slug: &str) -> String {
    let mut out = String::with_capacity(slug.len());
    let mut chars = slug.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '-' {
            out.push(c);
        } else if chars.peek() == Some(&'-') {
            chars.next();
            out.push('-');
        } else {
            out.push('+');
        }
    }
    out
}

/// Byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lms_about_url_yields_its_key() {
        let k = openedx_key_in("https://lms.thaimooc.org/courses/course-v1:NU+NU036+2021_T1/about")
            .unwrap();
        assert_eq!(k.run_key(), "course-v1:NU+NU036+2021_T1");
        assert_eq!(k.course_key(), "NU+NU036");
    }

    #[test]
    fn percent_encoded_key_is_decoded() {
        let k = openedx_key_in(
            "https://lms.thaimooc.org/courses/course-v1%3ASWU%2BSWU011%2B2018/about",
        )
        .unwrap();
        assert_eq!(k.run_key(), "course-v1:SWU+SWU011+2018");
    }

    #[test]
    fn legacy_slug_becomes_the_course_v1_key() {
        let k = openedx_key_in("THAIMOOC::course--v1:NU-NU036-2021_T1").unwrap();
        assert_eq!(k.run_key(), "course-v1:NU+NU036+2021_T1");
        assert_eq!(k.course_key(), "NU+NU036");
    }

    #[test]
    fn double_hyphen_in_a_legacy_slug_is_a_literal_hyphen() {
        let k = openedx_key_in(
            "https://thaimooc.org/course/THAIMOOC%3A%3Acourse--v1%3AK--MOOC-K--MOOC005-2021",
        )
        .unwrap();
        assert_eq!(k.run_key(), "course-v1:K-MOOC+K-MOOC005+2021");
        assert_eq!(k.course_key(), "K-MOOC+K-MOOC005");
    }

    #[test]
    fn hyphenated_org_in_an_lms_url_is_kept() {
        let k =
            openedx_key_in("https://thaimooc.org/courses/course-v1:STOU-MOOC+stou005+2017_T2/info")
                .unwrap();
        assert_eq!(k.org, "STOU-MOOC");
        assert_eq!(k.run, "2017_T2");
    }

    #[test]
    fn links_without_a_key_yield_nothing() {
        for link in [
            "",
            "https://thaimooc.ac.th/courses/NU00020",
            "https://lms.thaimooc.org/courses/course-v1:NU+NU036/about",
            "https://lms.thaimooc.org/courses/course-v1:NU++2021/about",
            "THAIMOOC::",
            "course-v1:",
        ] {
            assert_eq!(openedx_key_in(link), None, "{link:?}");
        }
    }
}
