//! Gymnasium parity: every recorded step of every golden file, teacher-forced at the tight
//! tolerance and free-running as far as float32 chaos allows (see `docs/parity.md`), on the
//! scalar reference and on every SIMD path this machine has.

use fusegym::golden;
use fusegym::SimdPath;
use fusegym_tests::{golden_path, GYMNASIUM_IDS};

#[test]
fn every_golden_file_passes_on_every_path() {
    for id in GYMNASIUM_IDS {
        let file = golden::load(&golden_path(id)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.header.env_id, id);
        let total: usize = file.episodes.iter().map(|e| e.length).sum();
        for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
            let r = golden::check(&file, path);
            assert!(r.passed(), "{id} on {path}: {:#?}", r.outcome.failures);
            assert_eq!(r.outcome.steps, total, "{id}: every recorded step is checked teacher-forced");
            assert!(r.outcome.free_matched >= r.outcome.free_required, "{id}");
            assert!(r.outcome.worst.ulps <= golden::TEACHER_ULPS);
        }
    }
}

#[test]
fn golden_files_cover_terminations_and_truncations() {
    // The parity proof is only as good as what the files exercise.
    for id in GYMNASIUM_IDS {
        let file = golden::load(&golden_path(id)).unwrap();
        let truncs = file.episodes.iter().filter(|e| e.truncated.last() == Some(&true)).count();
        let terms = file.episodes.iter().filter(|e| e.terminated.last() == Some(&true)).count();
        assert!(truncs + terms > 0, "{id}: no episode ends inside the file");
    }
}
