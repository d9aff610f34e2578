//! `--backend gpu` through the CLI: `validate` on every golden file with the CPU's tolerances,
//! `run`, a short `bench`, `info` listing adapters, and exit 2 with a message when there is no
//! adapter (forced with `WGPU_BACKEND=metal`, a backend Linux lacks).
//!
//! Without an adapter the tests that need one skip with a message, except under `CI=true`,
//! where the test command has installed Mesa's llvmpipe and they fail instead.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fusegym(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fusegym"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run fusegym")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

/// Whether a GPU adapter is present (`fusegym info` lists one); under CI=true there must be.
fn have_adapter() -> bool {
    let out = text(&fusegym(&["info"], &[]));
    let found = out.contains("GPU adapter 0:");
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true and no GPU adapter:\n{out}");
        eprintln!("SKIPPED: no GPU adapter\n{out}");
    }
    found
}

fn golden_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden");
    let mut files = vec![];
    for dir in [root.clone(), root.join("branches")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn validate_gpu_passes_every_golden_file() {
    if !have_adapter() {
        return;
    }
    let files = golden_files();
    assert!(files.len() >= 9, "{files:?}");
    let mut args = vec!["validate", "--backend", "gpu"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(|s| s.as_str()));
    let out = fusegym(&args, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(t.matches("PASS").count(), files.len(), "{t}");
    assert_eq!(t.matches("path=gpu").count(), files.len(), "{t}");
    eprintln!("{t}");
}

#[test]
fn validate_gpu_fails_a_tampered_file() {
    if !have_adapter() {
        return;
    }
    // One recorded observation changed by 1e-3: the teacher-forced check must catch it.
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/CartPole-v1.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
    let x = v["episodes"][0]["obs"][3][1].as_f64().unwrap();
    v["episodes"][0]["obs"][3][1] = serde_json::json!(x + 1e-3);
    let path = std::env::temp_dir().join(format!("fusegym-gpu-tampered-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let out = fusegym(&["validate", "--backend", "gpu", path.to_str().unwrap()], &[]);
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("FAIL"));
}

#[test]
fn run_and_bench_on_the_gpu() {
    if !have_adapter() {
        return;
    }
    let out = fusegym(&["run", "--backend", "gpu", "--env", "CartPole-v1", "--envs", "64", "--episodes", "10"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("on the GPU") && t.contains("mean over"), "{t}");
    // Same seed, same episodes as the CPU: the first finished episode's line is identical.
    let cpu = text(&fusegym(&["run", "--backend", "scalar", "--env", "CartPole-v1", "--envs", "64", "--episodes", "10"], &[]));
    let first = |s: &str| s.lines().find(|l| l.contains("episode    0")).map(str::to_string);
    assert_eq!(first(&t), first(&cpu), "GPU:\n{t}\nCPU:\n{cpu}");

    let out = fusegym(
        &["bench", "--backend", "gpu", "--env", "Pendulum-v1", "--envs", "4096", "--steps", "64", "--repeats", "1", "--quick"],
        &[],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("step") && t.contains("rollout") && t.contains("wall"), "{t}");
}

#[test]
fn no_adapter_is_exit_2_with_how_to_get_one() {
    for args in [
        vec!["run", "--backend", "gpu", "--env", "CartPole-v1", "--steps", "3"],
        vec!["bench", "--backend", "gpu", "--env", "CartPole-v1", "--quick"],
        vec!["validate", "--backend", "gpu", "../tests/golden/CartPole-v1.json"],
    ] {
        let out = fusegym(&args, &[("WGPU_BACKEND", "metal")]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        assert!(t.contains("no GPU adapter") && t.contains("mesa-vulkan-drivers"), "{args:?}: {t}");
        assert!(!t.contains("PASS") && !t.contains("M/s"), "{args:?} ran something: {t}");
    }
    let t = text(&fusegym(&["info"], &[("WGPU_BACKEND", "metal")]));
    assert!(t.contains("GPU adapters: none found"), "{t}");
}
