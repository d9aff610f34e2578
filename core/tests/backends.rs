//! Every lane type gives the same bits as the scalar reference, for every env, over 10,000
//! steps with random actions and the resets they cause; shards equal the unsplit batch; the
//! way a batch is split into chunks does not matter.

use fusegym_core::{make, make_shard, ActionSpace, Actions, DynVecEnv, Executor, SimdPath, ENV_IDS};

/// Deterministic test actions (independent of the library's RNG): a 64-bit LCG.
struct ActionGen(u64);
impl ActionGen {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    /// One batch of actions; continuous ones also go past the bounds (clipping is tested too).
    fn fill(&mut self, space: ActionSpace, n: usize, disc: &mut Vec<u32>, cont: &mut Vec<f32>) {
        match space {
            ActionSpace::Discrete { n: k } => {
                disc.clear();
                disc.extend((0..n).map(|_| self.next() % k));
            }
            ActionSpace::Box { dim, low, high } => {
                cont.clear();
                for d in 0..dim {
                    for _ in 0..n {
                        let u = self.next() as f32 / u32::MAX as f32;
                        cont.push(low[d] + (high[d] - low[d]) * (1.4 * u - 0.2));
                    }
                }
            }
        }
    }
}

fn actions<'a>(space: ActionSpace, disc: &'a [u32], cont: &'a [f32]) -> Actions<'a> {
    if space.is_discrete() {
        Actions::Discrete(disc)
    } else {
        Actions::Continuous(cont)
    }
}

/// Every output of a step, as bits.
fn snapshot(env: &dyn DynVecEnv) -> Vec<u32> {
    let v = env.view();
    let mut out: Vec<u32> = v.obs.iter().map(|x| x.to_bits()).collect();
    out.extend(v.reward.iter().map(|x| x.to_bits()));
    out.extend(v.terminated.iter().map(|&b| b as u32));
    out.extend(v.truncated.iter().map(|&b| b as u32));
    // The packed final observations, with their env indices.
    for (i, o) in v.final_obs.iter() {
        out.push(i as u32);
        out.extend(o.iter().map(|x| x.to_bits()));
    }
    out.extend(env.state().iter().map(|x| x.to_bits()));
    out.extend(env.episodes());
    out
}

const N: usize = 203; // not a multiple of any lane width: exercises the scalar tail
const STEPS: usize = 10_000;

#[test]
fn every_simd_path_matches_scalar_bit_for_bit() {
    for id in ENV_IDS {
        let paths: Vec<SimdPath> = SimdPath::ALL.into_iter().filter(|p| p.is_available()).collect();
        let mut envs: Vec<Box<dyn DynVecEnv>> = paths
            .iter()
            .map(|&p| {
                let mut e = make(id, N, 7).unwrap();
                e.set_simd_path(p).unwrap();
                e
            })
            .collect();
        let space = envs[0].action_space();
        let mut gen = ActionGen(1);
        let (mut disc, mut cont) = (Vec::new(), Vec::new());
        let mut dones = 0usize;
        for t in 0..STEPS {
            gen.fill(space, N, &mut disc, &mut cont);
            for e in envs.iter_mut() {
                e.step(actions(space, &disc, &cont)).unwrap();
            }
            let reference = snapshot(envs[0].as_ref());
            for (e, p) in envs.iter().zip(&paths).skip(1) {
                assert!(snapshot(e.as_ref()) == reference, "{id}: {p} differs from scalar at step {t}");
            }
            let v = envs[0].view();
            dones += v.terminated.iter().zip(v.truncated).filter(|(a, b)| **a || **b).count();
        }
        assert!(dones > 0, "{id}: no episode ended in {STEPS} steps; resets were not exercised");
    }
}

