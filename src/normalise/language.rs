//! Languages: codes and names in several scripts to BCP 47 tags.
//! Platforms send `en-us`, `zh_CN`, `ไทย`, `中文`, `English`; the catalogue stores one tag form.

/// ISO 639-1 codes (all of them): a two-letter primary subtag outside this list is not a
/// language (`xx`, `zz`).
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca \
    ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn \
    gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km \
    kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd \
    ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si \
    sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz \
    ve vi vo wa wo xh yi yo za zh zu";

/// Three-letter codes (ISO 639-2/B, 639-2/T, 639-3) seen on platforms; those with a
/// two-letter form map to it, as BCP 47 requires.
const THREE_LETTER: &[(&str, &str)] = &[
    ("eng", "en"),
    ("tha", "th"),
    ("zho", "zh"),
    ("chi", "zh"),
    ("cmn", "zh"),
    ("rus", "ru"),
    ("spa", "es"),
    ("fra", "fr"),
    ("fre", "fr"),
    ("deu", "de"),
    ("ger", "de"),
    ("jpn", "ja"),
    ("kor", "ko"),
    ("por", "pt"),
    ("ara", "ar"),
    ("vie", "vi"),
    ("ind", "id"),
    ("msa", "ms"),
    ("may", "ms"),
    ("ita", "it"),
    ("hin", "hi"),
    ("nld", "nl"),
    ("dut", "nl"),
    ("tur", "tr"),
    ("pol", "pl"),
    ("ukr", "uk"),
    ("lao", "lo"),
    ("khm", "km"),
    ("mya", "my"),
    ("bur", "my"),
    ("fil", "fil"),
    ("yue", "yue"),
];

