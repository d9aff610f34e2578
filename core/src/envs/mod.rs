//! The environments, one file each (mirrored by `shaders/<env>.wgsl` and `docs/envs/<env>.md`).

pub mod acrobot;
pub mod cartpole;
pub mod mountain_car;
pub mod mountain_car_continuous;
pub mod pendulum;
pub mod reach3d;

pub use acrobot::{Acrobot, AcrobotParams};
pub use cartpole::{CartPole, CartPoleParams};
pub use mountain_car::{MountainCar, MountainCarParams};
pub use mountain_car_continuous::{MountainCarContinuous, MountainCarContinuousParams};
pub use pendulum::{Pendulum, PendulumParams};
pub use reach3d::{Reach3D, Reach3DParams};
