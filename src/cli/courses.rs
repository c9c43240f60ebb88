//! `coursefed courses list [--source S] [--json]` and `coursefed courses show ID`: canonical
//! (deduplicated) courses with all their listings.

use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{CliError, EXIT_OK, open_store};
use crate::config::AppConfig;
use crate::export::{CourseDoc, ListingDoc, for_each_course};
use crate::store::ListingFilter;

#[derive(Debug, Subcommand)]
pub enum CoursesCommand {
    /// List courses with their listings.
    List(ListArgs),
    /// Show one course (by course id or listing id `source:external_id`) as JSON, with all
    /// its listings and field provenance; a merged-away course id shows the survivor.
    Show { id: String },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only courses with a listing from this source.
    #[arg(long)]
    pub source: Option<String>,
    /// One JSON object per course per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(config: &AppConfig, cmd: CoursesCommand) -> Result<u8, CliError> {
    let store = open_store(config).await?;
    let failed = |e: crate::export::ExportError| CliError::Failed(e.to_string());
    match cmd {
        CoursesCommand::List(args) => {
            let filter = ListingFilter {
                source: args.source,
                ..Default::default()
            };
            if args.json {
                let mut out = std::io::stdout().lock();
                crate::export::export_jsonl(&store, &filter, &mut out)
                    .await
                    .map_err(failed)?;
            } else {
                let mut table = Table::new();
                table.load_preset(UTF8_FULL_CONDENSED).set_header([
                    "course",
                    "title",
                    "listings",
                    "status",
                    "runs",
                    "next start",
                ]);
                let n = for_each_course(&store, &filter, |c| {
                    table.add_row(row(&c));
                    Ok(())
                })
                .await
                .map_err(failed)?;
                println!("{table}");
                println!("{n} course(s)");
            }
        }
        CoursesCommand::Show { id } => {
            let course_id = if id.contains(':') {
                match store.get_listing(&id).await? {
                    Some(l) => l.course_id,
                    None => return Err(CliError::Failed(format!("no listing {id:?}"))),
                }
            } else {
                // A merged-away id resolves to the course it was merged into.
                match store.resolve_course(&id).await? {
                    Some((survivor, true)) => {
                        eprintln!("note: course {id} was merged into {survivor}");
                        survivor
                    }
                    Some((same, false)) => same,
                    None => return Err(CliError::Failed(format!("no course {id:?}"))),
                }
            };
            let filter = ListingFilter {
                course_id: Some(course_id),
                ..Default::default()
            };
            let mut found: Option<CourseDoc> = None;
            for_each_course(&store, &filter, |c| {
                found = Some(c);
                Ok(())
            })
            .await
            .map_err(failed)?;
            let course = found.ok_or_else(|| CliError::Failed(format!("no course {id:?}")))?;
            let text = serde_json::to_string_pretty(&course)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            println!("{text}");
        }
    }
    store.close().await;
    Ok(EXIT_OK)
}

fn row(c: &CourseDoc) -> Vec<String> {
    let listings: Vec<&str> = c.listings.iter().map(|l| l.id.as_str()).collect();
    let statuses: Vec<&str> = c.listings.iter().map(|l| l.status.as_str()).collect();
    let runs: usize = c.listings.iter().map(|l| l.runs.len()).sum();
    vec![
        c.id.clone(),
        truncate(&c.title, 60),
        listings.join(", "),
        statuses.join(", "),
        runs.to_string(),
        next_start(&c.listings).unwrap_or_else(|| "-".into()),
    ]
}

fn next_start(listings: &[ListingDoc]) -> Option<String> {
    let now = chrono::Utc::now().to_rfc3339();
    listings
        .iter()
        .flat_map(|l| l.runs.iter())
        .filter_map(|r| r.start.clone())
        .filter(|s| *s >= now)
        .min()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