#[test]
fn shards_reproduce_the_unsplit_batch() {
    for id in ENV_IDS {
        let mut whole = make(id, N, 99).unwrap();
        let cut = 77;
        let mut left = make_shard(id, cut, 0, 99).unwrap();
        let mut right = make_shard(id, N - cut, cut as u32, 99).unwrap();
        let space = whole.action_space();
        let dim = space.dim();
        let mut gen = ActionGen(5);
        let (mut disc, mut cont) = (Vec::new(), Vec::new());
        for _ in 0..2_000 {
            gen.fill(space, N, &mut disc, &mut cont);
            // Split feature-major actions column by column.
            let (mut dl, mut dr, mut cl, mut cr) = (vec![], vec![], vec![], vec![]);
            for k in 0..dim {
                if space.is_discrete() {
                    dl.extend_from_slice(&disc[k * N..k * N + cut]);
                    dr.extend_from_slice(&disc[k * N + cut..(k + 1) * N]);
                } else {
                    cl.extend_from_slice(&cont[k * N..k * N + cut]);
                    cr.extend_from_slice(&cont[k * N + cut..(k + 1) * N]);
                }
            }
            whole.step(actions(space, &disc, &cont)).unwrap();
            left.step(actions(space, &dl, &cl)).unwrap();
            right.step(actions(space, &dr, &cr)).unwrap();
            let (w, l, r) = (whole.view(), left.view(), right.view());
            let od = whole.obs_dim();
            for k in 0..od {
                assert_eq!(&w.obs[k * N..k * N + cut], &l.obs[k * cut..(k + 1) * cut], "{id}: left shard obs");
                assert_eq!(&w.obs[k * N + cut..(k + 1) * N], &r.obs[k * (N - cut)..(k + 1) * (N - cut)], "{id}: right shard obs");
            }
            assert_eq!(&w.reward[..cut], l.reward, "{id}");
            assert_eq!(&w.reward[cut..], r.reward, "{id}");
            assert_eq!(&w.terminated[..cut], l.terminated, "{id}: left terminated");
            assert_eq!(&w.terminated[cut..], r.terminated, "{id}: right terminated");
            assert_eq!(&w.truncated[..cut], l.truncated, "{id}: left truncated");
            assert_eq!(&w.truncated[cut..], r.truncated, "{id}: right truncated");
            assert_eq!(&whole.episodes()[..cut], left.episodes(), "{id}: left episodes");
            assert_eq!(&whole.episodes()[cut..], right.episodes(), "{id}: right episodes");
            // Final observations: the whole batch's, shifted, are the shards' together.
            let fw: Vec<(usize, Vec<f32>)> = w.final_obs.iter().map(|(i, o)| (i, o.to_vec())).collect();
            let mut fs: Vec<(usize, Vec<f32>)> = l.final_obs.iter().map(|(i, o)| (i, o.to_vec())).collect();
            fs.extend(r.final_obs.iter().map(|(i, o)| (i + cut, o.to_vec())));
            assert_eq!(fw, fs, "{id}: final observations");
        }
    }
}

/// Runs chunks in reverse order and of uneven sizes, on one thread.
struct Scrambled;
// SAFETY: aligned, disjoint ranges covering `0..len`, all run before `run` returns.
unsafe impl Executor for Scrambled {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        let cuts = [0, 64, 128, 320, 384, len];
        for w in cuts.windows(2).rev() {
            let (a, b) = (w[0].min(len), w[1].min(len));
            if a < b {
                job(a, b);
            }
        }
    }
}

#[test]
fn chunking_does_not_change_results() {
    for id in ENV_IDS {
        let mut a = make(id, N, 3).unwrap();
        let mut b = make(id, N, 3).unwrap();
        let space = a.action_space();
        let mut gen = ActionGen(9);
        let (mut disc, mut cont) = (Vec::new(), Vec::new());
        for _ in 0..1_000 {
            gen.fill(space, N, &mut disc, &mut cont);
            a.step(actions(space, &disc, &cont)).unwrap();
            b.step_with(actions(space, &disc, &cont), &Scrambled).unwrap();
            assert!(snapshot(a.as_ref()) == snapshot(b.as_ref()), "{id}");
        }
    }
}

#[test]
fn seeds_change_resets_and_reset_is_repeatable() {
    for id in ENV_IDS {
        let mut a = make(id, 64, 1).unwrap();
        let b = make(id, 64, 2).unwrap();
        assert_ne!(a.view().obs, b.view().obs, "{id}: different seeds gave the same first observations");
        let first = a.view().obs.to_vec();
        let fresh = make(id, 64, 1).unwrap();
        assert_eq!(first, fresh.view().obs, "{id}");
        a.reset_with_seed(1);
        assert_eq!(first, a.view().obs, "{id}");
    }
}

