//! A rollout computes exactly what stepping one step at a time with the same actions computes,
//! on every lane type and however the batch is chunked; its statistics add up; its random
//! policy behaves like a random policy driven through the step API.

use fusegym_core::{make, ActionSpace, Actions, DynVecEnv, Executor, Policy, Serial, SimdPath, Trajectory, ENV_IDS};

const N: usize = 75; // a ragged tail for every lane width
const T: usize = 600;

struct Recorded {
    obs: Vec<f32>,
    actions: Vec<f32>,
    rewards: Vec<f32>,
    terminated: Vec<u8>,
    truncated: Vec<u8>,
}

impl Recorded {
    fn new(env: &dyn DynVecEnv, steps: usize) -> Self {
        let n = env.num_envs();
        Recorded {
            obs: vec![0.0; steps * env.obs_dim() * n],
            actions: vec![0.0; steps * env.action_dim() * n],
            rewards: vec![0.0; steps * n],
            terminated: vec![0; steps * n],
            truncated: vec![0; steps * n],
        }
    }
    fn trajectory(&mut self) -> Trajectory<'_> {
        Trajectory {
            obs: &mut self.obs,
            actions: &mut self.actions,
            rewards: &mut self.rewards,
            terminated: &mut self.terminated,
            truncated: &mut self.truncated,
        }
    }
}

struct Scrambled;
// SAFETY: aligned, disjoint ranges covering `0..len`, all run before `run` returns.
unsafe impl Executor for Scrambled {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        for (a, b) in [(64.min(len), len), (0, 64.min(len))] {
            if a < b {
                job(a, b);
            }
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Replays `rec` through `step` on a fresh batch and checks every recorded output and the
/// rollout statistics against it.
fn replay_matches(id: &str, seed: u64, rec: &Recorded, rolled: &dyn DynVecEnv, sums: (&[f64], &[u64], &[u64])) {
    let mut env = make(id, N, seed).unwrap();
    let (od, ad) = (env.obs_dim(), env.action_dim());
    let discrete = env.action_space().is_discrete();
    // The documented accumulation: f32 partial sums of 256 steps, added into f64.
    let (mut reward_sum, mut partial) = (vec![0f64; N], vec![0f32; N]);
    let (mut exact, mut magnitude) = (vec![0f64; N], vec![0f64; N]);
    let mut episodes = vec![0u64; N];
    let mut length_sum = vec![0u64; N];
    let mut lengths = vec![0u32; N];
    for t in 0..T {
        assert_eq!(bits(env.view().obs), bits(&rec.obs[t * od * N..(t + 1) * od * N]), "{id}: obs before step {t}");
        let a = &rec.actions[t * ad * N..(t + 1) * ad * N];
        let disc: Vec<u32> = a.iter().map(|x| *x as u32).collect();
        let v = env.step(if discrete { Actions::Discrete(&disc) } else { Actions::Continuous(a) }).unwrap();
        assert_eq!(bits(v.reward), bits(&rec.rewards[t * N..(t + 1) * N]), "{id}: reward at step {t}");
        for i in 0..N {
            assert_eq!(v.terminated[i] as u8, rec.terminated[t * N + i], "{id}: terminated at step {t}");
            assert_eq!(v.truncated[i] as u8, rec.truncated[t * N + i], "{id}: truncated at step {t}");
            partial[i] += v.reward[i];
            if (t + 1).is_multiple_of(256) {
                reward_sum[i] += partial[i] as f64;
                partial[i] = 0.0;
            }
            exact[i] += v.reward[i] as f64;
            magnitude[i] += (v.reward[i] as f64).abs();
            lengths[i] += 1;
            if v.terminated[i] || v.truncated[i] {
                episodes[i] += 1;
                length_sum[i] += lengths[i] as u64;
                lengths[i] = 0;
            }
        }
    }
    assert_eq!(bits(env.view().obs), bits(rolled.view().obs), "{id}: final observations");
    assert_eq!(bits(env.state()), bits(rolled.state()), "{id}: final states");
    assert_eq!(env.episodes(), rolled.episodes(), "{id}: episode counters");
    let chunked: Vec<u64> = reward_sum.iter().zip(&partial).map(|(s, p)| (s + *p as f64).to_bits()).collect();
    assert_eq!(chunked, sums.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), "{id}: reward sums");
    // The documented bound: a partial sum of 256 f32 additions is off by at most 256 roundings.
    for ((got, want), m) in sums.0.iter().zip(&exact).zip(&magnitude) {
        assert!((got - want).abs() <= 256.0 * f32::EPSILON as f64 * m, "{id}: reward sum {got} vs exact {want}");
    }
    assert_eq!(episodes, sums.1, "{id}: episode counts");
    assert_eq!(length_sum, sums.2, "{id}: length sums");
}

fn policies(env: &dyn DynVecEnv) -> Vec<(&'static str, Vec<f32>, Vec<f32>)> {
    // (name, weights-or-constant, bias)
    let od = env.obs_dim();
    let outs = match env.action_space() {
        ActionSpace::Discrete { n } => n as usize,
        ActionSpace::Box { dim, .. } => dim,
    };
    let w = |k: usize| ((k * 37 % 17) as f32 - 8.0) * 0.25;
    let constant = match env.action_space() {
        ActionSpace::Discrete { n } => vec![(n - 1) as f32],
        ActionSpace::Box { dim, high, .. } => high[..dim].to_vec(),
    };
    vec![
        ("random", vec![], vec![]),
        ("constant", constant, vec![]),
        ("linear-shared", (0..outs * od).map(w).collect(), (0..outs).map(|k| w(k + 3)).collect()),
        ("linear-per-env", (0..outs * od * N).map(w).collect(), (0..outs * N).map(|k| w(k + 5)).collect()),
    ]
}

fn policy<'a>(name: &str, a: &'a [f32], b: &'a [f32]) -> Policy<'a> {
    match name {
        "random" => Policy::Random,
        "constant" => Policy::Constant(a),
        _ => Policy::Linear { weights: a, bias: b },
    }
}

#[test]
fn rollout_equals_stepping_with_the_same_actions_on_every_path() {
    for id in ENV_IDS {
        let probe = make(id, N, 0).unwrap();
        for (name, a, b) in policies(probe.as_ref()) {
            for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                for exec in [&Serial as &dyn Executor, &Scrambled] {
                    let mut env = make(id, N, 21).unwrap();
                    env.set_simd_path(path).unwrap();
                    let mut rec = Recorded::new(env.as_ref(), T);
                    let stats = env.rollout_with(T, policy(name, &a, &b), Some(rec.trajectory()), exec).unwrap();
                    let sums = (stats.reward_sum.to_vec(), stats.episodes.to_vec(), stats.length_sum.to_vec());
                    replay_matches(id, 21, &rec, env.as_ref(), (&sums.0, &sums.1, &sums.2));
                }
            }
        }
    }
}

