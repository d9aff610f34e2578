//! The environments, one file each (mirrored by `shaders/<env>.wgsl` and `docs/envs/<env>.md`).

pub mod cartpole;
pub mod pendulum;

pub use cartpole::{CartPole, CartPoleParams};
pub use pendulum::{Pendulum, PendulumParams};
