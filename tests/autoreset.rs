//! The three autoreset modes and per-env parameters, against a reference written with plain
//! per-env loops (Gymnasium's vector semantics spelled out env by env), on every CPU path and
//! thread count; and per-env parameters against single-env batches.

use fusegym::envs::{Acrobot, CartPole, MountainCar, MountainCarContinuous, Pendulum, Reach3D};
use fusegym::record::Record;
use fusegym::rng::{seed_key, Rng};
use fusegym::{
    ActionSpace, Actions, Autoreset, Env, EnvConfig, Executor, ParamRanges, ParamSet, ParamValue, Serial, SimdPath, Threads, VecEnv,
};

/// One env of the reference: its state and what Gymnasium's vector wrapper tracks.
struct RefEnv<E: Env> {
    params: E::Params,
    env: u32,
    state: E::State<f32>,
    obs: E::Obs<f32>,
    elapsed: u32,
    episode: u32,
    /// Next-step: the env finished last step and resets on this one. Disabled: it is frozen.
    done: bool,
    terminated: bool,
    truncated: bool,
}

/// What the reference reports for one env and one step.
#[derive(Debug, PartialEq)]
struct RefOut {
    obs: Vec<u32>,
    reward: u32,
    terminated: bool,
    truncated: bool,
    final_obs: Option<Vec<u32>>,
}

fn bits<L: Record<f32>>(r: &L) -> Vec<u32> {
    let mut v = vec![];
    r.for_each(|_, x| v.push(x.to_bits()));
    v
}

impl<E: Env> RefEnv<E> {
    fn new(params: E::Params, env: u32, seed: u64) -> Self {
        let p = params.splat::<f32>();
        let state = E::reset(&p, &mut Rng::<f32>::new(seed_key(seed), env, 0));
        let obs = E::observe(&p, &state);
        RefEnv { params, env, state, obs, elapsed: 0, episode: 0, done: false, terminated: false, truncated: false }
    }

    fn start_next_episode(&mut self, seed: u64) {
        let p = self.params.splat::<f32>();
        self.episode += 1;
        self.state = E::reset(&p, &mut Rng::<f32>::new(seed_key(seed), self.env, self.episode));
        self.obs = E::observe(&p, &self.state);
        self.elapsed = 0;
    }

    fn step(&mut self, mode: Autoreset, action: &E::Action<f32>, seed: u64) -> RefOut {
        let p = self.params.splat::<f32>();
        let limit = self.params.max_episode_steps();
        if self.done && mode == Autoreset::NextStep {
            // Gymnasium NEXT_STEP: the action is ignored, the env resets, reward 0, no flags.
            self.start_next_episode(seed);
            self.done = false;
            return RefOut { obs: bits(&self.obs), reward: 0f32.to_bits(), terminated: false, truncated: false, final_obs: None };
        }
        if self.done && mode == Autoreset::Disabled {
            return RefOut {
                obs: bits(&self.obs),
                reward: 0f32.to_bits(),
                terminated: self.terminated,
                truncated: self.truncated,
                final_obs: None,
            };
        }
        let t = E::step(&p, &self.state, action);
        self.elapsed += 1;
        let truncated = self.elapsed == limit;
        let done = t.terminated || truncated;
        self.state = t.state;
        self.obs = E::observe(&p, &self.state);
        let reached = bits(&self.obs);
        let mut final_obs = None;
        match mode {
            Autoreset::SameStep if done => {
                final_obs = Some(reached);
                self.start_next_episode(seed);
            }
            _ => {
                self.done = done;
                self.terminated = t.terminated;
                self.truncated = truncated;
            }
        }
        RefOut { obs: bits(&self.obs), reward: t.reward.to_bits(), terminated: t.terminated, truncated, final_obs }
    }
}

/// Deterministic actions covering the whole space (and beyond, for boxes: the env clips).
fn actions(space: ActionSpace, n: usize, t: usize, salt: u32) -> (Vec<u32>, Vec<f32>) {
    let mut s = (t as u32).wrapping_mul(2_654_435_761) ^ salt;
    let mut next = || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        s >> 8
    };
    match space {
        ActionSpace::Discrete { n: k } => ((0..n).map(|_| next() % k).collect(), vec![]),
        ActionSpace::Box { dim, low, high } => {
            (vec![], (0..dim * n).map(|j| 1.2 * (low[j / n] + (high[j / n] - low[j / n]) * (next() as f32 / 16_777_216.0))).collect())
        }
    }
}

fn executors(pool: &Threads) -> Vec<(&'static str, &dyn Executor)> {
    vec![("serial", &Serial as &dyn Executor), ("threads", pool as &dyn Executor)]
}

