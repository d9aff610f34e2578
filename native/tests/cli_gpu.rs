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

/// `run --record` on the GPU writes the CPU's schema, and its lines agree with the scalar CPU's
/// from the same seed (same random actions): flags and final-observation envs identical, values
/// within 1e-4 relative (docs/parity.md: the GPU is not bit-identical, and 8 envs x 60 steps of
/// random CartPole stay far from that bound).
#[test]
fn run_records_on_the_gpu_like_the_cpu() {
    if !have_adapter() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("fusegym-gpu-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for mode in ["same-step", "next-step"] {
        let lines = |backend: &str| {
            let path = dir.join(format!("{mode}-{backend}.jsonl"));
            let args = ["run", "--backend", backend, "--env", "CartPole-v1", "--envs", "8", "--steps", "60", "--seed", "3"];
            let out = fusegym(&[&args[..], &["--autoreset", mode, "--record", path.to_str().unwrap()]].concat(), &[]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            let body = std::fs::read_to_string(&path).unwrap();
            body.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).collect::<Vec<_>>()
        };
        let (gpu, cpu) = (lines("gpu"), lines("scalar"));
        assert_eq!(gpu.len(), 60, "{mode}: one line per step");
        let close = |a: &serde_json::Value, b: &serde_json::Value, what: &str| {
            let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-4 * x.abs().max(1.0), "{mode} {what}: GPU {x}, CPU {y}");
        };
        let mut finals = 0;
        for (t, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
            assert_eq!(g["step"], t);
            assert_eq!((&g["terminated"], &g["truncated"]), (&c["terminated"], &c["truncated"]), "{mode} step {t}");
            for i in 0..8 {
                close(&g["reward"][i], &c["reward"][i], &format!("step {t} reward[{i}]"));
                for k in 0..4 {
                    close(&g["obs"][i][k], &c["obs"][i][k], &format!("step {t} obs[{i}][{k}]"));
                }
            }
            if mode == "same-step" {
                let (gf, cf) = (g["final_obs"].as_array().unwrap(), c["final_obs"].as_array().unwrap());
                assert_eq!(gf.len(), cf.len(), "{mode} step {t}: final_obs envs");
                for (a, b) in gf.iter().zip(cf) {
                    assert_eq!(a["env"], b["env"]);
                    for k in 0..4 {
                        close(&a["obs"][k], &b["obs"][k], &format!("step {t} final_obs"));
                    }
                }
                finals += gf.len();
            } else {
                assert!(g.get("final_obs").is_none(), "next-step mode writes no final_obs");
            }
        }
        if mode == "same-step" {
            assert!(finals > 0, "random CartPole episodes end within 60 steps");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bench_measures_the_gpu_by_default_and_says_which_clock() {
    if !have_adapter() {
        return;
    }
    let out = fusegym(&["bench", "--json", "--env", "CartPole-v1", "--envs", "2048", "--steps", "16", "--repeats", "2"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let gpu_line = doc["gpu"].as_str().unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 8, "scalar, simd, threads, gpu x step, rollout");
    let gpu: Vec<&serde_json::Value> = results.iter().filter(|r| r["backend"] == "gpu").collect();
    assert_eq!(gpu.len(), 2, "{t}");
    let info = text(&fusegym(&["info"], &[]));
    let software = info.lines().find(|l| l.starts_with("GPU adapter 0:")).unwrap().contains("Cpu");
    for r in gpu {
        let adapter = r["adapter"].as_str().unwrap();
        assert_eq!(adapter.starts_with("software adapter ("), software, "{adapter} (info: {info})");
        assert!(gpu_line.contains(adapter), "{gpu_line} / {adapter}");
        assert_eq!(r["clock"], "wall");
        assert_eq!(r["validated"], true);
        assert!(r["sps_median"].as_f64().unwrap() > 0.0);
        if gpu_line.contains("timestamps offered") {
            // Each repeat's device time lies inside its wall-clock interval, so the device rate
            // is at least the wall-clock one (1% for the two clocks' calibration).
            let (d, w) = (r["device_sps_median"].as_f64().unwrap(), r["sps_median"].as_f64().unwrap());
            assert!(d >= 0.99 * w, "device {d} vs wall {w}: {r}");
        } else {
            assert!(gpu_line.contains("wall clock only"), "{gpu_line}");
            assert!(r.get("device_sps_median").is_none(), "{r}");
        }
    }
    // Without an adapter the default run measures the CPU and says why the GPU is missing.
    let out = fusegym(
        &["bench", "--env", "CartPole-v1", "--envs", "256", "--steps", "4", "--repeats", "1", "--mode", "step"],
        &[("WGPU_BACKEND", "metal")],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("GPU: not measured: no GPU adapter found"), "{t}");
    // No table row has backend gpu (the legend below the table mentions "gpu step" and "gpu rollout").
    assert!(!t.lines().any(|l| l.split_whitespace().nth(2) == Some("gpu")), "{t}");
}

#[test]
fn the_packaged_device_check_runs_quick() {
    if !have_adapter() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("fusegym-device-check-{}", std::process::id()));
    let pack = Command::new(root.join("scripts/package-device-check.sh"))
        .args(["--out", dir.to_str().unwrap(), "--binary", env!("CARGO_BIN_EXE_fusegym")])
        .output()
        .expect("run package-device-check.sh");
    assert!(pack.status.success(), "{}", text(&pack));
    for f in ["fusegym", "lib/libvulkan.so.1", "golden/CartPole-v1.json", "golden/branches/Acrobot-v1.json", "gpu-device-check.sh"] {
        assert!(dir.join(f).exists(), "{f} missing from the package");
    }
    let out = Command::new(dir.join("gpu-device-check.sh")).arg("--quick").output().expect("run gpu-device-check.sh");
    let t = text(&out);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(0), "{t}");
    let summary = t.split("== summary").nth(1).expect("a summary table");
    for n in ["4096", "65536"] {
        for mode in ["step", "rollout"] {
            let row = summary.lines().find(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() >= 6 && f[0] == "fusegym" && f[1] == "CartPole-v1" && f[2] == n && f[3] == mode && f[5] == "wall"
            });
            let rate: f64 =
                row.unwrap_or_else(|| panic!("no {n} {mode} row in:\n{summary}")).split_whitespace().nth(4).unwrap().parse().unwrap();
            assert!(rate > 0.0, "{summary}");
        }
    }
    assert!(summary.contains("gymnax: not run (no wheels folder"), "{summary}");
    assert!(summary.contains("golden files on the GPU: PASS"), "{summary}");
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

#[test]
fn gpu_run_header_names_the_policy_and_the_shared_values_and_mesa_stays_quiet() {
    if !have_adapter() {
        return;
    }
    // No XDG_RUNTIME_DIR (as on a server): Mesa's "XDG_RUNTIME_DIR is invalid" is not printed.
    let mut c = Command::new(env!("CARGO_BIN_EXE_fusegym"));
    c.args(["run", "--backend", "gpu", "--env", "CartPole-v1", "--steps", "3", "--policy", "constant:1", "--param", "force_mag=12"]);
    c.env_remove("XDG_RUNTIME_DIR");
    let out = c.output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let header = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string();
    assert!(header.contains("with policy constant:1") && header.contains("force_mag=12") && header.contains("on the GPU"), "{header}");
    assert!(!t.contains("XDG_RUNTIME_DIR"), "{t}");
    let out = fusegym(&["info"], &[("XDG_RUNTIME_DIR", "/nonexistent")]);
    assert!(!text(&out).contains("XDG_RUNTIME_DIR"), "{}", text(&out));
}

#[test]
fn gpu_batches_too_large_for_memory_are_exit_2_not_a_panic() {
    if !have_adapter() {
        return;
    }
    // Far past the machine's memory: refused before anything is allocated.
    let out = fusegym(&["run", "--backend", "gpu", "--env", "CartPole-v1", "--envs", "4294967295", "--steps", "1"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("GiB available") && !t.contains("panicked"), "{t}");
    // Within the machine's memory but not within a 1.5 GB address space: on a software adapter
    // the device's allocations fail (wgpu's out-of-memory error), which is exit 2.
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" run --backend gpu --env CartPole-v1 --envs 10000000 --steps 1")
        .arg(env!("CARGO_BIN_EXE_fusegym"))
        .output()
        .unwrap();
    let t = text(&out);
    if !text(&fusegym(&["info"], &[])).contains("Cpu, driver") {
        eprintln!("SKIPPED the address-space part: not a software adapter, whose device memory is the process's");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("the GPU is out of memory for 10000000 envs of CartPole-v1") && !t.contains("panicked"), "{t}");
}
