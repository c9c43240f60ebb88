//! Runs the dedup benchmark: `cargo run --release --example bench_dedup -- records.csv pred.csv`.

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: bench_dedup RECORDS_CSV PRED_CSV");
    };
    let stats = coursefed::dedup::bench_dedup(input.as_ref(), output.as_ref())?;
    eprintln!("{stats:#?}");
    Ok(())
}
