//! Replays every input kept in `fuzz/corpus/<target>/` through the fuzz targets' bodies
//! (`fuzz/bodies.rs`), so the ordinary test suite checks what the fuzzers found and the seeds
//! without libFuzzer or a nightly toolchain. `scripts/fuzz.sh` runs the fuzzers themselves.

#[path = "../../fuzz/bodies.rs"]
mod bodies;
#[path = "../src/cli/config.rs"]
#[allow(dead_code)]
mod config;

use std::path::PathBuf;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{}: expected the committed seeds, found {} inputs", dir.display(), files.len());
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
            let msg = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("fuzz target {target}: input {} panicked: {}", f.display(), msg.unwrap_or_default());
        }
    }
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn golden_reader_corpus() {
    replay("golden", bodies::golden);
}

#[test]
fn action_decoding_corpus() {
    replay("actions", bodies::actions);
}

#[test]
fn cli_value_parsing_corpus() {
    replay("cli", bodies::cli);
}
