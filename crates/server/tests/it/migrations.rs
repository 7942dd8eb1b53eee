//! Migrations that rewrite stored rows, checked on a database stopped just before them.

use sqlx::{Connection, Row};

use kanri_server::core::db::{apply_migrations, Backend};

use crate::support::postgres;

/// A PostgreSQL database with every migration before `version` applied.
async fn postgres_before(version: i64) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let url = postgres::fresh_database().await;
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    apply_migrations(&mut conn, Backend::Postgres, ..version)
        .await
        .expect("earlier migrations");
    conn
}

/// Migration 15 turns PostgreSQL's (software, device) pairs into one bitmap per catalogue
/// entry and block of 1,024 devices; each pair is one bit, at the place `get_bit` and the
/// server's reader look for it.
#[tokio::test]
async fn postgres_index_pairs_become_bitmaps() {
    let mut conn = postgres_before(15).await;
    let pairs: Vec<(i64, i64)> = vec![
        (1, 1),
        (1, 7),
        (1, 8),
        (1, 1023),
        (1, 1024),
        (1, 5000),
        (2, 7),
    ];
    for (software_id, device_id) in &pairs {
        sqlx::query("INSERT INTO software_devices (software_id, device_id) VALUES ($1, $2)")
            .bind(software_id)
            .bind(device_id)
            .execute(&mut conn)
            .await
            .expect("old pair");
    }
    apply_migrations(&mut conn, Backend::Postgres, 15..=15)
        .await
        .expect("the migration applies");
    let rows =
        sqlx::query("SELECT software_id, block, members FROM software_device_sets ORDER BY 1, 2")
            .fetch_all(&mut conn)
            .await
            .expect("bitmaps");
    let keys: Vec<(i64, i64)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    assert_eq!(keys, vec![(1, 0), (1, 1), (1, 4), (2, 0)]);
    let mut read_back = Vec::new();
    for row in &rows {
        let members: Vec<u8> = row.get(2);
        assert_eq!(members.len(), 128);
        let bitmap: [u8; 128] = members.as_slice().try_into().expect("128 bytes");
        read_back.extend(
            kanri_server::inventory::device_sets::members(row.get(1), &bitmap)
                .map(|device_id| (row.get::<i64, _>(0), device_id)),
        );
    }
    assert_eq!(read_back, pairs);
    let by_get_bit: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT sd.software_id, sd.block * 1024 + b.i FROM software_device_sets sd \
         CROSS JOIN generate_series(0, 1023) AS b(i) WHERE get_bit(sd.members, b.i) = 1 \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .expect("expanded");
    assert_eq!(by_get_bit, pairs);
    assert!(
        sqlx::query("SELECT 1 FROM software_devices")
            .fetch_all(&mut conn)
            .await
            .is_err(),
        "the pair table is gone"
    );
}
