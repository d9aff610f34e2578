//! Next-step autoreset replays the golden episodes of each Gymnasium env back to back in one
//! env, with Gymnasium's NEXT_STEP vector semantics: the done step returns the record's final
//! observation and flags; the step after ignores its action and returns reward 0, no flags and
//! a fresh first observation; then the next recorded episode starts from its recorded state.

use fusegym::golden;
use fusegym::{make_with, ActionSpace, Actions, Autoreset, EnvConfig};
use fusegym_tests::{golden_path, GYMNASIUM_IDS};

/// Teacher-forced steps of our f32 envs stay within this relative error of Gymnasium's f64
/// records (docs/parity.md gives the precise per-step bound; this test checks the plumbing).
const TOL: f64 = 1e-4;

fn close(ours: f32, theirs: f64) -> bool {
    (ours as f64 - theirs).abs() <= TOL * theirs.abs().max(1.0)
}

#[test]
fn next_step_mode_replays_the_golden_episodes_back_to_back() {
    for id in GYMNASIUM_IDS {
        let file = golden::load(&golden_path(id)).unwrap();
        let mut env = make_with(id, &EnvConfig { autoreset: Autoreset::NextStep, ..EnvConfig::new(1, 0) }).unwrap();
        let space = env.action_space();
        let act = |a: f64| -> (Vec<u32>, Vec<f32>) {
            match space {
                ActionSpace::Discrete { .. } => (vec![a as u32], vec![]),
                ActionSpace::Box { .. } => (vec![], vec![a as f32]),
            }
        };
        let mut resets = 0;
        for (e, ep) in file.episodes.iter().enumerate() {
            let s0: Vec<f32> = ep.initial_state.iter().map(|&x| x as f32).collect();
            env.set_env_state(0, &s0, 0).unwrap();
            for t in 0..ep.length {
                if t > 0 {
                    let prev: Vec<f32> = ep.states[t - 1].iter().map(|&x| x as f32).collect();
                    env.set_env_state(0, &prev, t as u32).unwrap();
                }
                let (d, c) = act(ep.actions[t]);
                let v = env.step(if space.is_discrete() { Actions::Discrete(&d) } else { Actions::Continuous(&c) }).unwrap();
                let at = format!("{id} episode {e} step {t}");
                assert_eq!((v.terminated[0], v.truncated[0]), (ep.terminated[t], ep.truncated[t]), "{at}: flags");
                assert!(close(v.reward[0], ep.rewards[t]), "{at}: reward {} vs {}", v.reward[0], ep.rewards[t]);
                for (k, &o) in ep.obs[t].iter().enumerate() {
                    assert!(close(v.obs[k], o), "{at}: obs[{k}] = {} vs record {o}", v.obs[k]);
                }
                assert!(v.final_obs.is_empty(), "{at}: next-step mode writes no final observations");
            }
            if !(ep.terminated[ep.length - 1] || ep.truncated[ep.length - 1]) {
                continue; // a recording cut short: the episode has not ended
            }
            // The step after the done step: action ignored, a new episode, nothing reported.
            let episode = env.episodes()[0];
            let (d, c) = act(ep.actions[0]);
            let v = env.step(if space.is_discrete() { Actions::Discrete(&d) } else { Actions::Continuous(&c) }).unwrap();
            assert_eq!((v.terminated[0], v.truncated[0], v.reward[0]), (false, false, 0.0), "{id} after episode {e}");
            let obs = v.obs.to_vec();
            assert_eq!(env.episodes()[0], episode + 1, "{id}: the reset step starts a new episode");
            assert_eq!(env.elapsed(), vec![0], "{id}: the new episode has taken no step");
            // Its observation is the observation of its first state.
            let first = env.state().to_vec();
            env.set_env_state(0, &first, 0).unwrap();
            assert_eq!(env.view().obs, &obs[..], "{id}: reset observation");
            resets += 1;
        }
        assert!(resets >= 2, "{id}: needs at least two episodes back to back");
    }
}
