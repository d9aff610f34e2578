//! Gymnasium parity: every recorded step of every golden file, teacher-forced at the tight
//! tolerance and free-running as far as float32 chaos allows (see `docs/parity.md`), on the
//! scalar reference and on every SIMD path this machine has; and what the files exercise.

use fusegym::golden;
use fusegym::SimdPath;
use fusegym_tests::{golden_path, GYMNASIUM_IDS};
use std::path::PathBuf;

/// `tests/golden/branches/<id>.json`: scripted episodes for branches the main files miss.
fn branches_path(id: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join("branches")
        .join(format!("{id}.json"))
}

/// Every committed golden file: the main one of each env, and the branch files that exist.
fn committed() -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = GYMNASIUM_IDS
        .iter()
        .map(|id| (id.to_string(), golden_path(id)))
        .collect();
    for id in GYMNASIUM_IDS {
        let p = branches_path(id);
        if p.exists() {
            files.push((id.to_string(), p));
        }
    }
    files
}

#[test]
fn every_golden_file_passes_on_every_path() {
    for (id, p) in committed() {
        let file = golden::load(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.header.env_id, id);
        let total: usize = file.episodes.iter().map(|e| e.length).sum();
        for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
            let r = golden::check(&file, path);
            let at = format!("{} on {path}", p.display());
            assert!(r.passed(), "{at}: {:#?}", r.outcome.failures);
            assert_eq!(
                r.outcome.steps, total,
                "{at}: every recorded step is checked teacher-forced"
            );
            assert_eq!(r.outcome.free.len(), file.episodes.len(), "{at}");
            assert!(
                r.outcome
                    .free
                    .iter()
                    .all(|f| f.passed() && f.bar >= 1 && f.bar <= f.length),
                "{at}"
            );
            assert!(
                r.outcome.worst.ulps <= golden::TEACHER_ULPS
                    && r.outcome.worst.non_finite.is_none(),
                "{at}"
            );
        }
    }
}

#[test]
fn golden_files_cover_terminations_and_truncations() {
    // The parity proof is only as good as what the files exercise.
    for id in GYMNASIUM_IDS {
        let file = golden::load(&golden_path(id)).unwrap();
        let truncs = file
            .episodes
            .iter()
            .filter(|e| e.truncated.last() == Some(&true))
            .count();
        let terms = file
            .episodes
            .iter()
            .filter(|e| e.terminated.last() == Some(&true))
            .count();
        assert!(truncs + terms > 0, "{id}: no episode ends inside the file");
    }
}
