//! Gymnasium parity: every recorded step of every golden file, teacher-forced at the tight
//! tolerance and free-running as far as float32 chaos allows (see `docs/parity.md`), on the
//! scalar reference and on every SIMD path this machine has; and what the files exercise.

use fusegym::golden::{self, GoldenFile};
use fusegym::SimdPath;
use fusegym_tests::{golden_path, GYMNASIUM_IDS};
use std::path::PathBuf;

/// `tests/golden/branches/<id>.json`: scripted episodes for branches the main files miss.
fn branches_path(id: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join("branches").join(format!("{id}.json"))
}

/// Every committed golden file: the main one of each env, and the branch files that exist.
fn committed() -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = GYMNASIUM_IDS.iter().map(|id| (id.to_string(), golden_path(id))).collect();
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
            assert_eq!(r.outcome.steps, total, "{at}: every recorded step is checked teacher-forced");
            assert_eq!(r.outcome.free.len(), file.episodes.len(), "{at}");
            assert!(r.outcome.free.iter().all(|f| f.passed() && f.bar >= 1 && f.bar <= f.length), "{at}");
            assert!(r.outcome.worst.ulps <= golden::TEACHER_ULPS && r.outcome.worst.non_finite.is_none(), "{at}");
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

/// A header constant (top level or in `code_constants`).
fn constant(file: &GoldenFile, name: &str) -> f64 {
    let c = &file.header.constants;
    c.get(name)
        .or_else(|| c.get("code_constants").and_then(|v| v.get(name)))
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("{}: header.constants.{name} missing", file.header.env_id))
}

/// Counts, over `files`, the steps (or episodes) for which `hit(file, episode, t)` holds.
fn count(files: &[GoldenFile], hit: impl Fn(&GoldenFile, &golden::schema::Episode, usize) -> bool) -> usize {
    files
        .iter()
        .flat_map(|f| f.episodes.iter().map(move |ep| (f, ep)))
        .map(|(f, ep)| (0..ep.length).filter(|&t| hit(f, ep, t)).count())
        .sum()
}

/// The velocity a MountainCar step computes before its clips, in float64 as Gymnasium does.
fn car_velocity(file: &GoldenFile, ep: &golden::schema::Episode, t: usize) -> f64 {
    let prev = if t == 0 { &ep.initial_state } else { &ep.states[t - 1] };
    let (x, v) = (prev[0], prev[1]);
    if file.header.env_id == "MountainCar-v0" {
        v + (ep.actions[t] - 1.0) * constant(file, "force") + (3.0 * x).cos() * -constant(file, "gravity")
    } else {
        let force = ep.actions[t].clamp(constant(file, "min_action"), constant(file, "max_action"));
        v + force * constant(file, "power") - constant(file, "gravity_term") * (3.0 * x).cos()
    }
}

/// Whether step `t` ended at the left wall with its (negative) velocity zeroed.
fn at_left_wall(file: &GoldenFile, ep: &golden::schema::Episode, t: usize) -> bool {
    let s = &ep.states[t];
    s[0] as f32 == constant(file, "min_position") as f32 && s[1] == 0.0 && car_velocity(file, ep, t) < 0.0
}

/// Whether step `t`'s velocity was clipped to the speed limit.
fn at_speed_limit(file: &GoldenFile, ep: &golden::schema::Episode, t: usize) -> bool {
    let max = constant(file, "max_speed");
    (ep.states[t][1].abs() as f32 == max as f32) && car_velocity(file, ep, t).abs() > max
}

#[test]
fn committed_golden_files_reach_every_branch() {
    // Each branch of the dynamics that Gymnasium's code has must be replayed somewhere: a
    // count of zero means a branch no golden file checks. Counts are printed for the docs.
    let load = |id: &str| -> Vec<GoldenFile> {
        committed().into_iter().filter(|(i, _)| i == id).map(|(_, p)| golden::load(&p).unwrap_or_else(|e| panic!("{e}"))).collect()
    };
    let last = |ep: &golden::schema::Episode, t: usize| t + 1 == ep.length;
    let cartpole = load("CartPole-v1");
    let acrobot = load("Acrobot-v1");
    let car = load("MountainCar-v0");
    let cont = load("MountainCarContinuous-v0");
    let pendulum = load("Pendulum-v1");
    let counts = [
        (
            "CartPole-v1 episodes ended by |x| > x_threshold",
            count(&cartpole, |f, ep, t| last(ep, t) && ep.terminated[t] && ep.states[t][0].abs() > constant(f, "x_threshold")),
        ),
        (
            "CartPole-v1 episodes ended by |theta| > theta_threshold",
            count(&cartpole, |f, ep, t| last(ep, t) && ep.terminated[t] && ep.states[t][2].abs() > constant(f, "theta_threshold_radians")),
        ),
        ("CartPole-v1 episodes truncated", count(&cartpole, |_, ep, t| last(ep, t) && ep.truncated[t])),
        (
            "Acrobot-v1 steps with dtheta1 clipped to MAX_VEL_1",
            count(&acrobot, |f, ep, t| ep.states[t][2].abs() == constant(f, "MAX_VEL_1")),
        ),
        (
            "Acrobot-v1 steps with dtheta2 clipped to MAX_VEL_2",
            count(&acrobot, |f, ep, t| ep.states[t][3].abs() == constant(f, "MAX_VEL_2")),
        ),
        ("Acrobot-v1 episodes terminated", count(&acrobot, |_, ep, t| last(ep, t) && ep.terminated[t])),
        ("Acrobot-v1 episodes truncated", count(&acrobot, |_, ep, t| last(ep, t) && ep.truncated[t])),
        ("MountainCar-v0 steps at the left wall", count(&car, at_left_wall)),
        ("MountainCar-v0 steps at the speed limit", count(&car, at_speed_limit)),
        ("MountainCar-v0 episodes at the goal", count(&car, |_, ep, t| last(ep, t) && ep.terminated[t])),
        ("MountainCar-v0 episodes truncated", count(&car, |_, ep, t| last(ep, t) && ep.truncated[t])),
        ("MountainCarContinuous-v0 steps at the left wall", count(&cont, at_left_wall)),
        ("MountainCarContinuous-v0 steps at the speed limit", count(&cont, at_speed_limit)),
        ("MountainCarContinuous-v0 episodes at the goal", count(&cont, |_, ep, t| last(ep, t) && ep.terminated[t])),
        (
            "MountainCarContinuous-v0 episodes truncated at 999 steps",
            count(&cont, |_, ep, t| last(ep, t) && ep.truncated[t] && ep.length == 999),
        ),
        ("MountainCarContinuous-v0 steps with an action outside the box", count(&cont, |_, ep, t| ep.actions[t].abs() > 1.0)),
        ("Pendulum-v1 steps at the speed limit", count(&pendulum, |f, ep, t| ep.states[t][1].abs() == constant(f, "max_speed"))),
        ("Pendulum-v1 steps with a torque outside the box", count(&pendulum, |_, ep, t| ep.actions[t].abs() > 2.0)),
        ("Pendulum-v1 episodes truncated", count(&pendulum, |_, ep, t| last(ep, t) && ep.truncated[t])),
    ];
    for (what, n) in &counts {
        println!("{n:6}  {what}");
    }
    let missing: Vec<&str> = counts.iter().filter(|(_, n)| *n == 0).map(|(w, _)| *w).collect();
    assert!(missing.is_empty(), "no committed golden file reaches: {missing:#?}");
}