/// `Env::OBS_IS_STATE` lets the batch keep one buffer for state and observation; that is only
/// sound when `observe` returns the state unchanged.
fn obs_is_state_claim_holds<E: fusegym_core::Env>() {
    use fusegym_core::record::Record;
    use fusegym_core::ParamSet;
    let p = E::Params::default().splat::<f32>();
    let mut x = 0.37f32;
    let mut identical = 0;
    let tries = 1000;
    for _ in 0..tries {
        let s = E::State::<f32>::from_fn(|_| {
            x = (x * 3.7 + 0.11) % 2.0 - 1.0;
            x * 10.0
        });
        let o = E::observe(&p, &s);
        let (mut sv, mut ov) = (vec![], vec![]);
        s.for_each(|_, v| sv.push(v.to_bits()));
        o.for_each(|_, v| ov.push(v.to_bits()));
        identical += (sv == ov) as usize;
    }
    if E::OBS_IS_STATE {
        assert_eq!(identical, tries, "{}: OBS_IS_STATE but observe changes the state", E::SPEC.id);
    } else {
        // The claim is left out only where it would be false: observe is not the identity.
        assert!(identical < tries, "{}: observe is the identity, so OBS_IS_STATE would save a buffer", E::SPEC.id);
    }
}

#[test]
fn obs_is_state_only_where_observe_is_the_identity() {
    use fusegym_core::envs::*;
    obs_is_state_claim_holds::<CartPole>();
    obs_is_state_claim_holds::<MountainCar>();
    obs_is_state_claim_holds::<MountainCarContinuous>();
    obs_is_state_claim_holds::<Pendulum>();
    obs_is_state_claim_holds::<Acrobot>();
    obs_is_state_claim_holds::<Reach3D>();
}

#[test]
fn final_obs_holds_exactly_the_envs_that_finished() {
    // Env 37 starts one step from CartPole's x limit; its neighbours in the same lane group
    // do not finish. The packed list must hold env 37 alone, on every path.
    use fusegym_core::{envs::CartPole, VecEnv};
    let n = 64;
    for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
        let mut env = VecEnv::<CartPole>::new(n, 3).unwrap();
        env.set_simd_path(path).unwrap();
        env.set_env_state(37, &[2.399, 1.0, 0.0, 0.0], 0).unwrap();
        let view = env.step(Actions::Discrete(&vec![1u32; n])).unwrap();
        assert!(view.terminated[37], "{path}: env 37 should have terminated");
        for i in (0..n).filter(|&i| i != 37) {
            assert!(!view.terminated[i] && !view.truncated[i], "{path}: env {i} finished too");
            assert!(view.final_obs.get(i).is_none(), "{path}: env {i} has a final observation");
        }
        assert_eq!(view.final_obs.len(), 1, "{path}");
        let (i, o) = view.final_obs.iter().next().unwrap();
        assert_eq!(i, 37, "{path}");
        assert!(o[0] > 2.4, "{path}: env 37's final x is past the limit");
        assert_eq!(view.final_obs.get(37), Some(o), "{path}");
    }
}

/// A path is offered exactly when this CPU has its instructions, and selecting one it lacks is
/// a typed error (on a CPU that has every path the second half checks nothing to refuse, so the
/// first half pins availability to the CPU's own feature flags).
#[test]
fn a_path_is_available_exactly_when_the_cpu_has_its_instructions() {
    #[cfg(target_arch = "x86_64")]
    {
        let avx512 = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512bw");
        assert_eq!(SimdPath::Avx2.is_available(), std::is_x86_feature_detected!("avx2"));
        assert_eq!(SimdPath::Avx512.is_available(), avx512 && std::is_x86_feature_detected!("avx2"));
    }
    #[cfg(not(target_arch = "x86_64"))]
    assert!(!SimdPath::Avx2.is_available() && !SimdPath::Avx512.is_available());
    for path in SimdPath::ALL {
        let mut env = make("CartPole-v1", 64, 1).unwrap();
        match env.set_simd_path(path) {
            Ok(()) => {
                assert!(path.is_available(), "{path} accepted but not available");
                env.step(Actions::Discrete(&[1; 64])).unwrap();
                assert_eq!(env.simd_path(), path);
            }
            Err(e) => {
                assert!(!path.is_available(), "{path} available but refused: {e}");
                assert!(e.to_string().contains(path.name()), "{e}");
            }
        }
    }
}
