//! Cross-platform deduplication on small hand-written listings.

use coursefed::dedup::{AliasTable, MatchRecord, Overrides, Signal, TaggedTitle, cluster};
use coursefed::domain::ListingDraft;

fn rec(id: u64, source: &str, title: &str, inst: &str, people: &[&str]) -> MatchRecord {
    MatchRecord {
        id,
        source: source.into(),
        titles: vec![TaggedTitle {
            lang: None,
            text: title.into(),
        }],
        institutions: vec![inst.into()],
        instructors: people.iter().map(|p| (*p).to_owned()).collect(),
        ..Default::default()
    }
}

fn with_key(mut r: MatchRecord, key: &str) -> MatchRecord {
    r.source_id = Some(key.into());
    r.identifiers = vec![key.into()];
    r
}

fn run(records: &[MatchRecord], overrides: &Overrides) -> Vec<u64> {
    let aliases = AliasTable::load_default().unwrap();
    let c = cluster(records, &aliases, overrides);
    records
        .iter()
        .map(|r| c.cluster_of(r.id).unwrap())
        .collect()
}

fn together(records: &[MatchRecord]) -> Vec<u64> {
    run(records, &Overrides::default())
}

#[test]
fn part_1_and_part_2_stay_apart() {
    let c = together(&[
        rec(1, "edx", "Calculus Part 1", "MIT", &["Gilbert Strang"]),
        rec(2, "edx", "Calculus Part 2", "MIT", &["Gilbert Strang"]),
        rec(3, "coursera", "Calculus: Part 1 (2024 Fall)", "MITx", &[]),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[0], c[2]);
}

#[test]
fn shang_and_xia_stay_apart() {
    let c = together(&[
        rec(1, "xuetangx", "微积分（上）", "清华大学", &["王伟"]),
        rec(2, "xuetangx", "微积分（下）", "清华大学", &["王伟"]),
        rec(3, "xuetangx", "微积分（上）(2023秋)", "清华大学", &["王伟"]),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[0], c[2]);
}

#[test]
fn roman_and_thai_part_numbers_stay_apart() {
    let c = together(&[
        rec(1, "openedu", "Физика I", "СПбГУ", &[]),
        rec(2, "openedu", "Физика II", "СПбГУ", &[]),
        rec(3, "thaimooc", "ฟิสิกส์ ภาค 1", "มหาวิทยาลัยมหิดล", &[]),
        rec(4, "thaimooc", "ฟิสิกส์ ภาค 2", "มหาวิทยาลัยมหิดล", &[]),
    ]);
    assert_ne!(c[0], c[1]);
    assert_ne!(c[2], c[3]);
}

#[test]
fn same_open_edx_key_links_across_platforms() {
    let records = [
        with_key(
            rec(10, "edx", "Data Structures", "Tsinghua University", &[]),
            "course-v1:TsinghuaX+30240184X+2T2024",
        ),
        with_key(
            rec(11, "xuetangx", "数据结构（2024秋）", "清华大学", &[]),
            "course-v1:TsinghuaX+30240184X+2024_T2",
        ),
    ];
    let aliases = AliasTable::load_default().unwrap();
    let c = cluster(&records, &aliases, &Overrides::default());
    assert_eq!(c.cluster_of(10), c.cluster_of(11));
    assert!(c.links.iter().any(|l| l.signal == Signal::SharedKey));
}

#[test]
fn english_alternative_title_meets_english_listing() {
    let mut thai = rec(1, "thaimooc", "การเรียนรู้ของเครื่อง", "จุฬาลงกรณ์มหาวิทยาลัย", &[]);
    thai.titles.push(TaggedTitle {
        lang: Some("en".into()),
        text: "Machine Learning".into(),
    });
    let c = together(&[
        thai,
        rec(
            2,
            "edx",
            "Machine Learning (2023 Spring)",
            "Chulalongkorn University",
            &[],
        ),
    ]);
    assert_eq!(c[0], c[1]);
}

#[test]
fn bilingual_title_meets_both_languages() {
    let c = together(&[
        rec(
            1,
            "edx",
            "数据结构 | Data Structures",
            "Peking University",
            &[],
        ),
        rec(2, "coursera", "Data Structures", "PekingX", &[]),
        rec(3, "xuetangx", "数据结构", "北京大学", &[]),
    ]);
    assert_eq!(c[0], c[1]);
    assert_eq!(c[0], c[2]);
}

#[test]
fn generic_title_from_two_institutions_stays_apart() {
    let c = together(&[
        rec(
            1,
            "edx",
            "Introduction to Statistics",
            "Harvard University",
            &[],
        ),
        rec(
            2,
            "edx",
            "Introduction to Statistics",
            "Stanford University",
            &[],
        ),
    ]);
    assert_ne!(c[0], c[1]);
}

#[test]
fn weak_chain_does_not_form_a_giant_cluster() {
    // Each title differs from the next by one word: neighbours are similar, the ends are
    // not. Without a shared instructor none of these may merge into one chain.
    let words = [
        "Applied Statistics for Engineers",
        "Applied Statistics for Economists",
        "Applied Statistics for Ecologists",
        "Applied Mathematics for Ecologists",
        "Applied Mathematics for Educators",
        "Applied Mechanics for Educators",
    ];
    let records: Vec<MatchRecord> = words
        .iter()
        .enumerate()
        .map(|(i, t)| rec(i as u64 + 1, "edx", t, "MIT", &[]))
        .collect();
    let c = together(&records);
    assert_ne!(c[0], c[5]);
    let biggest = c
        .iter()
        .map(|x| c.iter().filter(|y| *y == x).count())
        .max()
        .unwrap();
    assert!(biggest <= 2, "{c:?}");
}

#[test]
fn operator_unlink_is_honoured() {
    let records = [
        rec(1, "edx", "Optics", "MIT", &[]),
        rec(2, "edx", "Optics", "MIT", &[]),
        rec(3, "coursera", "Optics", "MIT", &[]),
    ];
    assert_eq!(together(&records)[0], together(&records)[1]);
    let c = run(
        &records,
        &Overrides {
            links: vec![],
            unlinks: vec![(1, 2)],
        },
    );
    assert_ne!(c[0], c[1]);
}

#[test]
fn operator_link_is_honoured() {
    let records = [
        rec(1, "edx", "Optics", "MIT", &[]),
        rec(2, "stepik", "Оптика для всех", "Somewhere Else", &[]),
    ];
    assert_ne!(together(&records)[0], together(&records)[1]);
    let c = run(
        &records,
        &Overrides {
            links: vec![(2, 1)],
            unlinks: vec![],
        },
    );
    assert_eq!(c[0], c[1]);
}

#[test]
fn cluster_ids_are_deterministic() {
    let records = vec![
        rec(7, "edx", "Optics", "MIT", &[]),
        rec(3, "coursera", "OPTICS", "MITx", &[]),
        rec(5, "edx", "Game Theory", "MIT", &[]),
    ];
    let forward = together(&records);
    let mut reversed = records.clone();
    reversed.reverse();
    let mut backward = together(&reversed);
    backward.reverse();
    assert_eq!(forward, backward);
    assert_eq!(forward, vec![3, 3, 5]);
}

#[test]
fn same_teacher_in_two_scripts_and_same_title_links_same_platform_runs() {
    let c = together(&[
        rec(1, "stepik", "Оптика", "Университет ИТМО", &["Иван Петров"]),
        rec(
            2,
            "stepik",
            "ОПТИКА 2021",
            "ITMO University",
            &["Петров И."],
        ),
    ]);
    assert_eq!(c[0], c[1]);
}

#[test]
fn a_draft_becomes_a_match_record() {
    let draft = ListingDraft {
        external_id: "ChulaX+CU101".into(),
        title: "การเรียนรู้ของเครื่อง".into(),
        titles: [("en".to_owned(), "Machine Learning".to_owned())].into(),
        institutions: vec!["Chulalongkorn University".into()],
        same_as: vec!["course-v1:ChulaX+CU101+2024_1".into()],
        ..Default::default()
    };
    let r = MatchRecord::from_draft(42, "thaimooc", &draft);
    assert_eq!(r.id, 42);
    assert_eq!(r.titles.len(), 2);
    assert_eq!(r.titles[1].lang.as_deref(), Some("en"));
    let edx = with_key(
        rec(43, "edx", "Machine Learning 1T2025", "ChulaX", &[]),
        "course-v1:ChulaX+CU101+1T2025",
    );
    let c = together(&[r, edx]);
    assert_eq!(c[0], c[1]);
}

#[test]
fn same_title_courses_with_different_instructors_do_not_chain_through_an_unnamed_run() {
    // Two courses called "Statistics" at one university; a run that names no instructor
    // may join one of them, but never both.
    let c = together(&[
        rec(1, "edx", "Statistics", "Peking University", &["Wei Wang"]),
        rec(2, "edx", "Statistics", "Peking University", &[]),
        rec(3, "edx", "Statistics", "Peking University", &["Min Zhao"]),
    ]);
    assert_ne!(c[0], c[2]);
}

#[test]
fn a_shared_given_name_and_a_shared_surname_of_different_people_are_no_shared_instructor() {
    // "Пётр Соколов" is not taught by "Пётр Лебедев" and "Анна Соколова" together.
    let c = together(&[
        rec(
            1,
            "stepik",
            "Письмо на английском языке. Вводный курс",
            "Томский государственный университет",
            &["Соколов Пётр"],
        ),
        rec(
            2,
            "stepik",
            "Письмо на английском языке: основы и приложения",
            "Томский государственный университет",
            &["Пётр Лебедев", "Анна Соколова"],
        ),
    ]);
    assert_ne!(c[0], c[1]);
}

#[test]
fn part_numbers_in_course_keys_keep_siblings_apart() {
    let c = together(&[
        with_key(
            rec(1, "edx", "Introduction to Computing", "MIT", &[]),
            "course-v1:MITx+6.00.1x+2T2024",
        ),
        with_key(
            rec(2, "edx", "Introduction to Computing", "MIT", &[]),
            "course-v1:MITx+6.00.2x+2T2024",
        ),
    ]);
    assert_ne!(c[0], c[1]);
}

#[test]
fn a_listing_id_shared_by_two_parts_links_no_run_of_unknown_part() {
    let c = together(&[
        with_slug(
            rec(
                1,
                "coursera",
                "Thai Culture: Modern Perspectives Part 1",
                "Omsk University",
                &[],
            ),
            "thai-culture-modern-p",
        ),
        with_slug(
            rec(
                2,
                "coursera",
                "Thai Culture: Modern Perspectives Part 2",
                "Omsk University",
                &[],
            ),
            "thai-culture-modern-p?session=2020-09",
        ),
        with_slug(
            rec(3, "coursera", "Тайская культура", "Omsk University", &[]),
            "thai-culture-modern-p?session=2021-09",
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_ne!(c[2], c[0]);
    assert_ne!(c[2], c[1]);
}

#[test]
fn a_part_marker_before_a_bracketed_translation_keeps_siblings_apart() {
    let c = together(&[
        rec(
            1,
            "stepik",
            "Цифровой маркетинг. Часть 1 (Advanced Digital Marketing (1))",
            "Ярославский университет",
            &["Пётр Новиков"],
        ),
        rec(
            2,
            "stepik",
            "Цифровой маркетинг. Часть 2 (Advanced Digital Marketing (2))",
            "Ярославский университет",
            &["Пётр Новиков"],
        ),
        rec(
            3,
            "openedu",
            "Цифровой маркетинг. Часть 2",
            "Ярославский университет",
            &["Пётр Новиков"],
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[1], c[2]);
}

#[test]
fn part_markers_in_slugs_keep_siblings_apart() {
    let c = together(&[
        with_slug(
            rec(
                1,
                "coursera",
                "C++ Programming for Smart Cities: Mode…",
                "ANU",
                &["Sophie Lewis"],
            ),
            "c-programming-for-smart-cities-modern-perspectives-part-1",
        ),
        with_slug(
            rec(
                2,
                "coursera",
                "C++ Programming for Smart Cities: Mode…",
                "ANU",
                &["Sophie Lewis"],
            ),
            "c-programming-for-smart-cities-modern-perspectives-part-2?session=2023-09",
        ),
        with_slug(
            rec(
                3,
                "coursera",
                "C++ Programming for Smart Cities: Modern Perspectives Part 2",
                "ANU",
                &[],
            ),
            "c-programming-for-smart-cities-modern-perspectives-part-2?session=2024-02",
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[1], c[2]);
}

#[test]
fn titles_cut_short_of_unknown_part_link_only_with_a_shared_instructor() {
    let c = together(&[
        rec(
            1,
            "stepik",
            "Международные отношения. Вводный курс…",
            "ХГУ",
            &["Михаил Кузнецов"],
        ),
        rec(
            2,
            "stepik",
            "Международные отношения. Вводный курс…",
            "ХГУ",
            &[],
        ),
        rec(
            3,
            "stepik",
            "Международные отношения. Вводный курс…",
            "ХГУ",
            &["Кузнецов Михаил"],
        ),
    ]);
    assert_ne!(c[0], c[1], "a cut title alone may hide different parts");
    assert_eq!(c[0], c[2], "a shared instructor still links the runs");
}

#[test]
fn a_cut_title_that_begins_a_series_title_of_its_institution_links_to_no_part() {
    let c = together(&[
        rec(
            1,
            "stepik",
            "Международные отношения. Вводный курс: понятия и методы I",
            "ИГМУ",
            &["Елена Козлова"],
        ),
        rec(
            2,
            "stepik",
            "Международные отношения. Вводный курс: понятия и методы II",
            "ИГМУ",
            &["Елена Козлова"],
        ),
        rec(
            3,
            "stepik",
            "Международные отношения. Вводный курс:…",
            "ИГМУ",
            &["Елена Козлова"],
        ),
        rec(
            4,
            "stepik",
            "международные отношения. вводный курс:...",
            "ИГМУ",
            &["Козлова Елена", "Лебедев Алексей"],
        ),
        rec(
            5,
            "stepik",
            "Международные отношения. Вводный курс:…",
            "ХГУ",
            &["Елена Козлова"],
        ),
        rec(
            6,
            "stepik",
            "международные отношения. вводный курс:...",
            "ХГУ",
            &["Козлова Елена"],
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_ne!(c[2], c[3], "either cut run may be either part");
    assert!(![c[0], c[1]].contains(&c[2]) && ![c[0], c[1]].contains(&c[3]));
    assert_eq!(
        c[4], c[5],
        "where no part is named, a shared instructor still links"
    );
}

#[test]
fn a_shared_instructor_links_no_look_alike_titles_of_different_subjects() {
    let c = together(&[
        with_subject(
            rec(
                1,
                "edx",
                "Microeconomics: Case Studies",
                "MIT",
                &["Anna Smith"],
            ),
            "Economics",
        ),
        with_subject(
            rec(
                2,
                "edx",
                "Microeconomics: Principles",
                "MIT",
                &["Anna Smith"],
            ),
            "Computer Science",
        ),
        with_subject(
            rec(
                3,
                "edx",
                "Macroeconomics: Case Studies",
                "Harvard",
                &["Bob Jones"],
            ),
            "Economics",
        ),
        with_subject(
            rec(
                4,
                "edx",
                "Macroeconomics: Principles",
                "Harvard",
                &["Bob Jones"],
            ),
            "Economics",
        ),
    ]);
    assert_ne!(c[0], c[1], "one teacher, two subjects: two courses");
    assert_eq!(
        c[2], c[3],
        "one teacher, one subject, one title head: one course"
    );
}

#[test]
fn similar_titles_of_different_subjects_stay_apart() {
    let c = together(&[
        with_subject(
            rec(1, "edx", "Introduction to Data Analysis", "MIT", &[]),
            "Computer Science",
        ),
        with_subject(
            rec(2, "edx", "Introduction to Data Analytics", "MIT", &[]),
            "Business & Management",
        ),
        with_subject(
            rec(3, "edx", "Introduction to Data Analysis", "Harvard", &[]),
            "Computer Science",
        ),
        with_subject(
            rec(4, "edx", "Introduction to Data Analytics", "Harvard", &[]),
            "Computer Science",
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[2], c[3], "one subject: the similar titles link");
}

#[test]
fn evidence_does_not_join_clusters_whose_runs_are_over_three_years_apart() {
    let dated = |mut r: MatchRecord, d: &str| {
        r.start_date = Some(d.into());
        r
    };
    let c = together(&[
        dated(rec(1, "edx", "Microeconomics", "MIT", &[]), "2014-02-01"),
        dated(
            rec(2, "coursera", "Microeconomics", "MIT", &[]),
            "2019-09-01",
        ),
        dated(rec(3, "stepik", "Microeconomics", "MIT", &[]), "2015-09-01"),
    ]);
    assert_ne!(c[0], c[1], "runs five years apart, title evidence only");
    assert_eq!(c[0], c[2], "runs a year and a half apart");

    let c = together(&[
        with_key(
            dated(rec(1, "edx", "Microeconomics", "MIT", &[]), "2014-02-01"),
            "course-v1:MITx+14.01x+1T2014",
        ),
        with_key(
            dated(rec(2, "edx", "Microeconomics", "MIT", &[]), "2019-09-01"),
            "course-v1:MITx+14.01x+3T2019",
        ),
    ]);
    assert_eq!(c[0], c[1], "a shared course key joins runs years apart");
}

#[test]
fn a_listing_spans_its_runs_when_its_runs_are_far_apart() {
    let c = together(&[
        MatchRecord {
            start_date: Some("2014-02-01".into()),
            last_start_date: Some("2020-02-01".into()),
            ..rec(1, "edx", "Microeconomics", "MIT", &[])
        },
        MatchRecord {
            start_date: Some("2019-09-01".into()),
            ..rec(2, "coursera", "Microeconomics", "MIT", &[])
        },
    ]);
    assert_eq!(c[0], c[1], "the edX listing still ran in 2020");
}

fn with_subject(mut r: MatchRecord, subject: &str) -> MatchRecord {
    r.subject = Some(subject.into());
    r
}

fn with_slug(mut r: MatchRecord, slug: &str) -> MatchRecord {
    r.source_id = Some(slug.into());
    r
}

#[test]
fn an_uncut_slug_part_outranks_the_title_part() {
    // The second listing's title lost a letter of its `II`; its slug still says part 2.
    let c = together(&[
        with_slug(
            rec(
                1,
                "coursera",
                "Networks and Physics I",
                "Barnaul State University",
                &["Aleksei Kuznecov"],
            ),
            "networks-and-physics-i",
        ),
        with_slug(
            rec(
                2,
                "coursera",
                "Networks and Physics I",
                "Barnaul State University",
                &["Aleksei Kuznecov"],
            ),
            "networks-and-physics-ii",
        ),
        with_slug(
            rec(
                3,
                "coursera",
                "Networks and Physics II",
                "Barnaul State University",
                &["Aleksei Kuznecov"],
            ),
            "networks-and-physics-ii?session=2024-02",
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[1], c[2]);
}

#[test]
fn a_slug_cut_at_the_platform_limit_names_no_part() {
    // Slugs of this platform pile up at one length (the limit); `…-practice-i` at that
    // length may be a cut `…-practice-ii`, so it says nothing of the part, and records
    // whose title is cut as well are not linked by the shared cut slug.
    let mut records = Vec::new();
    for n in 0..6u64 {
        let letter = char::from(b'a' + n as u8);
        let slug = format!("{:-<59}{letter}", format!("filler-course-{letter}-"));
        records.push(with_slug(
            rec(
                100 + n,
                "coursera",
                &format!("Filler Course {n}"),
                "Atlanta University",
                &[],
            ),
            &slug,
        ));
    }
    let cut = "discrete-mathematics-for-beginners-from-theory-to-practice-i";
    assert_eq!(cut.len(), records[0].source_id.as_ref().unwrap().len());
    records.push(with_slug(
        rec(
            1,
            "coursera",
            "Discrete Mathematics For Beginners: Fr…",
            "Atlanta University",
            &["W. Edwards"],
        ),
        cut,
    ));
    records.push(with_slug(
        rec(
            2,
            "coursera",
            "Discrete Mathematics for Beginners. From Theory to Practice II",
            "Atlanta University",
            &[],
        ),
        "discrete-mathematics-for-beginners-from-theory-to-practice-ii",
    ));
    records.push(with_slug(
        rec(
            3,
            "coursera",
            "Discrete Mathematics For Beg…",
            "Atlanta University",
            &["Helen Davis"],
        ),
        &format!("{cut}?session=2021-02"),
    ));
    let c = together(&records);
    let n = records.len();
    assert_ne!(
        c[n - 3],
        c[n - 1],
        "a cut slug does not link records of hidden part"
    );
}

#[test]
fn runs_of_one_numeric_listing_teach_institution_aliases() {
    // The runs of listing 7416278 name the institution in Chinese and by its code; the
    // code names it on edX too. The Chinese and English listings then meet by their
    // shared instructor (one is enough within one institution).
    let numeric = |r: MatchRecord, id: &str| with_slug(r, id);
    let c = together(&[
        numeric(
            rec(
                1,
                "xuetangx",
                "细胞生物学与算法",
                "丹佛州立大学",
                &["Emily Rogers"],
            ),
            "7416278/5842444",
        ),
        numeric(
            rec(
                2,
                "xuetangx",
                "细胞生物学与算法（2024春）",
                "DenverSUx",
                &[],
            ),
            "7416278/3042254",
        ),
        with_key(
            rec(
                3,
                "edx",
                "Cell Biology and Algorithms",
                "DenverSUx",
                &["Emily Rogers"],
            ),
            "course-v1:DenverSUx+BIO432x+2023_T1",
        ),
    ]);
    assert_eq!(c[0], c[1]);
    assert_eq!(c[0], c[2]);
}

#[test]
fn instructors_link_across_institutions_named_in_different_scripts() {
    // `芝加哥理工学院` is in no alias table and never listed under a key: two shared
    // instructors link its Chinese listing to the English one; one would not.
    let c = together(&[
        rec(
            1,
            "xuetangx",
            "计算机体系结构原理",
            "芝加哥理工学院",
            &["Edward Turner", "Claire Harris"],
        ),
        rec(
            2,
            "edx",
            "Principles of Computer Architecture",
            "Chicago Institute of Technology",
            &["Edward Turner", "Claire Harris"],
        ),
        rec(3, "xuetangx", "操作系统", "芝加哥理工学院", &["Anna Young"]),
        rec(
            4,
            "edx",
            "Operating Systems",
            "Boston Institute of Technology",
            &["Anna Young"],
        ),
    ]);
    assert_eq!(c[0], c[1]);
    assert_ne!(
        c[2], c[3],
        "one shared instructor across institutions is not enough"
    );
}

#[test]
fn two_numbered_listings_of_one_platform_are_two_courses() {
    // A platform that numbers the runs of a listing (`course/run`) lists a course once:
    // `Computer Vision I` under a second listing id is another course (here the second
    // part, whose `II` lost a letter), however alike its title and team.
    let run = |id, title, platform_id| {
        with_slug(
            rec(id, "xuetangx", title, "南昌师范大学", &["邓丽"]),
            platform_id,
        )
    };
    let c = together(&[
        run(1, "Computer Vision I", "2109017/7401815"),
        run(2, "Computer Vision I", "2109017/1691953"),
        run(3, "Computer Vision I", "4136268/1475017"),
        run(4, "Computer Vision II", "4136268/5550123"),
        rec(5, "edx", "Computer Vision I", "南昌师范大学", &["邓丽"]),
    ]);
    assert_eq!(c[0], c[1], "runs of one listing");
    assert_ne!(c[0], c[2], "a second listing of the platform");
    assert_eq!(c[0], c[4], "the course on another platform still links");
}

#[test]
fn a_part_outvoted_by_the_runs_of_its_course_key_is_evidence_of_no_part() {
    // ThaiMOOC numbers a foreign institution's courses itself: `SHENYA903` holds the runs
    // of part II, one of whose titles lost the `I` of its `II`. That run joins neither
    // part by its title, and its key does not pull it into part II either (keys collide).
    let people = ["Huang Wenxiu", "Xie Xiu", "Li Yu"];
    let inst = "มหาวิทยาลัยเสิ่นหยาง";
    let c = together(&[
        with_key(
            rec(
                1,
                "thaimooc",
                "Introduction to Control Systems I",
                inst,
                &people,
            ),
            "course-v1:SHENYA+SHENYA338+2022_1",
        ),
        with_key(
            rec(
                2,
                "thaimooc",
                "Introduction to Control Systems I",
                inst,
                &people,
            ),
            "course-v1:SHENYA+SHENYA338+2023_2",
        ),
        with_key(
            rec(
                3,
                "thaimooc",
                "Introduction to Control Systems I",
                inst,
                &people,
            ),
            "course-v1:SHENYA+SHENYA903+2022_1",
        ),
        with_key(
            rec(
                4,
                "thaimooc",
                "Introduction to Control Systems II",
                inst,
                &people,
            ),
            "course-v1:SHENYA+SHENYA903+2022_2",
        ),
        with_key(
            rec(
                5,
                "thaimooc",
                "Introduction to Control Systems II",
                inst,
                &people,
            ),
            "course-v1:SHENYA+SHENYA903+2023_3",
        ),
    ]);
    assert_eq!(c[0], c[1]);
    assert_eq!(c[3], c[4]);
    assert_ne!(c[0], c[3]);
    assert!(
        ![c[0], c[3]].contains(&c[2]),
        "the outvoted run is neither part"
    );
}

#[test]
fn a_shared_key_links_no_records_whose_subject_labels_in_one_script_differ() {
    let subject = |mut r: MatchRecord, s: &str| {
        r.subject = Some(s.into());
        r
    };
    let inst = "มหาวิทยาลัยเสิ่นหยาง";
    let c = together(&[
        subject(
            with_key(
                rec(1, "thaimooc", "Data Analysis", inst, &[]),
                "course-v1:SHENYA+SHENYA903+2022_1",
            ),
            "วิทยาการคอมพิวเตอร์",
        ),
        subject(
            with_key(
                rec(2, "thaimooc", "Data Analytics", inst, &[]),
                "course-v1:SHENYA+SHENYA903+2023_1",
            ),
            "บริหารธุรกิจ",
        ),
        subject(
            with_key(
                rec(3, "thaimooc", "Data Analysis", inst, &[]),
                "course-v1:SHENYA+SHENYA903+2023_2",
            ),
            "วิทยาการคอมพิวเตอร์",
        ),
    ]);
    assert_ne!(c[0], c[1]);
    assert_eq!(c[0], c[2]);
}
