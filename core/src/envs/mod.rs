//! The environments, one file each (mirrored by `shaders/<env>.wgsl` and `docs/envs/<env>.md`).

pub mod acrobot;
pub mod cartpole;

pub use acrobot::{Acrobot, AcrobotParams};
pub use cartpole::{CartPole, CartPoleParams};
