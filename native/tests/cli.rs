//! The `fusegym` binary as a user runs it: exit codes, messages, JSON shape.

use std::path::PathBuf;
use std::process::Command;

fn fusegym(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fusegym")).args(args).output().expect("run fusegym");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn golden(id: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden").join(format!("{id}.json")).display().to_string()
}

#[test]
fn validate_passes_on_the_golden_files_with_one_line_each() {
    for backend in ["scalar", "simd"] {
        let files = [golden("CartPole-v1"), golden("Pendulum-v1")];
        let (code, out, err) = fusegym(&["validate", "--backend", backend, &files[0], &files[1]]);
        assert_eq!(code, 0, "{out}{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].contains("CartPole-v1") && lines[0].contains("episodes=16") && lines[0].ends_with("PASS"), "{out}");
        assert!(lines[1].contains("Pendulum-v1") && lines[1].contains("steps=3200"), "{out}");
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
    assert!(out.contains("FAIL") && out.contains("episode 2 step 10"), "{out}");
}

#[test]
fn validate_exits_2_on_unreadable_or_malformed_input() {
    let (code, _, err) = fusegym(&["validate", "/nonexistent/file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/file.json") && err.contains("cannot read"), "{err}");
    let p = std::env::temp_dir().join(format!("fusegym-cli-bad-{}.json", std::process::id()));
    std::fs::write(&p, r#"{"header": {"schema_version": 1}}"#).unwrap();
    let (code, _, err) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 2);
    assert!(err.contains("malformed") && err.contains("line 1"), "{err}");
}

/// `tests/golden/<id>.json` with `edit` applied, written to a temporary file named `name`.
fn edited(id: &str, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(golden(id)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    let dir = std::env::temp_dir().join(format!("fusegym-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

/// The longest run of digits in `s`.
fn longest_digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0)
}

#[test]
fn validate_calls_an_action_beyond_float32_malformed_input() {
    let p = edited("MountainCarContinuous-v0", "overflowing-action.json", |v| {
        v["episodes"][3]["actions"][5] = serde_json::Value::from(1e39);
    });
    let (code, out, err) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("ERROR") && !out.contains("FAIL"), "{out}");
    for part in [p.to_str().unwrap(), "malformed", "episode 3, step 5", "1e39", "float32"] {
        assert!(err.contains(part), "{part:?} missing from: {err}");
    }
    // A state or an observation beyond float32 is malformed too, with its place.
    let p = edited("Pendulum-v1", "huge-state.json", |v| {
        v["episodes"][2]["states"][7][1] = serde_json::Value::from(1e300);
    });
    let (code, _, err) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("episodes[2].states[7][1]") && err.contains("1e300") && longest_digit_run(&err) < 20, "{err}");
}

#[test]
fn validate_prints_huge_values_in_scientific_notation() {
    let p = edited("Pendulum-v1", "huge-reward.json", |v| {
        v["episodes"][2]["rewards"][7] = serde_json::Value::from(1e300);
    });
    let (code, out, err) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("episode 2 step 7: reward") && out.contains("1e300"), "{out}");
    assert!(longest_digit_run(&out) < 20, "a number printed in full: {out}");
    assert!(!out.contains("inf") && !out.contains("NaN"), "{out}");
    // A recorded state that would overflow our float32 step is refused by set_env_state (it
    // is outside the declared state range), and the message says so in words.
    let p = edited("CartPole-v1", "overflowing-step.json", |v| {
        v["episodes"][2]["states"][3][3] = serde_json::Value::from(3e38);
    });
    let (code, out, _) = fusegym(&["validate", p.to_str().unwrap()]);
    std::fs::remove_file(&p).ok();
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("infeps") && !out.contains("inf eps") && longest_digit_run(&out) < 20, "{out}");
    assert!(out.contains("theta_dot (index 3) = 3e38 is outside its valid range [-1000, 1000]"), "{out}");
}