/// Steps a batch and the reference side by side and compares every output.
fn batch_matches_reference<E: Env>(mode: Autoreset, params: E::Params, n: usize, steps: usize, seed: u64, pool: &Threads) {
    let id = E::SPEC.id;
    for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
        for (exec_name, exec) in executors(pool) {
            let mut env = VecEnv::<E>::builder(n).seed(seed).autoreset(mode).params(params).build().unwrap();
            env.set_simd_path(path).unwrap();
            let mut refs: Vec<RefEnv<E>> = (0..n).map(|i| RefEnv::new(params, i as u32, seed)).collect();
            let space = env.action_space();
            let ad = space.dim();
            let mut finished = 0usize;
            for t in 0..steps {
                let (disc, cont) = actions(space, n, t, 7);
                let acts = if space.is_discrete() { Actions::Discrete(&disc) } else { Actions::Continuous(&cont) };
                let v = env.step_with(acts, exec).unwrap();
                let od = v.obs.len() / n;
                let at = |i: usize| format!("{id} {} {path} {exec_name}: env {i} step {t}", mode.name());
                for (i, r) in refs.iter_mut().enumerate() {
                    let a = E::Action::<f32>::from_fn(|k| if space.is_discrete() { disc[i] as f32 } else { cont[k * n + i] });
                    let _ = ad;
                    let want = r.step(mode, &a, seed);
                    let got = RefOut {
                        obs: (0..od).map(|k| v.obs[k * n + i].to_bits()).collect(),
                        reward: v.reward[i].to_bits(),
                        terminated: v.terminated[i],
                        truncated: v.truncated[i],
                        final_obs: v.final_obs.get(i).map(|o| o.iter().map(|x| x.to_bits()).collect()),
                    };
                    assert_eq!(got, want, "{}", at(i));
                    finished += want.final_obs.is_some() as usize;
                }
                if mode == Autoreset::Disabled && (t + 1).is_multiple_of(97) {
                    // Restart the finished envs, as a user of the disabled mode does.
                    let mask: Vec<bool> = v.terminated.iter().zip(v.truncated).map(|(a, b)| *a || *b).collect();
                    env.reset_envs(&mask).unwrap();
                    for (i, r) in refs.iter_mut().enumerate().filter(|(i, _)| mask[*i]) {
                        let _ = i;
                        r.start_next_episode(seed);
                        r.done = false;
                    }
                }
            }
            let episodes: Vec<u32> = refs.iter().map(|r| r.episode).collect();
            assert_eq!(env.episodes(), &episodes[..], "{id} {} {path} {exec_name}: episode counters", mode.name());
            if mode == Autoreset::SameStep {
                assert!(finished > 0, "{id}: no episode finished; the test checks nothing about resets");
            }
        }
    }
}

fn every_mode<E: Env>(n: usize, steps: usize, params: E::Params, pool: &Threads) {
    for mode in Autoreset::ALL {
        batch_matches_reference::<E>(mode, params, n, steps, 5, pool);
    }
}

#[test]
fn every_mode_matches_the_per_env_reference_on_every_path_and_thread_count() {
    // Short time limits so every env finishes (and truncates) within the test.
    let pool = Threads::new(3).unwrap();
    let n = 133; // two 64-env blocks and a ragged tail
    every_mode::<CartPole>(n, 300, CartPoleParams { max_episode_steps: 40, ..Default::default() }, &pool);
    every_mode::<MountainCar>(n, 200, MountainCarParams { max_episode_steps: 30, ..Default::default() }, &pool);
    every_mode::<MountainCarContinuous>(n, 200, MountainCarContinuousParams { max_episode_steps: 30, ..Default::default() }, &pool);
    every_mode::<Pendulum>(n, 120, PendulumParams { max_episode_steps: 25, ..Default::default() }, &pool);
    every_mode::<Acrobot>(n, 120, AcrobotParams { max_episode_steps: 25, ..Default::default() }, &pool);
    every_mode::<Reach3D>(n, 120, Reach3DParams { max_episode_steps: 25, ..Default::default() }, &pool);
}

use fusegym::envs::{AcrobotParams, CartPoleParams, MountainCarContinuousParams, MountainCarParams, PendulumParams, Reach3DParams};

#[test]
fn next_step_mode_writes_no_final_observations() {
    let mut env = VecEnv::<CartPole>::builder(64).seed(1).autoreset(Autoreset::NextStep).build().unwrap();
    let a = vec![1u32; 64];
    let mut dones = 0;
    for _ in 0..100 {
        let v = env.step(Actions::Discrete(&a)).unwrap();
        assert!(v.final_obs.is_empty());
        dones += v.terminated.iter().filter(|&&d| d).count();
    }
    assert!(dones > 0);
}