/// Language names in English, the language itself, Chinese and Thai, lower-cased, with a
/// leading Thai `ภาษา` ("language") removed before lookup.
const NAMES: &[(&str, &str)] = &[
    // English
    ("english", "en"),
    ("英语", "en"),
    ("英文", "en"),
    ("英語", "en"),
    ("อังกฤษ", "en"),
    ("anglais", "en"),
    ("inglés", "en"),
    ("englisch", "en"),
    ("английский", "en"),
    // Thai
    ("thai", "th"),
    ("ไทย", "th"),
    ("泰语", "th"),
    ("泰文", "th"),
    ("泰語", "th"),
    // Chinese
    ("chinese", "zh"),
    ("mandarin", "zh"),
    ("中文", "zh"),
    ("汉语", "zh"),
    ("漢語", "zh"),
    ("普通话", "zh"),
    ("普通話", "zh"),
    ("华语", "zh"),
    ("華語", "zh"),
    ("国语", "zh"),
    ("國語", "zh"),
    ("中国語", "zh"),
    ("จีน", "zh"),
    ("китайский", "zh"),
    ("简体中文", "zh-Hans"),
    ("中文简体", "zh-Hans"),
    ("简体", "zh-Hans"),
    ("simplified chinese", "zh-Hans"),
    ("chinese (simplified)", "zh-Hans"),
    ("中文(简体)", "zh-Hans"),
    ("中文（简体）", "zh-Hans"),
    ("繁體中文", "zh-Hant"),
    ("繁体中文", "zh-Hant"),
    ("中文繁體", "zh-Hant"),
    ("繁體", "zh-Hant"),
    ("traditional chinese", "zh-Hant"),
    ("chinese (traditional)", "zh-Hant"),
    ("中文(繁體)", "zh-Hant"),
    ("中文（繁體）", "zh-Hant"),
    ("cantonese", "yue"),
    ("粤语", "yue"),
    ("粵語", "yue"),
    ("廣東話", "yue"),
    // Russian
    ("russian", "ru"),
    ("русский", "ru"),
    ("俄语", "ru"),
    ("俄文", "ru"),
    ("รัสเซีย", "ru"),
    // Spanish
    ("spanish", "es"),
    ("español", "es"),
    ("espanol", "es"),
    ("西班牙语", "es"),
    ("สเปน", "es"),
    // French
    ("french", "fr"),
    ("français", "fr"),
    ("francais", "fr"),
    ("法语", "fr"),
    ("法文", "fr"),
    ("ฝรั่งเศส", "fr"),
    // German
    ("german", "de"),
    ("deutsch", "de"),
    ("德语", "de"),
    ("德文", "de"),
    ("เยอรมัน", "de"),
    // Japanese
    ("japanese", "ja"),
    ("日本語", "ja"),
    ("日语", "ja"),
    ("日文", "ja"),
    ("ญี่ปุ่น", "ja"),
    // Korean
    ("korean", "ko"),
    ("한국어", "ko"),
    ("韩语", "ko"),
    ("韓語", "ko"),
    ("韩文", "ko"),
    ("朝鲜语", "ko"),
    ("เกาหลี", "ko"),
    // Portuguese
    ("portuguese", "pt"),
    ("português", "pt"),
    ("portugues", "pt"),
    ("葡萄牙语", "pt"),
    ("โปรตุเกส", "pt"),
    // Arabic
    ("arabic", "ar"),
    ("العربية", "ar"),
    ("阿拉伯语", "ar"),
    ("อาหรับ", "ar"),
    // Vietnamese
    ("vietnamese", "vi"),
    ("tiếng việt", "vi"),
    ("越南语", "vi"),
    ("เวียดนาม", "vi"),
    // Indonesian
    ("indonesian", "id"),
    ("bahasa indonesia", "id"),
    ("印尼语", "id"),
    ("印度尼西亚语", "id"),
    ("อินโดนีเซีย", "id"),
    // Malay
    ("malay", "ms"),
    ("bahasa melayu", "ms"),
    ("bahasa malaysia", "ms"),
    ("马来语", "ms"),
    ("มลายู", "ms"),
    ("มาเลย์", "ms"),
    // Italian
    ("italian", "it"),
    ("italiano", "it"),
    ("意大利语", "it"),
    ("อิตาลี", "it"),
    // Hindi
    ("hindi", "hi"),
    ("हिन्दी", "hi"),
    ("हिंदी", "hi"),
    ("印地语", "hi"),
    ("ฮินดี", "hi"),
    // Others of the region and beyond
    ("dutch", "nl"),
    ("nederlands", "nl"),
    ("荷兰语", "nl"),
    ("turkish", "tr"),
    ("türkçe", "tr"),
    ("土耳其语", "tr"),
    ("polish", "pl"),
    ("polski", "pl"),
    ("ukrainian", "uk"),
    ("українська", "uk"),
    ("persian", "fa"),
    ("farsi", "fa"),
    ("فارسی", "fa"),
    ("hebrew", "he"),
    ("עברית", "he"),
    ("greek", "el"),
    ("ελληνικά", "el"),
    ("swedish", "sv"),
    ("svenska", "sv"),
    ("czech", "cs"),
    ("čeština", "cs"),
    ("bengali", "bn"),
    ("বাংলা", "bn"),
    ("urdu", "ur"),
    ("اردو", "ur"),
    ("lao", "lo"),
    ("ລາວ", "lo"),
    ("ลาว", "lo"),
    ("老挝语", "lo"),
    ("khmer", "km"),
    ("ខ្មែរ", "km"),
    ("เขมร", "km"),
    ("高棉语", "km"),
    ("burmese", "my"),
    ("myanmar", "my"),
    ("မြန်မာ", "my"),
    ("พม่า", "my"),
    ("缅甸语", "my"),
    ("filipino", "fil"),
    ("tagalog", "tl"),
    ("mongolian", "mn"),
    ("蒙古语", "mn"),
    ("tibetan", "bo"),
    ("藏语", "bo"),
];

