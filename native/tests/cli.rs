//! The `fusegym` binary as a user runs it: exit codes, messages, JSON shape.

use std::path::PathBuf;
use std::process::Command;

fn fusegym(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fusegym"))
        .args(args)
        .output()
        .expect("run fusegym");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn golden(id: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden")
        .join(format!("{id}.json"))
        .display()
        .to_string()
}

#[test]
fn validate_passes_on_the_golden_files_with_one_line_each() {
    for backend in ["scalar", "simd"] {
        let files = [golden("CartPole-v1"), golden("Pendulum-v1")];
        let (code, out, err) = fusegym(&["validate", "--backend", backend, &files[0], &files[1]]);
        assert_eq!(code, 0, "{out}{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].contains("CartPole-v1")
                && lines[0].contains("episodes=16")
                && lines[0].ends_with("PASS"),
            "{out}"
        );
        assert!(
            lines[1].contains("Pendulum-v1") && lines[1].contains("steps=3200"),
            "{out}"
        );
    }
}

#[test]
fn validate_exits_1_on_a_mismatch() {
    let text = std::fs::read_to_string(golden("MountainCar-v0")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["episodes"][2]["obs"][10][0] = serde_json::Value::from(0.3);
    let p = std::env::temp_dir().join(format!("fusegym-cli-mismatch-{}.json", std::process::id()));
    std::fs::write(&p, v.to_string()).unwrap();
    let (code, out, _) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("episode 2 step 10"),
        "{out}"
    );
}

#[test]
fn validate_exits_2_on_unreadable_or_malformed_input() {
    let (code, _, err) = fusegym(&["validate", "/nonexistent/file.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/file.json") && err.contains("cannot read"),
        "{err}"
    );
    let p = std::env::temp_dir().join(format!("fusegym-cli-bad-{}.json", std::process::id()));
    std::fs::write(&p, r#"{"header": {"schema_version": 1}}"#).unwrap();
    let (code, _, err) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 2);
    assert!(err.contains("malformed") && err.contains("line 1"), "{err}");
}

#[test]
fn unknown_env_is_a_clear_error() {
    let (code, _, err) = fusegym(&["bench", "--quick", "--env", "CartPole-v0"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown environment id \"CartPole-v0\"") && err.contains("CartPole-v1"),
        "{err}"
    );
}

#[test]
fn bench_json_reports_validated_results_and_hardware() {
    let (code, out, err) = fusegym(&[
        "bench",
        "--json",
        "--env",
        "Acrobot-v1",
        "--envs",
        "512",
        "--repeats",
        "2",
        "--steps",
        "20",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document on stdout");
    assert!(doc["hardware"]["cpu"].is_string() && doc["hardware"]["simd_path"].is_string());
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 6, "scalar, simd, threads x step, rollout");
    for mode in ["step", "rollout"] {
        assert_eq!(
            results.iter().filter(|r| r["mode"] == mode).count(),
            3,
            "{mode}"
        );
    }
    for r in results {
        assert_eq!(r["env"], "Acrobot-v1");
        assert_eq!(r["validated"], true);
        assert_eq!(r["num_envs"], 512);
        assert_eq!(r["steps"], 20);
        let (lo, med, hi) = (
            r["sps_min"].as_f64().unwrap(),
            r["sps_median"].as_f64().unwrap(),
            r["sps_max"].as_f64().unwrap(),
        );
        assert!(0.0 < lo && lo <= med && med <= hi, "{r}");
    }
}

#[test]
fn info_lists_every_env_and_the_simd_path() {
    let (code, out, _) = fusegym(&["info"]);
    assert_eq!(code, 0);
    for id in fusegym::ENV_IDS {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
    assert!(
        out.contains("SIMD paths available") && out.contains("scalar"),
        "{out}"
    );
}

#[test]
fn run_plays_the_requested_episodes() {
    let (code, out, err) = fusegym(&[
        "run",
        "--env",
        "CartPole-v1",
        "--episodes",
        "3",
        "--seed",
        "4",
    ]);
    assert_eq!(code, 0, "{err}");
    let episodes: Vec<&str> = out.lines().filter(|l| l.starts_with("episode")).collect();
    assert_eq!(episodes.len(), 3, "{out}");
    // CartPole pays 1 per step, so each return equals its length.
    for l in episodes {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(
            f[3].parse::<f64>().unwrap(),
            f[5].parse::<f64>().unwrap(),
            "{l}"
        );
    }
    let (code, _, err) = fusegym(&[
        "run",
        "--env",
        "Pendulum-v1",
        "--episodes",
        "1",
        "--policy",
        "constant:9",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = fusegym(&["run", "--env", "CartPole-v1", "--policy", "constant:3"]);
    assert_eq!(code, 2);
    assert!(err.contains("outside Discrete(2)"), "{err}");
    let (code, _, err) = fusegym(&["run", "--env", "CartPole-v1", "--policy", "greedy"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected random"), "{err}");
}