#[test]
fn reset_continues_the_episode_stream_and_reset_with_seed_restarts_it() {
    let mut env = VecEnv::<CartPole>::new(8, 3).unwrap();
    let first = env.obs().to_vec();
    let second = env.reset().to_vec();
    assert_ne!(first, second, "a second reset() must start new episodes");
    assert_eq!(env.episodes(), &[1; 8]);
    let third = env.reset().to_vec();
    assert_ne!(second, third);
    assert_eq!(env.reset_with_seed(3).to_vec(), first, "reset(seed) restarts the stream");
    assert_eq!(env.episodes(), &[0; 8]);
    env.reset();
    assert_eq!(env.obs(), &second[..], "and continues it the same way");
}

#[test]
fn reset_envs_checks_the_mask_length() {
    let mut env = VecEnv::<CartPole>::builder(8).autoreset(Autoreset::Disabled).build().unwrap();
    assert!(env.reset_envs(&[true; 7]).is_err());
    let before = env.obs().to_vec();
    env.reset_envs(&[false, true, false, false, false, false, false, false]).unwrap();
    let n = 8;
    for k in 0..4 {
        for i in 0..n {
            if i == 1 {
                assert_ne!(env.obs()[k * n + i], before[k * n + i]);
            } else {
                assert_eq!(env.obs()[k * n + i], before[k * n + i]);
            }
        }
    }
    assert_eq!(env.episodes(), &[0, 1, 0, 0, 0, 0, 0, 0]);
}

/// Per-env values of some fields, in their valid ranges and different per env.
fn varied(n: usize, base: f32, spread: f32) -> Vec<f32> {
    (0..n).map(|i| base * (1.0 + spread * ((i * 37 % 23) as f32 / 23.0 - 0.5))).collect()
}

/// A batch with per-env parameters equals N one-env batches (shards at the same global index)
/// each built with its own shared parameters, bit for bit.
fn per_env_equals_single_batches<E: Env>(fields: &[&str], n: usize, steps: usize, mode: Autoreset) {
    let defaults = E::Params::default();
    let mut config = EnvConfig { autoreset: mode, ..EnvConfig::new(n, 9) };
    let mut columns = vec![];
    for name in fields {
        let k = E::Params::index_of(name).unwrap();
        let values = varied(n, defaults.get(k), 0.4);
        config.params.push((name.to_string(), ParamValue::PerEnv(values.clone())));
        columns.push((k, values));
    }
    for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
        let mut batch = VecEnv::<E>::from_config(E::Params::default(), &config).unwrap();
        batch.set_simd_path(path).unwrap();
        let mut singles: Vec<VecEnv<E>> = (0..n)
            .map(|i| {
                let mut p = defaults;
                for (k, values) in &columns {
                    p.set(*k, values[i]);
                }
                let cfg = EnvConfig { autoreset: mode, env_offset: i as u32, ..EnvConfig::new(1, 9) };
                VecEnv::<E>::from_config(p, &cfg).unwrap()
            })
            .collect();
        let space = batch.action_space();
        for t in 0..steps {
            let (disc, cont) = actions(space, n, t, 3);
            let acts = if space.is_discrete() { Actions::Discrete(&disc) } else { Actions::Continuous(&cont) };
            let v = batch.step(acts).unwrap();
            let od = v.obs.len() / n;
            for (i, single) in singles.iter_mut().enumerate() {
                let d = [disc.get(i).copied().unwrap_or(0)];
                let c: Vec<f32> = (0..space.dim()).map(|k| cont.get(k * n + i).copied().unwrap_or(0.0)).collect();
                let a = if space.is_discrete() { Actions::Discrete(&d) } else { Actions::Continuous(&c) };
                let s = single.step(a).unwrap();
                let ob: Vec<u32> = (0..od).map(|k| v.obs[k * n + i].to_bits()).collect();
                let sb: Vec<u32> = s.obs.iter().map(|x| x.to_bits()).collect();
                let at = format!("{} {path} env {i} step {t}", E::SPEC.id);
                assert_eq!(ob, sb, "{at}: obs");
                assert_eq!(v.reward[i].to_bits(), s.reward[0].to_bits(), "{at}: reward");
                assert_eq!((v.terminated[i], v.truncated[i]), (s.terminated[0], s.truncated[0]), "{at}: flags");
                assert_eq!(v.final_obs.get(i).map(<[f32]>::to_vec), s.final_obs.get(0).map(<[f32]>::to_vec), "{at}: final obs");
            }
        }
    }
}

