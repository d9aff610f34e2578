//! `fusegym soak`: a short soak counts what it ran and finds nothing non-finite; bad arguments
//! are exit 2 with the argument named.

use std::process::Command;

fn fusegym(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fusegym")).args(args).output().expect("run fusegym");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_short_soak_counts_its_steps_and_episodes_and_finds_nothing_non_finite() {
    let (code, out, err) =
        fusegym(&["soak", "--env", "CartPole-v1", "--env", "Acrobot-v1", "--steps", "2e6", "--envs", "1000", "--chunk", "7", "--json"]);
    assert_eq!(code, 0, "{err}");
    let docs: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(docs.len(), 2);
    for (d, id) in docs.iter().zip(["CartPole-v1", "Acrobot-v1"]) {
        assert_eq!(d["env"], id);
        // Exactly what was asked: 2,000 steps of 1,000 envs (whole chunks of 7, then 5).
        assert_eq!(d["steps"], 2_000_000u64, "{d}");
        assert_eq!(d["non_finite_obs"], 0);
        assert_eq!(d["non_finite_rewards"], 0);
        // 2,000 steps per env: random CartPole episodes last ~22 steps, Acrobot's 500 (truncated).
        let episodes = d["episodes"].as_u64().unwrap();
        let (lo, hi) = if id == "CartPole-v1" { (40_000, 200_000) } else { (3_000, 5_000) };
        assert!((lo..hi).contains(&episodes), "{id}: {episodes} episodes");
        assert!(d["max_env_episode"].as_u64().unwrap() >= 4);
    }
}

#[test]
fn soak_rejects_arguments_that_cannot_run() {
    for (args, needle) in [
        (&["soak", "--steps", "1.5"][..], "--steps"),
        (&["soak", "--steps", "0"][..], "--steps"),
        (&["soak", "--steps", "1e30"][..], "--steps"),
        (&["soak", "--window", "nan"][..], "--window"),
        (&["soak", "--envs", "0"][..], "--envs"),
        (&["soak", "--chunk", "0"][..], "--chunk"),
        (&["soak", "--env", "Nope-v0"][..], "Nope-v0"),
    ] {
        let (code, _, err) = fusegym(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn a_soak_says_what_it_runs_and_prints_no_empty_window_figures() {
    // 1e3 steps of a 64-env batch: 16 steps per env, 1,024 in all, and the header says so.
    let (code, out, err) = fusegym(&["soak", "--env", "CartPole-v1", "--steps", "1e3", "--envs", "64"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1024 steps (16 per env) (--steps 1e3 rounded up to whole steps of the batch)"), "{err}");
    assert!(out.contains("CartPole-v1: 1024 steps in"), "{out}");
    assert!(out.contains("no full window of 10 s"), "{out}");
    assert!(!out.contains("0 windows") && !out.contains("-0.0"), "{out}");
    let (code, out, err) = fusegym(&["soak", "--env", "CartPole-v1", "--steps", "1e3", "--envs", "64", "--json"]);
    assert_eq!(code, 0, "{err}");
    let d: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(d["steps"], 1024);
    assert!(d["drift"].is_null(), "{d}");
    // A multiple of the batch runs exactly.
    let (code, out, err) = fusegym(&["soak", "--env", "CartPole-v1", "--steps", "6400", "--envs", "64", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("rounded"), "{err}");
    assert!(out.contains("\"steps\":6400"), "{out}");
}
