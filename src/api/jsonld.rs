//! A course as schema.org JSON-LD (`Accept: application/ld+json`): a `Course` with one
//! `CourseInstance` per run, its providers, its offers (free or paid) and `sameAs` the
//! listing URLs.

use serde_json::{Value, json};

use crate::domain::{Access, Pacing};
use crate::export::CourseDoc;

/// The JSON-LD document of `course`, whose canonical URL path is `/v1/courses/{id}`.
pub fn course(course: &CourseDoc) -> Value {
    let mut providers: Vec<String> = Vec::new();
    let mut same_as: Vec<String> = Vec::new();
    let mut instances = Vec::new();
    let mut offers = Vec::new();
    let mut description = None;
    for l in &course.listings {
        for name in &l.institutions {
            if !providers.contains(name) {
                providers.push(name.clone());
            }
        }
        if let Some(url) = &l.url
            && !same_as.contains(url)
        {
            same_as.push(url.clone());
        }
        if description.is_none() {
            description = l
                .short_description
                .clone()
                .or_else(|| l.description_text.clone());
        }
        if let Some(access) = l.access {
            let (category, price) = match access {
                Access::Free => ("Free", Some(0)),
                Access::FreePaidCertificate => ("Free with a paid certificate", Some(0)),
                Access::Paid => ("Paid", None),
            };
            let mut offer = json!({"@type": "Offer", "category": category});
            if let Some(p) = price {
                offer["price"] = json!(p);
            }
            if let Some(url) = &l.url {
                offer["url"] = json!(url);
            }
            offers.push(offer);
        }
        for r in &l.runs {
            let mut modes = vec![json!("online")];
            match r.pacing {
                Some(Pacing::SelfPaced) => modes.push(json!("self-paced")),
                Some(Pacing::Instructor) => modes.push(json!("instructor-paced")),
                None => {}
            }
            let mut inst = json!({
                "@type": "CourseInstance",
                "identifier": r.id,
                "courseMode": modes,
            });
            if let Some(s) = &r.start {
                inst["startDate"] = json!(s);
            }
            if let Some(e) = &r.end {
                inst["endDate"] = json!(e);
            }
            match l.languages.as_slice() {
                [] => {}
                [one] => inst["inLanguage"] = json!(one),
                many => inst["inLanguage"] = json!(many),
            }
            if let Some(url) = &l.url {
                inst["url"] = json!(url);
            }
            instances.push(inst);
        }
    }
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": format!("/v1/courses/{}", course.id),
        "identifier": course.id,
        "name": course.title,
        "inLanguage": course.languages,
        "provider": providers
            .iter()
            .map(|p| json!({"@type": "Organization", "name": p}))
            .collect::<Vec<_>>(),
        "offers": offers,
        "sameAs": same_as,
        "hasCourseInstance": instances,
    });
    if let Some(d) = description {
        doc["description"] = json!(d);
    }
    let alternates: Vec<Value> = course
        .titles
        .iter()
        .filter(|(_, t)| **t != course.title)
        .map(|(lang, t)| json!({"@value": t, "@language": lang}))
        .collect();
    if !alternates.is_empty() {
        doc["alternateName"] = json!(alternates);
    }
    doc
}