#[test]
fn validate_lines_up_its_columns_and_says_what_the_free_running_figures_are() {
    let long = "a-golden-file-with-a-rather-long-name-recorded-elsewhere-CartPole-v1.json";
    let files = [edited("CartPole-v1", "c.json", |_| {}), edited("CartPole-v1", long, |_| {}), PathBuf::from(golden("Acrobot-v1"))];
    let args: Vec<&str> = ["validate"].into_iter().chain(files.iter().map(|p| p.to_str().unwrap())).collect();
    let (code, out, err) = fusegym(&args);
    files[..2].iter().for_each(|p| drop(std::fs::remove_file(p)));
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    // Every column after the file name starts at the same place on every line.
    let col = |l: &str, s: &str| l.find(s).unwrap_or_else(|| panic!("{s:?} missing from {l}"));
    for field in ["path=", "episodes=", "teacher-forced:"] {
        let at: Vec<usize> = lines.iter().map(|l| col(l, field)).collect();
        assert!(at.iter().all(|&a| a == at[0]), "{field} at {at:?}:\n{out}");
    }
    let env_at = |l: &str, id: &str| col(l, &format!("  {id}  ")) + 2;
    assert_eq!(env_at(lines[0], "CartPole-v1"), env_at(lines[1], "CartPole-v1"), "{out}");
    assert_eq!(env_at(lines[0], "CartPole-v1"), env_at(lines[2], "Acrobot-v1"), "{out}");
    // "followed A of B steps (bar C)": A and C are at most B, and A >= C on a pass.
    for l in &lines {
        let rest = &l[col(l, "followed ") + "followed ".len()..];
        let n: Vec<usize> =
            rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).take(3).map(|s| s.parse().unwrap()).collect();
        let (a, b, c) = (n[0], n[1], n[2]);
        assert!(rest.starts_with(&format!("{a} of {b} steps (bar {c})")), "{l}");
        assert!(a <= b && c <= b && a >= c, "{l}");
    }
    // --episodes adds one line per episode in the same words.
    let (code, out, _) = fusegym(&["validate", "--episodes", &golden("MountainCar-v0")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().filter(|l| l.trim_start().starts_with("episode ") && l.contains(" steps (bar ")).count(), 16, "{out}");
}

#[test]
fn unknown_env_is_a_clear_error() {
    let (code, _, err) = fusegym(&["bench", "--quick", "--env", "CartPole-v0"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown environment id \"CartPole-v0\"") && err.contains("CartPole-v1"), "{err}");
}

#[test]
fn bench_json_reports_validated_results_and_hardware() {
    // The CPU backends named: by default the GPU joins them where wgpu finds an adapter
    // (cli_gpu.rs checks that).
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
        "--backend",
        "scalar",
        "--backend",
        "simd",
        "--backend",
        "threads",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document on stdout");
    assert!(doc["hardware"]["cpu"].is_string() && doc["hardware"]["simd_path"].is_string());
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 6, "scalar, simd, threads x step, rollout");
    assert!(doc["gpu"].as_str().unwrap().starts_with("not measured"), "{}", doc["gpu"]);
    for mode in ["step", "rollout"] {
        assert_eq!(results.iter().filter(|r| r["mode"] == mode).count(), 3, "{mode}");
    }
    for r in results {
        assert_eq!(r["env"], "Acrobot-v1");
        assert_eq!(r["validated"], true);
        assert_eq!(r["num_envs"], 512);
        assert_eq!(r["steps"], 20);
        assert_eq!(r["clock"], "wall");
        assert!(r.get("device_sps_median").is_none() && r.get("adapter").is_none(), "{r}");
        let (lo, med, hi) = (r["sps_min"].as_f64().unwrap(), r["sps_median"].as_f64().unwrap(), r["sps_max"].as_f64().unwrap());
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
    assert!(out.contains("SIMD paths available") && out.contains("scalar"), "{out}");
}