#[test]
fn per_env_parameters_equal_single_env_batches_bit_for_bit() {
    let n = 70;
    per_env_equals_single_batches::<CartPole>(&["length", "masspole", "force_mag", "gravity", "reset_bound"], n, 200, Autoreset::SameStep);
    per_env_equals_single_batches::<MountainCar>(&["force", "gravity"], n, 150, Autoreset::NextStep);
    per_env_equals_single_batches::<MountainCarContinuous>(&["power", "max_action"], n, 150, Autoreset::SameStep);
    per_env_equals_single_batches::<Pendulum>(&["max_torque", "m", "l", "g"], n, 120, Autoreset::SameStep);
    per_env_equals_single_batches::<Acrobot>(&["link_mass_2", "link_length_1", "avail_torque_2"], n, 60, Autoreset::Disabled);
    per_env_equals_single_batches::<Reach3D>(
        &["gravity", "max_vel", "goal_threshold", "arena_half_width", "goal_margin"],
        n,
        60,
        Autoreset::SameStep,
    );
}

#[test]
fn ranged_parameters_are_the_same_on_every_path_and_shard() {
    // Both resetting modes: the wide paths start episodes in batches of queued envs, so the
    // redrawn parameters travel a different road than on the scalar path.
    let (n, cut) = (200, 128);
    for (redraw, autoreset) in [false, true].into_iter().flat_map(|r| [(r, Autoreset::SameStep), (r, Autoreset::NextStep)]) {
        let ranges = ParamRanges::new().range("length", 0.3, 0.9).range("masscart", 0.5, 2.0).redraw_each_episode(redraw);
        let config = |num_envs, env_offset| EnvConfig { env_offset, autoreset, ..EnvConfig::new(num_envs, 4).with_ranges(ranges.clone()) };
        let whole_config = config(n, 0);
        let mut reference: Option<(Vec<f32>, Vec<f32>, Vec<u32>)> = None;
        for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
            let mut whole = VecEnv::<CartPole>::from_config(Default::default(), &whole_config).unwrap();
            whole.set_simd_path(path).unwrap();
            let left_cfg = config(cut, 0);
            let right_cfg = config(n - cut, cut as u32);
            let mut left = VecEnv::<CartPole>::from_config(Default::default(), &left_cfg).unwrap();
            let mut right = VecEnv::<CartPole>::from_config(Default::default(), &right_cfg).unwrap();
            let lengths = whole.param_column("length").unwrap().to_vec();
            assert!(lengths.iter().all(|&l| (0.3..0.9).contains(&l)), "draws in range");
            assert!(lengths.windows(2).any(|w| w[0] != w[1]), "draws differ across envs");
            for t in 0..300 {
                let (a, _) = actions(ActionSpace::Discrete { n: 2 }, n, t, 11);
                whole.step(Actions::Discrete(&a)).unwrap();
                left.step(Actions::Discrete(&a[..cut])).unwrap();
                right.step(Actions::Discrete(&a[cut..])).unwrap();
            }
            let joined: Vec<f32> =
                left.param_column("length").unwrap().iter().chain(right.param_column("length").unwrap()).copied().collect();
            assert_eq!(whole.param_column("length").unwrap(), &joined[..], "{path}: shards draw the unsplit batch's values");
            if redraw {
                assert_ne!(whole.param_column("length").unwrap(), &lengths[..], "{path}: redrawn at resets");
            } else {
                assert_eq!(whole.param_column("length").unwrap(), &lengths[..], "{path}: fixed without redraw");
            }
            let obs: Vec<f32> = whole.obs().to_vec();
            let got = (whole.param_column("length").unwrap().to_vec(), obs, whole.episodes().to_vec());
            match &reference {
                None => reference = Some(got),
                Some(r) => assert!(*r == got, "{path}: differs from the first path"),
            }
        }
    }
}

