//! The environments, one file each (mirrored by `shaders/<env>.wgsl` and `docs/envs/<env>.md`).

pub mod cartpole;

pub use cartpole::{CartPole, CartPoleParams};
