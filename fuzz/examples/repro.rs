//! Runs the fuzz targets' checks on files, with the ordinary stable toolchain and no libFuzzer:
//! to debug a crash artifact in a plain build, or to replay the seeds (or a whole corpus) as a
//! regression check.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --target-dir target-fuzz --example repro -- \
//!     [--target inventory_decoder|checkin_decoder] FILE_OR_DIR...
//! ```
//!
//! On a failed check, prints the panic and the file at fault and exits non-zero.

use std::path::{Path, PathBuf};

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            files(&entry, out);
        }
    } else {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut target = "inventory_decoder".to_string();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--target" {
            target = args.next().expect("--target needs a name");
        } else {
            files(Path::new(&arg), &mut paths);
        }
    }
    let check: fn(&[u8]) = match target.as_str() {
        "inventory_decoder" => kanri_fuzz::inventory_decoder,
        "checkin_decoder" => kanri_fuzz::checkin_decoder,
        other => panic!("unknown target {other:?}"),
    };
    for path in &paths {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if std::panic::catch_unwind(|| check(&bytes)).is_err() {
            eprintln!("{target}: check failed on {}", path.display());
            std::process::exit(1);
        }
    }
    println!("{target}: {} inputs passed", paths.len());
}