#[test]
fn parameters_are_validated_with_the_field_named() {
    use fusegym::Error;
    let bad = |config: EnvConfig| VecEnv::<CartPole>::from_config(Default::default(), &config).err().expect("must be rejected").to_string();
    let with = |name: &str, v: ParamValue| EnvConfig { params: vec![(name.into(), v)], ..EnvConfig::new(4, 0) };
    assert!(bad(with("tau", ParamValue::Shared(f32::NAN))).contains("tau"));
    assert!(bad(with("tau", ParamValue::Shared(0.0))).contains("[0.0001, 1]"));
    assert!(bad(with("masspole", ParamValue::Shared(-1.0))).contains("masspole"));
    assert!(bad(with("length", ParamValue::PerEnv(vec![0.5, 0.5, f32::INFINITY, 0.5]))).contains("length"));
    assert!(bad(with("length", ParamValue::PerEnv(vec![0.5; 3]))).contains("one per env"));
    assert!(bad(with("length", ParamValue::Range { low: 0.9, high: 0.3 })).contains("low must not exceed high"));
    assert!(bad(with("length", ParamValue::Range { low: -0.1, high: 0.3 })).contains("valid"));
    let unknown = bad(with("lenght", ParamValue::Shared(1.0)));
    assert!(unknown.contains("lenght") && unknown.contains("length"), "{unknown}");
    // Typed parameters are validated too.
    let nan_tau = VecEnv::<CartPole>::with_params(CartPoleParams { tau: f32::NAN, ..Default::default() }, 4, 0);
    assert!(matches!(nan_tau.err(), Some(Error::InvalidParam { name: "tau", .. })));
    let neg_torque = VecEnv::<Pendulum>::with_params(PendulumParams { max_torque: -2.0, ..Default::default() }, 4, 0);
    assert!(matches!(neg_torque.err(), Some(Error::InvalidParam { name: "max_torque", .. })));
    // Box bounds and intervals must be ordered.
    let mc = VecEnv::<MountainCar>::with_params(MountainCarParams { min_position: 0.7, ..Default::default() }, 4, 0);
    assert!(matches!(mc.err(), Some(Error::ParamOrder { low: "min_position", high: "max_position", .. })));
    let mcc = VecEnv::<MountainCarContinuous>::with_params(MountainCarContinuousParams { min_action: 2.0, ..Default::default() }, 4, 0);
    assert!(matches!(mcc.err(), Some(Error::ParamOrder { low: "min_action", high: "max_action", .. })));
    let r3 = VecEnv::<Reach3D>::with_params(Reach3DParams { ceiling_z: -1.0, ..Default::default() }, 4, 0);
    assert!(matches!(r3.err(), Some(Error::ParamOrder { low: "ground_z", high: "ceiling_z", .. })));
    // Per-env values are checked against the order env by env.
    let cfg = EnvConfig {
        params: vec![
            ("min_position".into(), ParamValue::PerEnv(vec![-1.2, -1.2, 0.65, -1.2])),
            ("max_position".into(), ParamValue::PerEnv(vec![0.6, 0.6, 0.6, 0.6])),
        ],
        ..EnvConfig::new(4, 0)
    };
    assert!(matches!(VecEnv::<MountainCar>::from_config(Default::default(), &cfg).err(), Some(Error::ParamOrder { .. })));
}

