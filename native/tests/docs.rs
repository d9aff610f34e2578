//! The docs' generated parts match what they are generated from: each env's parameter table in
//! docs/envs/ equals `fusegym info --env ID --markdown` (the `params!` declaration), and every
//! registered env has its doc.

use std::path::PathBuf;
use std::process::Command;

fn docs() -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/envs");
    let mut out = vec![];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((p, text));
        }
    }
    out
}

#[test]
fn every_env_doc_holds_the_parameter_table_of_its_declaration() {
    let docs = docs();
    for e in fusegym::ENVS {
        let out = Command::new(env!("CARGO_BIN_EXE_fusegym")).args(["info", "--env", e.id, "--markdown"]).output().unwrap();
        assert!(out.status.success());
        let block = String::from_utf8(out.stdout).unwrap();
        let holders: Vec<&(PathBuf, String)> = docs.iter().filter(|(_, t)| t.contains(&format!("<!-- params:begin {} ", e.id))).collect();
        assert_eq!(holders.len(), 1, "{}: one doc in docs/envs must hold its parameter block", e.id);
        let (path, text) = holders[0];
        assert!(text.starts_with(&format!("# {}\n", e.id)), "{}: the doc's title names the env", path.display());
        assert!(text.contains(&block), "{}: the parameter table differs from the declaration; run scripts/gen-docs.py", path.display());
    }
    assert_eq!(docs.len(), fusegym::ENVS.len(), "one doc per registered env");
}
