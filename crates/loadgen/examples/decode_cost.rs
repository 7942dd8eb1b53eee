//! What the server spends decoding one first inventory, without the server: the loadgen's
//! uploads (gzip, as sent) are inflated, hashed per section and decoded strictly, the three
//! steps of the server's `agents::api::decode_upload`, each timed over many uploads.
//!
//! `cargo run --release -p kanri-loadgen --example decode_cost -- [UPLOADS] [PACKAGES]`

use std::io::Read as _;
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use kanri_loadgen::catalogue::Catalogue;
use kanri_loadgen::client::Payload;
use kanri_loadgen::sim::agent::SimAgent;
use kanri_proto::InventoryUpload;

fn main() {
    let mut args = std::env::args().skip(1);
    let uploads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let packages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1500);
    let catalogue = Catalogue::generate(7, packages);
    let bodies: Vec<Payload> = (0..uploads as u32)
        .map(|index| {
            let mut agent = SimAgent::new(&catalogue, 7, index, packages);
            Payload::json(agent.full_upload(&catalogue))
        })
        .collect();
    let (mut inflate, mut hash, mut decode) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut wire, mut plain_bytes) = (0, 0);
    for body in &bodies {
        let started = Instant::now();
        let mut plain = Vec::new();
        GzDecoder::new(body.bytes())
            .read_to_end(&mut plain)
            .expect("the loadgen's gzip inflates");
        let inflated = Instant::now();
        let hashes = kanri_proto::upload_section_hashes(&plain).expect("sections split");
        let hashed = Instant::now();
        let upload: InventoryUpload = kanri_proto::decode(&plain).expect("the upload decodes");
        let decoded = Instant::now();
        assert_eq!(hashes.len(), 8);
        assert!(upload.inventory.software.is_some());
        inflate += inflated - started;
        hash += hashed - inflated;
        decode += decoded - hashed;
        wire += body.bytes().len();
        plain_bytes += plain.len();
    }
    let per = |total: Duration| total.as_secs_f64() * 1000.0 / uploads as f64;
    println!(
        "{uploads} uploads of {packages} packages: {} KiB sent, {} KiB inflated on average",
        wire / uploads / 1024,
        plain_bytes / uploads / 1024
    );
    println!(
        "per upload: inflate {:.2} ms, section hashes {:.2} ms, decode {:.2} ms, total {:.2} ms",
        per(inflate),
        per(hash),
        per(decode),
        per(inflate + hash + decode)
    );
}