/// Issue 28, round two: single fields inside their old ranges (`(0, inf)`, `[0, inf)`) that
/// made a step NaN or inf with no error. Each is now outside its bounded range, through every
/// way a configuration is given (typed, shared by name, per env, a range end; `--param` and the
/// wasm package's `params` build the same `EnvConfig`).
#[test]
fn parameters_that_were_valid_on_paper_and_nan_in_practice_are_out_of_range() {
    use fusegym::{make_with, Error};
    let cases: [(&str, &str, f32); 6] = [
        ("CartPole-v1", "length", 1e-45),
        ("CartPole-v1", "length", 1e-38),
        ("CartPole-v1", "force_mag", 3.4e38),
        ("Pendulum-v1", "dt", 1e20),
        ("Pendulum-v1", "x_init", 1e20),
        ("Acrobot-v1", "g", 1e20),
    ];
    for (id, name, value) in cases {
        let default = fusegym::info(id).unwrap().params.iter().find(|f| f.name == name).unwrap().default;
        let forms = [
            ParamValue::Shared(value),
            ParamValue::PerEnv(vec![default, value, default, default]),
            ParamValue::Range { low: default.min(value), high: default.max(value) },
        ];
        for form in forms {
            let config = EnvConfig { params: vec![(name.into(), form.clone())], ..EnvConfig::new(4, 0) };
            match make_with(id, &config).err() {
                Some(Error::InvalidParam { name: n, .. }) | Some(Error::ParamRange { name: n, .. }) if n == name => {}
                other => panic!("{id} {name} = {value} as {form:?}: {other:?}"),
            }
            let gpu_check = (fusegym::info(id).unwrap().check_config)(&config);
            assert!(gpu_check.is_err(), "{id} {name} = {value}: the GPU's check accepts it");
        }
    }
    let typed = VecEnv::<CartPole>::with_params(CartPoleParams { length: 1e-45, ..Default::default() }, 4, 0);
    let e = typed.err().unwrap();
    assert!(matches!(e, Error::InvalidParam { name: "length", .. }));
    assert_eq!(e.to_string(), "CartPole-v1: parameter length = 1e-45 is outside its valid range [0.01, 10]");
    let typed = VecEnv::<Pendulum>::with_params(PendulumParams { dt: 1e20, ..Default::default() }, 4, 0);
    assert!(matches!(typed.err(), Some(Error::InvalidParam { name: "dt", .. })));
    // A goal margin that leaves no room between ground and ceiling (goals were drawn above the
    // ceiling, and with a tiny arena height the observation divided by it was inf).
    let r3 = VecEnv::<Reach3D>::with_params(Reach3DParams { ceiling_z: 1.0, goal_margin: 0.5, ..Default::default() }, 4, 0);
    match r3.err() {
        Some(e @ Error::ParamOrder { low: "ground_z + 2 goal_margin", high: "ceiling_z", .. }) => {
            assert!(e.to_string().contains("ground_z + 2 goal_margin < ceiling_z"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let tiny = EnvConfig {
        params: vec![("ceiling_z".into(), ParamValue::Shared(1e-38)), ("goal_margin".into(), ParamValue::Range { low: 0.0, high: 0.5 })],
        ..EnvConfig::new(4, 0)
    };
    assert!(matches!(make_with("Reach3D-v1", &tiny).err(), Some(Error::ParamOrder { .. })));
    let per_env = EnvConfig {
        params: vec![
            ("goal_margin".into(), ParamValue::PerEnv(vec![0.5, 0.5, 2.5, 0.5])),
            ("arena_half_width".into(), ParamValue::Shared(10.0)),
        ],
        ..EnvConfig::new(4, 0)
    };
    match make_with("Reach3D-v1", &per_env).err() {
        Some(Error::ParamOrder { low_value, high_value, .. }) => assert_eq!((low_value, high_value), (5.0, 5.0)),
        other => panic!("{other:?}"),
    }
}

/// Issue 28, round two: finite but huge states stepped into NaN or inf with `Ok`. Each env
/// declares a range per state component (`Env::STATE_VALID`); outside it `set_env_state` is
/// `Error::InvalidState` naming the component, its value and the range.
#[test]
fn huge_finite_states_are_rejected_with_the_component_named() {
    use fusegym::{make, Error};
    let mut p = make("Pendulum-v1", 2, 0).unwrap();
    for theta in [1e10f32, -1e10, 65_536.5] {
        match p.set_env_state(0, &[theta, 0.0], 0) {
            Err(e @ Error::InvalidState { env: "Pendulum-v1", name: "theta", index: 0, .. }) => {
                assert!(e.to_string().contains("[-65536, 65536]"), "{e}")
            }
            other => panic!("theta = {theta}: {other:?}"),
        }
    }
    p.set_env_state(0, &[65_536.0, 0.0], 0).unwrap();
    for info in fusegym::ENVS {
        let mut env = make(info.id, 2, 0).unwrap();
        for k in 0..info.state_names.len() {
            let mut s = vec![0.0; info.state_names.len()];
            s[k] = 1e30;
            match env.set_env_state(1, &s, 0) {
                Err(Error::InvalidState { name, index, .. }) => assert_eq!((name, index), (info.state_names[k], k)),
                other => panic!("{} {} = 1e30: {other:?}", info.id, info.state_names[k]),
            }
        }
    }
}

#[test]
fn a_parameter_given_twice_is_an_error_naming_it_in_any_mix_of_forms() {
    use fusegym::Error;
    let forms = [ParamValue::Shared(0.5), ParamValue::PerEnv(vec![0.5; 4]), ParamValue::Range { low: 0.4, high: 0.6 }];
    for first in &forms {
        for second in &forms {
            let cfg = EnvConfig {
                params: vec![("length".into(), first.clone()), ("tau".into(), ParamValue::Shared(0.02)), ("length".into(), second.clone())],
                ..EnvConfig::new(4, 0)
            };
            let e = VecEnv::<CartPole>::from_config(Default::default(), &cfg).err().expect("a duplicate must be rejected");
            assert_eq!(e, Error::DuplicateParam { env: "CartPole-v1", name: "length" }, "{first:?} then {second:?}");
            assert!(e.to_string().contains("length") && e.to_string().contains("more than once"), "{e}");
            // The dynamic constructor and the check the GPU backend runs say the same.
            assert_eq!(fusegym::make_with("CartPole-v1", &cfg).err(), Some(e.clone()));
            let info = fusegym::info("CartPole-v1").unwrap();
            assert_eq!((info.check_config)(&cfg).err(), Some(e));
        }
    }
    // The typed builders: the same field twice, through `param` or `ParamRanges::range`.
    let e = VecEnv::<CartPole>::builder(4).param("length", 1.0).param("length", 2.0).build().err();
    assert_eq!(e, Some(Error::DuplicateParam { env: "CartPole-v1", name: "length" }));
    let ranges = ParamRanges::new().range("length", 0.4, 0.6).range("length", 0.5, 0.7);
    let e = VecEnv::<CartPole>::builder(4).ranges(ranges).build().err();
    assert_eq!(e, Some(Error::DuplicateParam { env: "CartPole-v1", name: "length" }));
    // Distinct fields are fine.
    VecEnv::<CartPole>::builder(4).param("length", 1.0).param_range("tau", 0.01, 0.02).build().unwrap();
}

#[test]
fn every_params_struct_has_the_layout_wgsl_gives_it() {
    // WGSL's storage layout for a struct of f32/u32 members: each member 4-byte aligned at the
    // next multiple of 4, size rounded up to the struct's alignment (4). The declared fields come
    // first, in order, then `max_episode_steps`.
    fn check<E: Env>() {
        let fields = E::Params::FIELDS;
        let p = E::Params::default();
        let bytes: &[u8] = bytemuck::bytes_of(&p);
        assert_eq!(bytes.len(), 4 * (fields.len() + 1), "{}", E::SPEC.id);
        for (k, f) in fields.iter().enumerate() {
            let at = f32::from_le_bytes(bytes[4 * k..4 * k + 4].try_into().unwrap());
            assert_eq!(at.to_bits(), f.default.to_bits(), "{}: {} at offset {}", E::SPEC.id, f.name, 4 * k);
        }
        let limit = u32::from_le_bytes(bytes[4 * fields.len()..].try_into().unwrap());
        assert_eq!(limit, p.max_episode_steps(), "{}", E::SPEC.id);
    }
    check::<CartPole>();
    check::<MountainCar>();
    check::<MountainCarContinuous>();
    check::<Pendulum>();
    check::<Acrobot>();
    check::<Reach3D>();
}

#[test]
fn without_a_time_limit_the_step_count_saturates_below_the_flag_bits() {
    // Pendulum never terminates; with no time limit its count must not run into the bits that
    // mark a finished episode (next-step mode would then reset it).
    for mode in Autoreset::ALL {
        let mut env = VecEnv::<Pendulum>::builder(2).autoreset(mode).max_episode_steps(0).build().unwrap();
        let last = fusegym::params::MAX_EPISODE_STEPS_LIMIT;
        env.set_env_state(0, &[0.1, 0.0], last - 1).unwrap();
        for _ in 0..3 {
            let v = env.step(Actions::Continuous(&[0.0, 0.0])).unwrap();
            assert!(!v.terminated[0] && !v.truncated[0], "{}", mode.name());
        }
        assert_eq!(env.elapsed()[0], last, "{}: saturated", mode.name());
        assert_eq!(env.elapsed()[1], 3);
        assert_eq!(env.episodes(), &[0, 0], "{}: no reset", mode.name());
    }
}

#[test]
fn hostile_inputs_get_typed_errors() {
    use fusegym::{make_shard, Error};
    // A shard at the end of the 32-bit index space: the message says why nothing fits.
    let e = make_shard("CartPole-v1", 1, u32::MAX, 0).err().unwrap();
    assert!(matches!(e, Error::NumEnvs { num_envs: 1, max: 0, env_offset: u32::MAX }), "{e}");
    assert!(e.to_string().contains("env_offset 4294967295") && e.to_string().contains("below 2^32"), "{e}");
    // Non-finite or absurd states are rejected (CartPole would otherwise run 500 NaN steps).
    let mut env = VecEnv::<CartPole>::new(4, 0).unwrap();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        assert!(matches!(env.set_env_state(1, &[0.0, bad, 0.0, 0.0], 0), Err(Error::NonFinite { what: "state", index: 1 })));
    }
    // Actions whose square would overflow f32 in MountainCarContinuous's cost.
    let mut mcc = VecEnv::<MountainCarContinuous>::new(2, 0).unwrap();
    let e = mcc.step(Actions::Continuous(&[0.5, 2e19])).err().unwrap();
    assert!(matches!(e, Error::NonFiniteAction { index: 1, .. }), "{e}");
    let v = mcc.step(Actions::Continuous(&[0.5, 1e18])).unwrap();
    assert!(v.reward.iter().all(|r| r.is_finite()), "largest accepted action keeps the reward finite");
    let e = mcc.rollout(3, fusegym::Policy::Constant(&[1e30]), None).err().unwrap();
    assert!(matches!(e, Error::NonFiniteAction { .. }), "{e}");
}

/// Hands out a range past the end of the batch.
struct Overrun;
// SAFETY (of the test): deliberately breaks the contract; the core must catch it.
unsafe impl Executor for Overrun {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        job(0, len + 64)
    }
}

/// Hands out a range that does not start at a multiple of 64.
struct Unaligned;
// SAFETY (of the test): as above.
unsafe impl Executor for Unaligned {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        job(0, 3);
        job(3, len);
    }
}

/// Runs no range at all (and returns as if it had).
struct Idle;
// SAFETY (of the test): deliberately breaks the contract; the core must catch it.
unsafe impl Executor for Idle {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, _len: usize, _job: &(dyn Fn(usize, usize) + Sync)) {}
}