#[test]
fn rollouts_in_pieces_equal_one_long_rollout() {
    for id in ENV_IDS {
        let mut whole = make(id, N, 4).unwrap();
        let mut parts = make(id, N, 4).unwrap();
        whole.rollout_with(300, Policy::Random, None, &Serial).unwrap();
        for _ in 0..3 {
            parts.rollout_with(100, Policy::Random, None, &Serial).unwrap();
        }
        assert_eq!(bits(whole.state()), bits(parts.state()), "{id}");
        assert_eq!(whole.episodes(), parts.episodes(), "{id}");
    }
}

#[test]
fn random_policy_statistics_match_random_actions_through_step() {
    // Mean episode length of the on-device random policy vs. uniformly random host actions
    // (another generator) through `step`: same distribution, so the means agree within a few
    // standard errors.
    for id in ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"] {
        let n = 2048;
        let steps = 1500;
        let mut env = make(id, n, 8).unwrap();
        let stats = env.rollout_with(steps, Policy::Random, None, &Serial).unwrap();
        let (eps, len): (u64, u64) = (stats.episodes.iter().sum(), stats.length_sum.iter().sum());
        let rollout_mean = len as f64 / eps as f64;

        let mut env = make(id, n, 9).unwrap();
        let space = env.action_space();
        let mut s = 0x1234_5678u64;
        let mut lengths = vec![0u64; n];
        let mut done_lengths = vec![];
        for _ in 0..steps {
            let mut next = || {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (s >> 40) as u32
            };
            let (disc, cont): (Vec<u32>, Vec<f32>) = match space {
                ActionSpace::Discrete { n: k } => ((0..n).map(|_| next() % k).collect(), vec![]),
                ActionSpace::Box { low, high, .. } => {
                    (vec![], (0..n).map(|_| low[0] + (high[0] - low[0]) * (next() as f32 / 16_777_216.0)).collect())
                }
            };
            let v = env.step(if space.is_discrete() { Actions::Discrete(&disc) } else { Actions::Continuous(&cont) }).unwrap();
            for (i, len) in lengths.iter_mut().enumerate() {
                *len += 1;
                if v.terminated[i] || v.truncated[i] {
                    done_lengths.push(*len as f64);
                    *len = 0;
                }
            }
        }
        let m = done_lengths.iter().sum::<f64>() / done_lengths.len() as f64;
        let var = done_lengths.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (done_lengths.len() - 1) as f64;
        let se = (var / done_lengths.len() as f64 + var / eps as f64).sqrt();
        assert!((rollout_mean - m).abs() <= 5.0 * se + 1e-9, "{id}: rollout mean length {rollout_mean}, step API {m} (se {se})");
        assert!(eps as usize > n, "{id}: too few episodes to compare");
    }
}

