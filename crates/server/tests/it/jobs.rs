//! The job runner's leases: two nodes on one database never run a job twice, and a dead
//! node's job is taken over when its lease runs out.

use std::time::Duration;

use kanri_server::core::db::Db;
use kanri_server::core::jobs;

use crate::both_backends;
use crate::support::{postgres, Backend};

async fn database(backend: Backend) -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let url = match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("kanri.db").display()
        ),
        Backend::Postgres => postgres::fresh_database().await,
    };
    (Db::connect(&url, 4).await.expect("db"), dir)
}

async fn leases_are_exclusive_and_expire(backend: Backend) {
    let (db, _dir) = database(backend).await;
    jobs::register(&db, "test.job", Duration::from_millis(0))
        .await
        .expect("register");
    // Make it due now.
    sqlx::query("UPDATE jobs SET next_run_at = 0 WHERE name = 'test.job'")
        .execute(db.write())
        .await
        .expect("due");
    let lease = Duration::from_millis(300);
    let (a, b) = tokio::join!(
        jobs::try_lease(&db, "test.job", "node-a", lease),
        jobs::try_lease(&db, "test.job", "node-b", lease)
    );
    let (a, b) = (a.expect("lease a"), b.expect("lease b"));
    assert!(a ^ b, "exactly one node takes the job (a={a}, b={b})");
    // The holder dies without finishing; after the lease another node takes over.
    assert!(!jobs::try_lease(&db, "test.job", "node-c", lease)
        .await
        .expect("lease c"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(jobs::try_lease(&db, "test.job", "node-c", lease)
        .await
        .expect("takeover"));
}
both_backends!(
    leases_are_exclusive_and_expire,
    leases_are_exclusive_and_expire
);

async fn queued_jobs_are_claimed_once(backend: Backend) {
    let (db, _dir) = database(backend).await;
    for n in 0..20 {
        jobs::enqueue(&db, "test.kind", &n.to_string(), 0)
            .await
            .expect("enqueue");
    }
    let claim = |node: &'static str| {
        let db = db.clone();
        async move {
            let mut got = Vec::new();
            while let Some(job) = jobs::claim_queued(&db, node, Duration::from_secs(60))
                .await
                .expect("claim")
            {
                got.push(job.payload.clone());
                jobs::complete_queued(&db, job.id, job.attempts, None)
                    .await
                    .expect("complete");
            }
            got
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(claim("a")), tokio::spawn(claim("b")));
    let mut all: Vec<String> = a.expect("a").into_iter().chain(b.expect("b")).collect();
    all.sort_by_key(|p| p.parse::<i32>().unwrap_or(-1));
    assert_eq!(
        all,
        (0..20).map(|n| n.to_string()).collect::<Vec<_>>(),
        "every job once, none twice"
    );

    // A failing job is retried later, then given up after the attempt limit.
    let id = jobs::enqueue(&db, "test.fail", "x", 0)
        .await
        .expect("enqueue");
    let job = jobs::claim_queued(&db, "a", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(job.id, id);
    jobs::complete_queued(&db, job.id, job.attempts, Some("boom".into()))
        .await
        .expect("fail");
    assert!(
        jobs::claim_queued(&db, "a", Duration::from_secs(60))
            .await
            .expect("claim")
            .is_none(),
        "backoff before retry"
    );
    jobs::complete_queued(&db, job.id, jobs::MAX_ATTEMPTS, Some("boom".into()))
        .await
        .expect("give up");
    sqlx::query("UPDATE job_queue SET run_after = 0")
        .execute(db.write())
        .await
        .expect("due");
    assert!(
        jobs::claim_queued(&db, "a", Duration::from_secs(60))
            .await
            .expect("claim")
            .is_none(),
        "given up"
    );
}
both_backends!(queued_jobs_are_claimed_once, queued_jobs_are_claimed_once);
