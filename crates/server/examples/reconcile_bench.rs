//! Licence reconciliation at scale (BENCHMARKS.md, "Licences"): seeds DEVICES devices with
//! INSTALLS installs each from a catalogue of CATALOGUE entries whose popularity falls off like
//! real software's, defines MANAGED managed software (exact names across the popularity range
//! and a few patterns), then times
//! 1. a full reconciliation (every device queued, as after a rule change),
//! 2. reading every managed software's figures (the status screen), all departments,
//! 3. the incremental path: CHANGED devices change ten installs each (as uploads do, queuing
//!    the device) and the job catches up.
//!
//! Usage: `cargo run --release -p kanri-server --example reconcile_bench -- [DATABASE_URL]`
//! (default: a fresh SQLite file in a temporary directory). Sizes come from the environment.

use std::time::Instant;

use kanri_server::assets::licences::{managed_store, matching::Rule, reconcile};
use kanri_server::core::db::Db;
use kanri_server::inventory::packed::encode_installs;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let devices = env("DEVICES", 100_000);
    let installs = env("INSTALLS", 200);
    let catalogue = env("CATALOGUE", 5_000);
    let managed = env("MANAGED", 200);
    let changed = env("CHANGED", 1_000);
    let dir = tempfile::tempdir()?;
    let url = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("kanri.db").display()
        )
    });
    let db = Db::connect(&url, 8).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);

    let started = Instant::now();
    let mut tx = db.write().begin().await?;
    for n in 0..catalogue {
        sqlx::query(
            "INSERT INTO software (name, version, arch, source, first_seen) VALUES ($1, $2, 'amd64', 'dpkg', 0)",
        )
        .bind(format!("pkg-{n:05}"))
        .bind(format!("{}.{}", n % 7, n % 13))
        .execute(&mut *tx)
        .await?;
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM software ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    // Popularity ∝ 1 / rank: a few packages everywhere, a long tail of rare ones.
    let weights: Vec<f64> = (1..=ids.len()).map(|rank| 1.0 / rank as f64).collect();
    let popular = WeightedIndex::new(&weights)?;
    let mut device_ids = Vec::with_capacity(devices);
    for n in 0..devices {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO devices (state, hostname, host_id, serial, hw_uuid, created_at, updated_at) \
             VALUES ('managed', $1, $1, '', '', 0, 0) RETURNING id",
        )
        .bind(format!("pc-{n:06}"))
        .fetch_one(&mut *tx)
        .await?;
        let mut chosen = std::collections::BTreeSet::new();
        while chosen.len() < installs.min(ids.len()) {
            chosen.insert(ids[popular.sample(&mut rng)]);
        }
        let list: Vec<(i64, Option<i64>, Option<i64>)> =
            chosen.into_iter().map(|id| (id, None, None)).collect();
        kanri_server::inventory::store::put_installs(
            &mut tx,
            id,
            list.len(),
            encode_installs(&list),
        )
        .await?;
        device_ids.push(id);
    }
    tx.commit().await?;
    println!(
        "seeded {devices} devices x {installs} installs over {catalogue} entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut tx = db.write().begin().await?;
    for n in 0..managed {
        let id = managed_store::insert(&mut tx, &format!("product-{n}"), "", 0).await?;
        // Every 25th is a pattern over ten packages; the rest name one package, spread over
        // the popularity range.
        let rule = if n % 25 == 0 {
            Rule {
                pattern: true,
                name: format!("pkg-0{:02}?", n / 25 * 3),
                version: String::new(),
            }
        } else {
            Rule {
                pattern: false,
                name: format!("pkg-{:05}", (n * catalogue / managed).min(catalogue - 1)),
                version: String::new(),
            }
        };
        managed_store::set_rules(&mut tx, id, std::slice::from_ref(&rule)).await?;
        reconcile::rebuild_members(&mut tx, db.backend(), id, &[rule]).await?;
    }
    sqlx::query("DELETE FROM licence_pending")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let started = Instant::now();
    let mut tx = db.write().begin().await?;
    reconcile::mark_all_pending(&mut tx).await?;
    tx.commit().await?;
    let done = reconcile::run(&db).await?;
    let full = started.elapsed();
    let pairs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM managed_software_devices")
        .fetch_one(db.read())
        .await?;
    println!(
        "full reconciliation: {done} devices, {pairs} device-product pairs in {:.2} s",
        full.as_secs_f64()
    );

    let mut reads = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let counts = managed_store::counts(&db, None, None).await?;
        reads.push(started.elapsed().as_secs_f64());
        assert_eq!(counts.values().map(|c| c.1).sum::<i64>(), pairs);
    }
    reads.sort_by(f64::total_cmp);
    println!(
        "figures of all {managed} managed software: median {:.0} ms (of 5)",
        reads[2] * 1000.0
    );

    let started = Instant::now();
    let mut tx = db.write().begin().await?;
    for _ in 0..changed {
        let device = device_ids[rng.gen_range(0..device_ids.len())];
        let current = kanri_server::inventory::store::get_installs(&mut tx, device).await?;
        let mut list: Vec<(i64, Option<i64>, Option<i64>)> = current.into_iter().skip(10).collect();
        for _ in 0..10 {
            list.push((ids[popular.sample(&mut rng)], None, None));
        }
        list.sort_unstable();
        list.dedup_by_key(|i| i.0);
        kanri_server::inventory::store::put_installs(
            &mut tx,
            device,
            list.len(),
            encode_installs(&list),
        )
        .await?;
        reconcile::mark_pending(&mut tx, device).await?;
    }
    tx.commit().await?;
    let written = started.elapsed();
    let started = Instant::now();
    let done = reconcile::run(&db).await?;
    println!(
        "incremental: {changed} changed install lists written in {:.2} s, {done} devices reconciled in {:.0} ms",
        written.as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
