//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` (libFuzzer) and
//! `native/tests/fuzz_corpus.rs` (which replays every committed input in `fuzz/corpus/<target>/`
//! as an ordinary test). Each body must return for any input; a panic is a finding.
//!
//! The including crate declares `mod config` (the CLI's `native/src/cli/config.rs`) next to
//! this module.

use crate::config;
use fusegym::{make_with, Actions, Autoreset, EnvConfig, Policy, SimdPath, ENVS};

/// Largest number of recorded steps a golden input may hold before it is replayed (keeps each
/// run short; parsing and the structure checks still see every input).
const MAX_REPLAY_STEPS: usize = 2_000;

/// The golden-file reader: any bytes through `golden::parse` (JSON, schema, structure and
/// action checks), and a file that passes them through the whole replay (`golden::check`:
/// header constants, teacher-forced and free-running replay, and the report's numbers).
pub fn golden(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(file) = fusegym::golden::parse("fuzz-input", text) else { return };
    let steps = file.episodes.iter().fold(0usize, |s, e| s.saturating_add(e.length));
    if steps > MAX_REPLAY_STEPS {
        return;
    }
    let report = fusegym::golden::check(&file, SimdPath::Scalar);
    for f in &report.outcome.failures {
        assert!(!f.is_empty(), "a failure without a message");
    }
}

/// Reads little-endian words and bytes off the input, then zeros.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn word(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn words_left(&self) -> usize {
        self.0.len() / 4
    }
}

fn mode(b: u8) -> Autoreset {
    [Autoreset::SameStep, Autoreset::NextStep, Autoreset::Disabled][b as usize % 3]
}

/// Outputs of an accepted step with default parameters are finite (tests/properties.rs holds
/// the same over 10,000 steps; here the inputs are whatever the fuzzer makes).
fn assert_finite(what: &str, id: &str, values: &[f32]) {
    if let Some(k) = values.iter().position(|v| !v.is_finite()) {
        panic!("{id}: {what}[{k}] = {} after an accepted input", values[k]);
    }
}

/// Action decoding: the `Actions` validation of `step` (discrete `u32`/`i32`, continuous
/// `f32`, any length and any bit pattern) and the policies of `rollout` (`Constant` and
/// `Linear` with any lengths and values), on any env, batch size and autoreset mode. A call
/// either returns a typed error or steps; when it steps, the outputs are finite.
pub fn actions(data: &[u8]) {
    let mut input = Input(data);
    let id = ENVS[input.byte() as usize % ENVS.len()].id;
    let n = 1 + input.byte() as usize % 130;
    let autoreset = mode(input.byte());
    let kind = input.byte() % 5;
    let exact_length = input.byte() % 4 != 0;
    let seed = input.byte() as u64;
    let Ok(mut env) = make_with(id, &EnvConfig { autoreset, ..EnvConfig::new(n, seed) }) else {
        panic!("{id}: a batch of {n} envs with default parameters must build")
    };
    let dim = env.action_dim();
    let len = if exact_length { dim * n } else { input.words_left() };
    let words: Vec<u32> = (0..len).map(|_| input.word()).collect();
    let floats: Vec<f32> = words.iter().map(|&w| f32::from_bits(w)).collect();
    for _ in 0..3 {
        let result = match kind {
            0 => env.step(Actions::Discrete(&words)).map(|s| (s.obs.to_vec(), s.reward.to_vec())),
            1 => {
                let ints: Vec<i32> = words.iter().map(|&w| w as i32).collect();
                env.step(Actions::DiscreteI32(&ints)).map(|s| (s.obs.to_vec(), s.reward.to_vec()))
            }
            2 => env.step(Actions::Continuous(&floats)).map(|s| (s.obs.to_vec(), s.reward.to_vec())),
            3 => env.rollout(2, Policy::Constant(&floats), None).map(|s| (vec![], s.reward_sum.iter().map(|&r| r as f32).collect())),
            _ => {
                let split = words.first().map_or(0, |&w| w as usize % (floats.len() + 1));
                let (weights, bias) = floats.split_at(split);
                env.rollout(2, Policy::Linear { weights, bias }, None).map(|s| (vec![], s.reward_sum.iter().map(|&r| r as f32).collect()))
            }
        };
        match result {
            Ok((obs, rewards)) => {
                assert_finite("obs", id, &obs);
                assert_finite("reward", id, &rewards);
                assert_finite("obs", id, env.view().obs);
            }
            Err(e) => {
                assert!(!e.to_string().is_empty(), "an error without a message");
                return;
            }
        }
    }
}

/// The CLI's value parsing (`native/src/cli/config.rs`): `--policy` specs, `linear:FILE` JSON,
/// `--param NAME=V|LO..HI`, `--autoreset`, numbers. What parses is then used as the CLI uses
/// it: the configuration builds a batch (or is a typed error), the policy steps it.
pub fn cli(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let id = ENVS[(selector >> 3) as usize % ENVS.len()].id;
    let policy = match selector % 4 {
        0 if !text.starts_with("linear:") => config::parse_policy(text),
        1 => config::parse_linear("fuzz-input", text),
        2 => {
            // `--param SPEC --autoreset MODE`, split at the first newline.
            let (param, autoreset) = text.split_once('\n').unwrap_or((text, "same-step"));
            let Ok(cfg) = config::config(id, 3, 0, autoreset, &[param.to_string()], selector & 4 != 0) else { return };
            let _ = config::describe_params(&cfg);
            // Parameters that parse are inside their declared ranges; the batch may still
            // reject their combination (an order constraint), with a typed error.
            if let Ok(mut env) = make_with(id, &cfg) {
                let _ = env.rollout(2, Policy::Random, None);
            }
            return;
        }
        _ => {
            let _ = config::parse_f32("fuzz-input", text);
            let _ = config::parse_autoreset(text);
            return;
        }
    };
    let Ok(policy) = policy else { return };
    let Ok(mut env) = make_with(id, &EnvConfig::new(3, 0)) else { panic!("{id}: default batch must build") };
    let policy = match &policy {
        config::Owned::Random => Policy::Random,
        config::Owned::Constant(v) => Policy::Constant(v),
        config::Owned::Linear(w, b) => Policy::Linear { weights: w, bias: b },
    };
    // Every value that parses is a finite f32; the env accepts it or names the problem.
    if env.rollout(2, policy, None).is_ok() {
        assert_finite("obs", id, env.view().obs);
    }
}