/// Maps a language code or name to a BCP 47 tag (`en-us` → `en-US`, `zh_CN` → `zh-CN`,
/// `zh-hans` → `zh-Hans`, `中文` → `zh`, `ภาษาไทย` → `th`). `None` when unknown.
pub fn to_bcp47(raw: &str) -> Option<String> {
    let cleaned = super::text::clean(raw)?;
    let lower = cleaned.to_lowercase();
    let name = lower
        .strip_prefix("ภาษา")
        .map_or(lower.as_str(), str::trim)
        .trim_end_matches(" language");
    if let Some((_, tag)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Some((*tag).to_owned());
    }
    if let Some(tag) = from_code(&cleaned) {
        return Some(tag);
    }
    // `English (US)`, `ไทย (Thai)`: the name before a parenthesis.
    let (head, _) = cleaned.split_once(['(', '（'])?;
    to_bcp47(head)
}

/// A tag from a code: subtags split on `-` or `_`, case-normalised (language lower, script
/// title, region upper), the primary language checked against ISO 639.
fn from_code(code: &str) -> Option<String> {
    let mut subtags = code.split(['-', '_']);
    let primary = subtags.next()?.to_ascii_lowercase();
    let language = match primary.len() {
        2 if primary.bytes().all(|b| b.is_ascii_lowercase()) => ISO_639_1
            .split_whitespace()
            .any(|c| c == primary)
            .then_some(primary)?,
        3 => THREE_LETTER
            .iter()
            .find(|(c, _)| *c == primary)
            .map(|(_, tag)| (*tag).to_owned())?,
        _ => return None,
    };
    let mut tag = language;
    for sub in subtags {
        if sub.is_empty() || sub.len() > 8 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        tag.push('-');
        match sub.len() {
            // Script: `hans` → `Hans`.
            4 if sub.bytes().all(|b| b.is_ascii_alphabetic()) => {
                let mut chars = sub.chars();
                if let Some(first) = chars.next() {
                    tag.push(first.to_ascii_uppercase());
                }
                tag.push_str(&chars.as_str().to_ascii_lowercase());
            }
            // Region: `us` → `US`, or three digits (`419`).
            2 => tag.push_str(&sub.to_ascii_uppercase()),
            _ => tag.push_str(&sub.to_ascii_lowercase()),
        }
    }
    Some(tag)
}

