//! `coursefed dedup explain COURSE_ID [--json]`, `dedup link LISTING LISTING`,
//! `dedup unlink LISTING LISTING` and `dedup rematch`.

use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{CliError, EXIT_OK, open_store};
use crate::config::AppConfig;
use crate::dedup::{Explanation, OverrideNote, RematchStats};
use crate::store::StoreError;

#[derive(Debug, Subcommand)]
pub enum DedupCommand {
    /// Why a course holds its listings: each listing, the evidence linking it (signal,
    /// score, threshold) and the operator overrides. A merged-away id explains the
    /// course it was merged into; a listing id (`source:external_id`) explains its course.
    Explain(ExplainArgs),
    /// Force two listings into one course (stored; honoured by every later matching).
    Link(PairArgs),
    /// Keep two listings in different courses (stored; honoured by every later matching).
    Unlink(PairArgs),
    /// Re-match every listing (after upgrading the matcher or the alias table).
    Rematch(RematchArgs),
}

#[derive(Debug, Args)]
pub struct RematchArgs {
    /// Seeds clustered at a time (whole institution groups): lower bounds memory on a
    /// large catalogue; the courses come out the same.
    #[arg(long, default_value_t = crate::store::REMATCH_BATCH, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub batch: usize,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    pub course_id: String,
    /// Print the explanation as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PairArgs {
    /// A listing id as `courses show` prints it: `source:external_id`.
    pub a: String,
    /// The other listing id.
    pub b: String,
    /// Why (kept with the decision and shown by `explain`).
    #[arg(long)]
    pub reason: Option<String>,
}

pub async fn run(config: &AppConfig, cmd: DedupCommand) -> Result<u8, CliError> {
    let store = open_store(config).await?;
    let result = match cmd {
        DedupCommand::Explain(args) => explain(&store, args).await,
        DedupCommand::Link(args) => pair(&store, args, true).await,
        DedupCommand::Unlink(args) => pair(&store, args, false).await,
        DedupCommand::Rematch(args) => {
            let ids = store.all_listing_ids().await?;
            let stats = store.rematch_listings_in_batches(&ids, args.batch).await?;
            print_stats("Re-matched", &stats);
            Ok(EXIT_OK)
        }
    };
    store.close().await;
    result
}

async fn explain(store: &crate::store::Store, args: ExplainArgs) -> Result<u8, CliError> {
    let found = crate::dedup::explain(store, &args.course_id).await?;
    let Some(e) = found else {
        return Err(CliError::Failed(format!(
            "no course or listing {:?}",
            args.course_id
        )));
    };
    if args.json {
        let text = serde_json::to_string_pretty(&e).map_err(|e| CliError::Failed(e.to_string()))?;
        println!("{text}");
    } else {
        print_explanation(&e);
    }
    Ok(EXIT_OK)
}

fn print_explanation(e: &Explanation) {
    match &e.redirected_from {
        Some(from) => println!("Course {} (merged from {from})", e.course_id),
        None => println!("Course {}", e.course_id),
    }
    if !e.merged_from.is_empty() {
        println!("Merged into it: {}", e.merged_from.join(", "));
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "listing",
        "status",
        "title",
        "linked to",
        "signal",
        "score",
        "threshold",
    ]);
    for l in &e.listings {
        let title: String = l.title.chars().take(50).collect();
        if l.evidence.is_empty() {
            table.add_row([
                l.id.clone(),
                l.status.as_str().to_owned(),
                title.clone(),
                "-".into(),
                if e.listings.len() == 1 { "alone" } else { "-" }.into(),
                "-".into(),
                "-".into(),
            ]);
        }
        for (i, ev) in l.evidence.iter().enumerate() {
            let signal = match &ev.lang {
                Some(lang) => format!("{} ({lang})", ev.signal),
                None => ev.signal.clone(),
            };
            table.add_row([
                if i == 0 { l.id.clone() } else { String::new() },
                if i == 0 {
                    l.status.as_str().to_owned()
                } else {
                    String::new()
                },
                if i == 0 { title.clone() } else { String::new() },
                ev.with.clone(),
                signal,
                format!("{:.3}", ev.score),
                ev.threshold.map_or("exact".into(), |t| format!("≥ {t:.2}")),
            ]);
        }
    }
    println!("{table}");
    let t = e.thresholds;
    println!(
        "Thresholds: title similarity ≥ {}, title with a shared instructor ≥ {}, at most {} listings grown by evidence.",
        t.title_similarity, t.title_with_instructor, t.max_cluster_size
    );
    if e.overrides.is_empty() {
        println!("Overrides: none.");
    }
    for o in &e.overrides {
        println!(
            "Override: {} {} ↔ {} by {} at {}{}",
            o.action,
            o.listing_a,
            o.listing_b,
            o.created_by,
            o.created_at.to_rfc3339(),
            o.reason
                .as_deref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default()
        );
    }
}

async fn pair(store: &crate::store::Store, args: PairArgs, link: bool) -> Result<u8, CliError> {
    if args.a == args.b {
        return Err(CliError::Usage(
            "give two different listing ids (source:external_id)".into(),
        ));
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let note = OverrideNote {
        reason: args.reason,
        by: format!("cli:{user}"),
    };
    let done = if link {
        crate::dedup::link(store, &args.a, &args.b, &note).await
    } else {
        crate::dedup::unlink(store, &args.a, &args.b, &note).await
    };
    let stats = done.map_err(|e| match e {
        // An unknown listing is a usage error: the operator named something that is not there.
        StoreError::Dedup(m) => CliError::Usage(m),
        other => CliError::Failed(other.to_string()),
    })?;
    let verb = if link { "Linked" } else { "Unlinked" };
    print_stats(&format!("{verb} {} and {}", args.a, args.b), &stats);
    Ok(EXIT_OK)
}

fn print_stats(what: &str, s: &RematchStats) {
    println!(
        "{what}: {} listing(s) re-matched in {} batch(es), {} course(s) merged, {} split, {} new, {} listing(s) moved.",
        s.clustered, s.batches, s.merged, s.split, s.new_courses, s.moved
    );
}