/// Splits the batch in two and runs only the first half.
struct FirstHalf;
// SAFETY (of the test): as above.
unsafe impl Executor for FirstHalf {
    fn threads(&self) -> usize {
        2
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        job(0, fusegym::exec::split(len, 2, 0).1)
    }
}

#[test]
fn an_executor_that_leaves_envs_out_is_an_error_not_a_silent_ok() {
    use fusegym::{Error, Policy};
    let mut env = VecEnv::<CartPole>::new(200, 0).unwrap();
    let a = vec![0u32; 200];
    let before = env.state().to_vec();
    let e = env.step_with(Actions::Discrete(&a), &Idle).expect_err("no env was stepped");
    assert_eq!(e, Error::ExecutorCoverage { covered: 0, len: 200 });
    assert!(e.to_string().contains("covered 0") && e.to_string().contains("reset"), "{e}");
    let e = env.step_with(Actions::Discrete(&a), &FirstHalf).expect_err("half the envs were not stepped");
    assert_eq!(e, Error::ExecutorCoverage { covered: 128, len: 200 });
    // The action check runs on the executor before the step, so neither call stepped anything.
    assert_eq!(env.state(), &before[..]);
    assert_eq!(env.elapsed(), vec![0; 200]);
    for (exec, covered) in [(&Idle as &dyn Executor, 0), (&FirstHalf, 128)] {
        let e = env.rollout_with(5, Policy::Random, None, exec).expect_err("a rollout that left envs out");
        assert_eq!(e, Error::ExecutorCoverage { covered, len: 200 });
        let e = env.rollout_with(1, Policy::Random, None, exec).expect_err("a one-step rollout too");
        assert_eq!(e, Error::ExecutorCoverage { covered, len: 200 });
    }
    // An honest executor still works on the same batch after a reset.
    env.reset();
    env.step_with(Actions::Discrete(&a), &Serial).unwrap();
}