/// Splits a list of languages (`ไทย, English`, `中文/英文`, `th;en`, `English and Thai`) into
/// tags, in order, without duplicates. Parts that name no language are skipped.
pub fn to_bcp47_list(raw: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let normalised = raw
        .replace(" and ", ",")
        .replace(" & ", ",")
        .replace("และ", ",");
    let parts = normalised.split([',', '/', ';', '|', '、', '，', '；', '&', '\n', '和', '及']);
    for part in parts {
        let found = match to_bcp47(part) {
            Some(tag) => vec![tag],
            // `th en`: a space-separated list of codes or names.
            None => part.split_whitespace().filter_map(to_bcp47).collect(),
        };
        for tag in found {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tag as a plain string, `"<none>"` when absent, for compact assertions.
    fn tag(raw: &str) -> String {
        to_bcp47(raw).unwrap_or_else(|| "<none>".to_owned())
    }

    #[test]
    fn two_letter_codes_stay_lower_case() {
        assert_eq!(tag("en"), "en");
        assert_eq!(tag(" TH "), "th");
        assert_eq!(tag("ru"), "ru");
    }

    #[test]
    fn region_subtag_becomes_upper_case() {
        assert_eq!(tag("en-us"), "en-US");
        assert_eq!(tag("en_US"), "en-US");
        assert_eq!(tag("zh_CN"), "zh-CN");
        assert_eq!(tag("es-419"), "es-419");
    }

    #[test]
    fn script_subtag_becomes_title_case() {
        assert_eq!(tag("zh-hans"), "zh-Hans");
        assert_eq!(tag("ZH-HANT-tw"), "zh-Hant-TW");
    }

    #[test]
    fn three_letter_codes_map_to_two_letter_tags() {
        assert_eq!(tag("eng"), "en");
        assert_eq!(tag("tha"), "th");
        assert_eq!(tag("chi"), "zh");
    }

    #[test]
    fn thai_names_map_to_th() {
        assert_eq!(tag("ไทย"), "th");
        assert_eq!(tag("ภาษาไทย"), "th");
        assert_eq!(tag("Thai"), "th");
    }

    #[test]
    fn chinese_names_map_to_zh() {
        for name in ["中文", "汉语", "普通话", "Chinese", "ภาษาจีน"] {
            assert_eq!(tag(name), "zh", "{name}");
        }
        assert_eq!(tag("简体中文"), "zh-Hans");
        assert_eq!(tag("Chinese (Simplified)"), "zh-Hans");
        assert_eq!(tag("中文（繁體）"), "zh-Hant");
    }

    #[test]
    fn english_names_map_to_en() {
        for name in [
            "English",
            "英语",
            "英文",
            "อังกฤษ",
            "ภาษาอังกฤษ",
            "ภาษา อังกฤษ",
            "english language",
        ] {
            assert_eq!(tag(name), "en", "{name}");
        }
    }

    #[test]
    fn russian_names_map_to_ru() {
        assert_eq!(tag("Русский"), "ru");
        assert_eq!(tag("Russian"), "ru");
    }

    #[test]
    fn common_language_names_are_known() {
        let cases = [
            ("Spanish", "es"),
            ("Français", "fr"),
            ("Deutsch", "de"),
            ("日本語", "ja"),
            ("한국어", "ko"),
            ("Portuguese", "pt"),
            ("العربية", "ar"),
            ("Tiếng Việt", "vi"),
            ("Bahasa Indonesia", "id"),
            ("Malay", "ms"),
            ("Italian", "it"),
            ("हिन्दी", "hi"),
            ("ญี่ปุ่น", "ja"),
            ("韩语", "ko"),
        ];
        for (name, expected) in cases {
            assert_eq!(tag(name), expected, "{name}");
        }
    }

    #[test]
    fn name_before_a_parenthesis_is_used() {
        assert_eq!(tag("English (US)"), "en");
        assert_eq!(tag("ไทย (Thai)"), "th");
    }

    #[test]
    fn unknown_languages_and_codes_are_none() {
        for raw in [
            "",
            "  ",
            "xx",
            "zz-ZZ",
            "Klingon",
            "en-",
            "en--us",
            "e",
            "123",
            "火星文",
        ] {
            assert_eq!(to_bcp47(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn language_lists_split_into_deduplicated_tags() {
        assert_eq!(to_bcp47_list("ไทย, English"), ["th", "en"]);
        assert_eq!(to_bcp47_list("中文/英文"), ["zh", "en"]);
        assert_eq!(to_bcp47_list("en; EN; en-us"), ["en", "en-US"]);
        assert_eq!(to_bcp47_list("ไทยและอังกฤษ"), ["th", "en"]);
        assert_eq!(to_bcp47_list("English and Thai"), ["en", "th"]);
        assert_eq!(to_bcp47_list("中文、英语"), ["zh", "en"]);
        assert_eq!(to_bcp47_list("th en"), ["th", "en"]);
        assert!(to_bcp47_list("").is_empty());
        assert!(to_bcp47_list("nothing here").is_empty());
    }

    proptest! {
        #[test]
        fn language_parsers_never_panic(s in "\\PC*") {
            if let Some(t) = to_bcp47(&s) {
                prop_assert!(!t.is_empty() && !t.contains(char::is_whitespace));
            }
            let list = to_bcp47_list(&s);
            for (i, t) in list.iter().enumerate() {
                prop_assert!(!list[..i].contains(t), "duplicate {}", t);
            }
        }

        #[test]
        fn tags_are_stable_when_parsed_again(s in "[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8}){0,2}") {
            if let Some(t) = to_bcp47(&s) {
                prop_assert_eq!(to_bcp47(&t), Some(t));
            }
        }
    }
}