#[test]
fn bad_policies_are_rejected_with_the_exact_error() {
    use fusegym_core::Error;
    let mut env = make("CartPole-v1", 16, 0).unwrap();
    let e = env.rollout_with(10, Policy::Linear { weights: &[0.0; 7], bias: &[0.0; 2] }, None, &Serial).unwrap_err();
    assert!(matches!(e, Error::Length { expected: 8, got: 7, .. }), "{e}");
    let mut w = vec![0.0; 8];
    w[3] = f32::NAN;
    let e = env.rollout_with(10, Policy::Linear { weights: &w, bias: &[0.0; 2] }, None, &Serial).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 3, .. }), "{e}");
    let e = env.rollout_with(10, Policy::Constant(&[2.0]), None, &Serial).unwrap_err();
    assert!(matches!(e, Error::DiscreteValue { value: 2.0, n: 2, .. }), "{e}");
    let e = env.rollout_with(10, Policy::Constant(&[0.5]), None, &Serial).unwrap_err();
    assert!(matches!(e, Error::DiscreteValue { value: 0.5, .. }), "{e}");
    assert!(e.to_string().contains("0.5 must be an integer"), "{e}");
    // A trajectory length that wraps usize must not pass the length check (it wrote out of
    // bounds before the check used checked arithmetic).
    let mut rec = Recorded::new(env.as_ref(), 1);
    let e = env.rollout_with((1usize << 62) + 1, Policy::Random, Some(rec.trajectory()), &Serial).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. } | Error::Length { .. }), "{e}");
    let mut rec = Recorded::new(env.as_ref(), 9);
    let e = env.rollout_with(10, Policy::Random, Some(rec.trajectory()), &Serial).unwrap_err();
    assert!(matches!(e, Error::Length { what: "trajectory obs", .. }), "{e}");
}

#[test]
fn trajectory_lengths_are_checked_without_wrapping() {
    // 4 CartPole envs, buffers for one step: with wrapping arithmetic, steps = 2^62 + 1 gives
    // steps * obs_dim * n = 16 (mod 2^64), the length of these buffers, and the rollout wrote
    // out of bounds.
    use fusegym_core::{envs::CartPole, Error, Trajectory, VecEnv};
    let mut env = VecEnv::<CartPole>::new(4, 0).unwrap();
    let (mut obs, mut actions, mut rewards) = (vec![0.0; 16], vec![0.0; 4], vec![0.0; 4]);
    let (mut terminated, mut truncated) = (vec![0u8; 4], vec![0u8; 4]);
    let t =
        Trajectory { obs: &mut obs, actions: &mut actions, rewards: &mut rewards, terminated: &mut terminated, truncated: &mut truncated };
    let e = env.rollout((1usize << 62) + 1, Policy::Random, Some(t)).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

#[test]
fn long_rollouts_keep_count_of_their_rewards() {
    // MountainCar pays -1 per step; an f32 running sum stops changing at -2^24 = -16,777,216.
    use fusegym_core::{envs::MountainCar, VecEnv};
    let mut env = VecEnv::<MountainCar>::new(1, 0).unwrap();
    let steps = 20_000_000;
    let stats = env.rollout(steps, Policy::Constant(&[1.0]), None).unwrap();
    assert_eq!(stats.reward_sum[0], -(steps as f64));
    // A car that never pushes never reaches the goal: every episode is truncated at 200 steps.
    assert_eq!(stats.episodes[0], (steps / 200) as u64);
    assert_eq!(stats.length_sum[0], steps as u64);
}
