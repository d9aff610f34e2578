//! # fusegym
//!
//! Vectorized reinforcement-learning environments with one fused step per env: physics,
//! reward, termination, truncation, observation and same-step auto-reset in a single SIMD pass.
//! This crate is what users add with cargo; it re-exports the `no_std` core
//! ([`fusegym_core`]) and adds what needs `std`: a persistent thread pool ([`Threads`]), the
//! Gymnasium golden-trajectory checker ([`golden`]) and the `fusegym` command line.
//!
//! ```
//! use fusegym::{Actions, VecEnv, envs::CartPole};
//!
//! let mut env = VecEnv::<CartPole>::new(1024, 42)?;
//! let actions = vec![1u32; 1024];
//! let step = env.step(Actions::Discrete(&actions))?;
//! assert_eq!(step.reward.len(), 1024);
//! // Observations are feature-major: component k of env i is obs[k * 1024 + i].
//! assert_eq!(step.obs.len(), 4 * 1024);
//! # Ok::<(), fusegym::Error>(())
//! ```

pub use fusegym_core::*;

pub mod golden;
pub mod hardware;
pub mod threads;

pub use threads::Threads;

#[cfg(test)]
mod readme {
    // The README's example, compiled and run.
    #[test]
    fn readme_example_runs() -> Result<(), crate::Error> {
        use crate::{envs::CartPole, Actions, VecEnv};
        let mut env = VecEnv::<CartPole>::new(4096, 42)?;
        let actions = vec![1u32; 4096];
        let step = env.step(Actions::Discrete(&actions))?;
        assert_eq!(step.reward[0], 1.0);
        let stats = env.rollout(1000, crate::Policy::Random, None)?;
        assert!(stats.episodes.iter().all(|&k| k > 0), "random CartPole episodes last ~22 steps");
        // Next-step autoreset and per-env pole lengths redrawn at every reset.
        use crate::{Autoreset, ParamRanges};
        let env = VecEnv::<CartPole>::builder(4096)
            .seed(7)
            .autoreset(Autoreset::NextStep)
            .ranges(ParamRanges::new().range("length", 0.3, 0.9).range("masspole", 0.05, 0.2).redraw_each_episode(true))
            .build()?;
        assert!(env.param_column("length").unwrap().iter().all(|l| (0.3..0.9).contains(l)));
        Ok(())
    }
}