#[test]
fn run_plays_the_requested_episodes() {
    let (code, out, err) = fusegym(&["run", "--env", "CartPole-v1", "--episodes", "3", "--seed", "4"]);
    assert_eq!(code, 0, "{err}");
    let episodes: Vec<&str> = out.lines().filter(|l| l.starts_with("env ")).collect();
    assert_eq!(episodes.len(), 3, "{out}");
    // CartPole pays 1 per step, so each return equals its length.
    for l in episodes {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f[5].parse::<f64>().unwrap(), f[7].parse::<f64>().unwrap(), "{l}");
    }
    let (code, _, err) = fusegym(&["run", "--env", "Pendulum-v1", "--episodes", "1", "--policy", "constant:9"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = fusegym(&["run", "--env", "CartPole-v1", "--policy", "constant:3"]);
    assert_eq!(code, 2);
    assert!(err.contains("must be an integer in 0..2"), "{err}");
    let (code, _, err) = fusegym(&["run", "--env", "CartPole-v1", "--policy", "greedy"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected random"), "{err}");
}

/// Lines of a `run --record` file, parsed.
fn recorded(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn run_records_every_step_as_json_lines_in_each_autoreset_mode() {
    let dir = std::env::temp_dir().join(format!("fusegym-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for mode in ["same-step", "next-step", "disabled"] {
        let path = dir.join(format!("{mode}.jsonl"));
        let (code, out, err) = fusegym(&[
            "run",
            "--env",
            "CartPole-v1",
            "--envs",
            "3",
            "--steps",
            "60",
            "--autoreset",
            mode,
            "--param",
            "length=0.2..0.4",
            "--param",
            "force_mag=12",
            "--record",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{mode}: {err}");
        assert!(out.contains(&format!("autoreset {mode}")) && out.contains("length~U[0.2,0.4)"), "{out}");
        let lines = recorded(&path);
        assert_eq!(lines.len(), 60, "{mode}: one line per step");
        let mut finals = 0;
        for (t, l) in lines.iter().enumerate() {
            assert_eq!(l["step"], t);
            let obs = l["obs"].as_array().unwrap();
            assert_eq!(obs.len(), 3, "a list per env");
            assert!(obs.iter().all(|o| o.as_array().unwrap().len() == 4));
            for key in ["reward", "terminated", "truncated"] {
                assert_eq!(l[key].as_array().unwrap().len(), 3, "{key}");
            }
            match mode {
                "same-step" => {
                    for f in l["final_obs"].as_array().unwrap() {
                        let i = f["env"].as_u64().unwrap() as usize;
                        let done = l["terminated"][i] == true || l["truncated"][i] == true;
                        assert!(done, "final_obs only for finished envs");
                        finals += 1;
                    }
                }
                _ => assert!(l.get("final_obs").is_none(), "{mode}: no final_obs"),
            }
        }
        if mode == "same-step" {
            assert!(finals > 0, "random CartPole episodes end within 60 steps");
        }
        if mode == "disabled" {
            // A finished env stays finished: once set, its flag stays set.
            for i in 0..3 {
                let flags: Vec<bool> = lines.iter().map(|l| l["terminated"][i] == true || l["truncated"][i] == true).collect();
                if let Some(first) = flags.iter().position(|&f| f) {
                    assert!(flags[first..].iter().all(|&f| f), "env {i} restarted in disabled mode");
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_parameters_and_modes_are_exit_2_with_the_name_and_range() {
    for (args, want) in [
        (vec!["--param", "lenght=1"], "no parameter \"lenght\""),
        (vec!["--param", "length=-1"], "outside its valid range [0.01, 10]"),
        // Inside the old (0, inf), NaN in the step (issue 28, round two).
        (vec!["--param", "length=1e-45"], "outside its valid range [0.01, 10]"),
        (vec!["--param", "force_mag=3.4e38"], "outside its valid range [0, 1000]"),
        (vec!["--param", "length=0.3..1e9"], "[0.01, 10]"),
        (vec!["--param", "length=0.9..0.1"], "low end 0.9 exceeds its high end 0.1"),
        (vec!["--param", "length=abc"], "is not a number"),
        (vec!["--param", "length"], "expected NAME=VALUE"),
        (vec!["--param", "tau=nan"], "not finite"),
        (vec!["--autoreset", "sometimes"], "expected same-step, next-step or disabled"),
        (vec!["--policy", "constant:1e40"], "outside f32's range"),
        (vec!["--policy", "constant:0.5"], "0.5 must be an integer"),
    ] {
        let mut all = vec!["run", "--env", "CartPole-v1", "--steps", "5"];
        all.extend(args.iter());
        let (code, out, err) = fusegym(&all);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: nothing is printed before the error: {out}");
    }
}

#[test]
fn info_env_lists_the_parameters_from_their_declaration() {
    let (code, out, err) = fusegym(&["info", "--env", "Pendulum-v1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["id"], "Pendulum-v1");
    assert_eq!(doc["max_episode_steps"], 200);
    let params = doc["params"].as_array().unwrap();
    let torque = params.iter().find(|p| p["name"] == "max_torque").unwrap();
    assert_eq!(torque["default"], 2.0);
    assert_eq!(torque["valid"], "[0, 200]");
    assert_eq!(doc["state"]["valid"], serde_json::json!(["[-65536, 65536]", "[-1000, 1000]"]));
    assert!(torque["doc"].as_str().unwrap().contains("Torque limit"));
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    let declared: Vec<&str> = fusegym::info("Pendulum-v1").unwrap().params.iter().map(|f| f.name).collect();
    assert_eq!(names, declared);
    let (code, out, _) = fusegym(&["info", "--env", "Acrobot-v1"]);
    assert_eq!(code, 0);
    assert!(out.contains("avail_torque_2") && out.contains("time limit:  500 steps"), "{out}");
    let (code, _, err) = fusegym(&["info", "--env", "Nope-v0"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown environment id"), "{err}");
}

#[test]
fn bench_rejects_arguments_that_cannot_give_a_result() {
    for (args, want) in [
        (vec!["--seconds", "inf"], "--seconds"),
        (vec!["--seconds", "1e9"], "--seconds"),
        (vec!["--seconds", "0"], "--seconds"),
        (vec!["--seconds", "-1"], "--seconds"),
        (vec!["--seconds", "NaN"], "--seconds"),
        (vec!["--steps", "0"], "--steps"),
        (vec!["--envs", "0"], "--envs"),
        (vec!["--envs", "1000000000000"], "at most 4294967295"),
        (vec!["--envs", "4000000000"], "GiB"),
        (vec!["--param", "lenght=1"], "no parameter"),
        (vec!["--autoreset", "never"], "expected same-step"),
    ] {
        let mut all = vec!["bench", "--env", "CartPole-v1", "--quick"];
        all.extend(args.iter());
        let (code, out, err) = fusegym(&all);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn bench_measures_next_step_mode_and_per_env_parameters() {
    let (code, out, err) = fusegym(&[
        "bench",
        "--json",
        "--env",
        "CartPole-v1",
        "--envs",
        "256",
        "--repeats",
        "1",
        "--steps",
        "10",
        "--backend",
        "simd",
        "--mode",
        "step",
        "--autoreset",
        "same-step",
        "--autoreset",
        "next-step",
        "--param",
        "length=0.4..0.6",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = doc["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["autoreset"], "same-step");
    assert_eq!(rows[1]["autoreset"], "next-step");
    for r in rows {
        assert_eq!(r["validated"], true);
        assert!(r["params"].as_str().unwrap().contains("length"), "{r}");
    }
}

/// `fusegym ARGS` run through `sh -c` after `ulimit -v KB` (an address-space limit, so every
/// allocation past it fails as it would on a machine without the memory).
fn fusegym_limited(kb: u64, args: &[&str]) -> (i32, String, String) {
    let script = format!("ulimit -v {kb} && exec \"$0\" \"$@\"");
    let out = Command::new("sh").arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_fusegym")).args(args).output().expect("run sh");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn run_checks_memory_first_and_allocates_fallibly() {
    // Far more than the machine has: refused before allocating, as bench refuses it.
    let (code, out, err) = fusegym(&["run", "--env", "CartPole-v1", "--envs", "600000000", "--steps", "1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("needs about") && err.contains("GiB available"), "{err}");
    assert!(out.is_empty(), "{out}");
    // Within the machine's memory but not within a 1 GB address space: the allocation itself
    // fails, and that is exit 2 with the buffer named, not an abort.
    let (code, out, err) = fusegym_limited(1_000_000, &["run", "--env", "CartPole-v1", "--envs", "20000000", "--steps", "1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("could not allocate") && err.contains("use fewer envs"), "{err}");
    assert!(!err.contains("memory allocation of"), "{err}");
}

/// Runs fusegym with stdout a pipe whose reading end is already closed.
fn into_closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_fusegym")).args(args).stdout(writer).output().expect("run fusegym");
    (out.status, String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    for args in [
        &["info"][..],
        &["info", "--env", "CartPole-v1", "--json"],
        &["run", "--env", "CartPole-v1", "--envs", "4", "--steps", "50"],
        &["soak", "--env", "CartPole-v1", "--steps", "1e4", "--envs", "64"],
        &["bench", "--env", "CartPole-v1", "--backend", "simd", "--mode", "step", "--envs", "64", "--steps", "3", "--repeats", "1"],
    ] {
        let (status, err) = into_closed_pipe(args);
        // The conventional end: killed by SIGPIPE at the first write (the shell shows 141).
        assert!(status.success() || status.signal() == Some(libc::SIGPIPE), "{args:?}: {status:?}\n{err}");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("backtrace"), "{args:?}: {err}");
    }
}

#[test]
fn a_parameter_given_twice_is_exit_2_naming_it() {
    for cmd in [vec!["run", "--env", "CartPole-v1", "--steps", "5"], vec!["bench", "--env", "CartPole-v1", "--quick", "--backend", "simd"]]
    {
        for twice in [["length=1", "length=2"], ["length=1", "length=0.4..0.6"]] {
            let mut all = cmd.clone();
            all.extend(["--param", twice[0], "--param", twice[1]]);
            let (code, out, err) = fusegym(&all);
            assert_eq!(code, 2, "{all:?}: {out}{err}");
            assert!(err.contains("parameter length is given more than once"), "{all:?}: {err}");
            assert!(out.is_empty(), "{all:?}: {out}");
        }
    }
}

#[test]
fn record_refuses_what_exceeds_its_cap_or_the_disk_and_stops_at_the_cap() {
    let dir = std::env::temp_dir().join(format!("fusegym-cli-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.jsonl");
    let p = path.to_str().unwrap();
    // About 1 TB: above the default cap of 10 GiB, refused before the file exists.
    let (code, out, err) = fusegym(&["run", "--env", "CartPole-v1", "--envs", "100000", "--steps", "100000", "--record", p]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("need about") && err.contains("above the cap of 10.00 GiB"), "{err}");
    assert!(!path.exists() && out.is_empty(), "nothing written or printed: {out}");
    // With the cap raised past the disk: refused for the filesystem's free space.
    let (code, _, err) =
        fusegym(&["run", "--env", "CartPole-v1", "--envs", "100000", "--steps", "100000000", "--record", p, "--record-limit-gib", "1e12"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("its filesystem has") && err.contains("free"), "{err}");
    assert!(!path.exists());
    // Episodes mode (no step count to estimate from): the cap stops the recording, whose lines
    // so far stay whole.
    let (code, _, err) =
        fusegym(&["run", "--env", "CartPole-v1", "--envs", "8", "--episodes", "100000", "--record", p, "--record-limit-gib", "0.00001"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("past the cap"), "{err}");
    let lines = recorded(&path);
    assert!(!lines.is_empty() && std::fs::metadata(&path).unwrap().len() <= 10737, "{} lines", lines.len());
    assert!(err.contains(&format!("{} steps were recorded", lines.len())), "{err}");
    let (code, _, err) = fusegym(&["run", "--env", "CartPole-v1", "--record-limit-gib", "0", "--record", p]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_prints_each_envs_own_episode_count() {
    // Disabled mode: each env plays one episode, so every line says episode 0.
    let (code, out, err) =
        fusegym(&["run", "--env", "CartPole-v1", "--envs", "3", "--episodes", "3", "--autoreset", "disabled", "--seed", "1"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("env ")).collect();
    assert_eq!(lines.len(), 3, "{out}");
    for l in &lines {
        assert!(l.contains("episode    0:"), "{l}\n{out}");
    }
    // Same-step mode: env i's lines count 0, 1, 2, ... for env i alone.
    let (code, out, err) = fusegym(&["run", "--env", "CartPole-v1", "--envs", "3", "--steps", "300", "--seed", "1"]);
    assert_eq!(code, 0, "{err}");
    let mut next = [0u64; 3];
    for l in out.lines().filter(|l| l.starts_with("env ")) {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (i, k): (usize, u64) = (f[1].parse().unwrap(), f[3].trim_end_matches(':').parse().unwrap());
        assert_eq!(k, next[i], "{l}");
        next[i] += 1;
    }
    assert!(next.iter().all(|&k| k >= 3), "{next:?}");
}

#[test]
fn flags_that_would_be_ignored_are_exit_2() {
    for args in [
        vec!["run", "--env", "CartPole-v1", "--steps", "3", "--threads", "2"],
        vec!["run", "--env", "CartPole-v1", "--steps", "3", "--threads", "2", "--backend", "scalar"],
        vec!["bench", "--env", "CartPole-v1", "--quick", "--backend", "simd", "--threads", "2"],
    ] {
        let (code, out, err) = fusegym(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("--threads applies to --backend threads only"), "{args:?}: {err}");
    }
    let (code, out, err) = fusegym(&["run", "--env", "CartPole-v1", "--steps", "3", "--threads", "2", "--backend", "threads"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("on 2 threads"), "{out}");
    let (code, out, err) = fusegym(&["info", "--env", "CartPole-v1", "--json", "--markdown"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--markdown") && err.contains("--json") && out.is_empty(), "{err}");
}

#[test]
fn run_header_names_the_shared_parameter_values() {
    let (code, out, err) =
        fusegym(&["run", "--env", "CartPole-v1", "--steps", "2", "--param", "force_mag=12", "--param", "length=0.4..0.6"]);
    assert_eq!(code, 0, "{err}");
    let header = out.lines().next().unwrap();
    assert!(header.contains("policy random") && header.contains("length~U[0.4,0.6)") && header.contains("force_mag=12"), "{header}");
}

#[test]
fn validate_refuses_a_huge_file_at_once() {
    let start = std::time::Instant::now();
    let (code, out, err) = fusegym(&["validate", "/dev/zero"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("/dev/zero") && err.contains("larger than"), "{err}");
    assert!(start.elapsed().as_secs_f64() < 5.0, "took {:?}", start.elapsed());
}