#[test]
fn an_executor_that_breaks_its_contract_is_an_error_not_a_write_out_of_bounds() {
    use fusegym::{Error, Policy};
    let mut env = VecEnv::<CartPole>::new(100, 0).unwrap();
    let a = vec![0u32; 100];
    let e = env.step_with(Actions::Discrete(&a), &Overrun).err().unwrap();
    assert!(matches!(e, Error::Executor { start: 0, end: 164, len: 100 }), "{e}");
    let e = env.step_with(Actions::Discrete(&a), &Unaligned).err().unwrap();
    assert!(matches!(e, Error::Executor { start: 3, .. }), "{e}");
    let e = env.rollout_with(5, Policy::Random, None, &Overrun).err().unwrap();
    assert!(matches!(e, Error::Executor { .. }), "{e}");
}

/// A batch that cannot be allocated is a typed error, not an abort: the test runs itself again
/// in a child process under an address-space limit (`ulimit -v`, 2 GiB) and asks there for 200
/// million CartPole envs (about 15 GiB); the child must get `Error::Alloc` and exit normally.
#[test]
fn a_batch_too_large_for_the_address_space_is_an_alloc_error_not_an_abort() {
    const CHILD: &str = "FUSEGYM_ALLOC_CHILD";
    if std::env::var_os(CHILD).is_some() {
        for mode in Autoreset::ALL {
            let cfg = EnvConfig { autoreset: mode, ..EnvConfig::new(200_000_000, 0) };
            match fusegym::make_with("CartPole-v1", &cfg) {
                Err(e @ fusegym::Error::Alloc { .. }) => println!("child: {mode:?}: {e}"),
                Err(e) => panic!("{mode:?}: expected Error::Alloc, got {e}"),
                Ok(_) => panic!("{mode:?}: 200 million envs fit in 2 GiB of address space?"),
            }
        }
        // The lazily allocated dense final observations (160 MB here) of a batch that did fit,
        // once the rest of the address space is taken (reserved, never touched) by 64 MiB blocks.
        let mut env = VecEnv::<CartPole>::new(10_000_000, 0).unwrap();
        let mut ballast: Vec<Vec<u8>> = Vec::with_capacity(64);
        loop {
            let mut block = Vec::new();
            if block.try_reserve_exact(64 << 20).is_err() {
                break;
            }
            ballast.push(block);
        }
        let dense = env.final_obs_dense().map(|d| d.len());
        drop(ballast);
        match dense {
            Err(e @ fusegym::Error::Alloc { .. }) => println!("child: final_obs_dense: {e}"),
            other => panic!("expected Error::Alloc, got {other:?}"),
        }
        println!("child: done");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" --exact a_batch_too_large_for_the_address_space_is_an_alloc_error_not_an_abort --nocapture --test-threads 1")
        .arg(&exe)
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "child failed ({:?}):\n{text}", out.status);
    assert!(text.contains("could not allocate") && text.contains("child: done"), "{text}");
}
