//! The environments, one file each (mirrored by `shaders/<env>.wgsl` and `docs/envs/<env>.md`).

pub mod cartpole;
pub mod reach3d;

pub use cartpole::{CartPole, CartPoleParams};
pub use reach3d::{Reach3D, Reach3DParams};
