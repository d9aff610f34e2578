//! A golden file that was edited (numbers, actions, flags, constants) must fail validation,
//! and a broken one must be reported as malformed with where the problem is.

use fusegym::golden::{self, GoldenError};
use fusegym::SimdPath;
use fusegym_tests::{golden_path, GYMNASIUM_IDS};
use serde_json::Value;

fn original(id: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(golden_path(id)).unwrap()).unwrap()
}

fn check(id: &str, v: &Value, tag: &str) -> Result<golden::Report, GoldenError> {
    let dir = std::env::temp_dir().join(format!("fusegym-tamper-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{id}-{tag}.json"));
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    let r = golden::validate_file(&p, SimdPath::best());
    std::fs::remove_file(&p).ok();
    r
}

fn assert_caught(id: &str, v: &Value, tag: &str) {
    match check(id, v, tag) {
        Ok(r) => assert!(!r.passed(), "{id}: tampering '{tag}' was not caught"),
        Err(GoldenError::Malformed { .. }) => {}
        Err(e) => panic!("{id} {tag}: unexpected {e}"),
    }
}

/// The middle step of the longest episode (a step with history before and after).
fn spot(v: &Value) -> (usize, usize) {
    let eps = v["episodes"].as_array().unwrap();
    let (e, ep) = eps.iter().enumerate().max_by_key(|(_, ep)| ep["length"].as_u64().unwrap()).unwrap();
    (e, ep["length"].as_u64().unwrap() as usize / 2)
}

#[test]
fn untouched_files_pass() {
    for id in GYMNASIUM_IDS {
        let r = check(id, &original(id), "untouched").unwrap();
        assert!(r.passed(), "{id}: {:?}", r.outcome.failures);
    }
}

#[test]
fn an_observation_off_by_one_in_ten_thousand_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let (e, t) = spot(&v);
        let x = &mut v["episodes"][e]["obs"][t][0];
        let old = x.as_f64().unwrap();
        *x = Value::from(old + 1e-4 * old.abs().max(0.01));
        assert_caught(id, &v, "obs");
    }
}

#[test]
fn a_changed_reward_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let (e, t) = spot(&v);
        let r = &mut v["episodes"][e]["rewards"][t];
        *r = Value::from(r.as_f64().unwrap() + 0.01);
        assert_caught(id, &v, "reward");
    }
}

#[test]
fn a_changed_state_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let (e, t) = spot(&v);
        let s = &mut v["episodes"][e]["states"][t][1];
        *s = Value::from(s.as_f64().unwrap() * 1.001 + 1e-4);
        assert_caught(id, &v, "state");
    }
}

#[test]
fn a_changed_action_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let (e, t) = spot(&v);
        let n = v["header"]["action"]["n"].as_u64().unwrap_or(0);
        let a = &v["episodes"][e]["actions"][t];
        let new = if a.is_u64() { Value::from((a.as_u64().unwrap() + 1) % n) } else { Value::from(-a.as_f64().unwrap() + 0.5) };
        v["episodes"][e]["actions"][t] = new;
        assert_caught(id, &v, "action");
    }
}

#[test]
fn a_flipped_truncation_flag_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let eps = v["episodes"].as_array().unwrap();
        let e = eps.iter().position(|ep| ep["truncated"].as_array().unwrap().last() == Some(&Value::Bool(true)));
        let Some(e) = e else { continue };
        let last = v["episodes"][e]["length"].as_u64().unwrap() as usize - 1;
        v["episodes"][e]["truncated"][last] = Value::Bool(false);
        assert_caught(id, &v, "truncated");
    }
}

#[test]
fn a_changed_constant_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let consts = v["header"]["constants"].as_object_mut().unwrap();
        let (k, x) = consts.iter_mut().find(|(_, x)| x.as_f64().is_some_and(|f| f != 0.0)).unwrap();
        let k = k.clone();
        *x = Value::from(x.as_f64().unwrap() * 1.01);
        assert_caught(id, &v, &format!("constant-{k}"));
    }
}

#[test]
fn a_changed_time_limit_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let m = v["header"]["max_episode_steps"].as_u64().unwrap();
        v["header"]["max_episode_steps"] = Value::from(m + 1);
        assert_caught(id, &v, "time-limit");
    }
}

#[test]
fn a_changed_initial_observation_is_caught() {
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let x = &mut v["episodes"][1]["initial_obs"][0];
        let old = x.as_f64().unwrap();
        *x = Value::from(old + 1e-4 * old.abs().max(0.01));
        assert_caught(id, &v, "initial-obs");
    }
}

#[test]
fn twins_that_leave_at_once_cannot_lower_the_bar_below_the_floor() {
    // The twins run our own dynamics: if a bug made them separate at the first step, the bar
    // would fall to 0 and free-running would accept anything. Twins with enormous noise stand
    // in for that bug; the bar must stay at the floor, and a record left at step 3 must fail.
    let chaotic = golden::FreeRunning { noise: 1e6, ..Default::default() };
    for id in GYMNASIUM_IDS {
        let mut v = original(id);
        let (e, _) = spot(&v);
        let len = v["episodes"][e]["length"].as_u64().unwrap() as usize;
        let x = &mut v["episodes"][e]["obs"][3][0];
        *x = Value::from(x.as_f64().unwrap() + 0.5);
        let p = std::env::temp_dir().join(format!("fusegym-tamper-floor-{}-{id}.json", std::process::id()));
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        let file = golden::load(&p).unwrap();
        std::fs::remove_file(&p).ok();
        let r = golden::check_with(&file, SimdPath::best(), &chaotic);
        let floor = (chaotic.floor * len as f64).ceil() as usize;
        let run = &r.outcome.free[e];
        assert!(run.twin_horizons.iter().all(|&h| h <= 1), "{id}: the stand-in twins should leave at once: {run:?}");
        assert_eq!(run.bar, floor, "{id}: bar of a {len}-step episode");
        assert!(run.followed == 3 && !run.passed(), "{id}: {run:?}");
        assert!(r.outcome.free.iter().all(|f| f.bar >= (chaotic.floor * f.length as f64).ceil() as usize), "{id}");
    }
}

#[test]
fn malformed_files_name_the_problem_and_its_place() {
    let id = "CartPole-v1";
    let mut v = original(id);
    v["episodes"][3]["obs"][7] = Value::from(vec![0.0, 1.0]);
    match check(id, &v, "short-obs") {
        Err(GoldenError::Malformed { message, .. }) => {
            assert!(message.contains("episodes[3].obs[7]"), "{message}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    let mut v = original(id);
    v["header"]["env_id"] = Value::from("CartPole-v0");
    match check(id, &v, "unknown-env") {
        Err(GoldenError::Malformed { message, .. }) => {
            assert!(message.contains("CartPole-v0"), "{message}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    let mut v = original(id);
    v["episodes"][0]["actions"][0] = Value::from(7);
    match check(id, &v, "bad-action") {
        Err(GoldenError::Malformed { message, .. }) => {
            assert!(message.contains("episodes[0].actions[0]"), "{message}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    let dir = std::env::temp_dir();
    let p = dir.join("fusegym-not-json.json");
    std::fs::write(&p, "{ not json").unwrap();
    assert!(matches!(golden::validate_file(&p, SimdPath::Scalar), Err(GoldenError::Malformed { .. })));
    std::fs::remove_file(&p).ok();
}
