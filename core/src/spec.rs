//! What an environment is: the [`Env`] trait each file in [`crate::envs`] implements, and the
//! spaces and inputs the shared plumbing validates against.

use crate::lane::Lane;
use crate::params::{ParamSet, Valid};
use crate::record::Record;
use crate::rng::Rng;
use crate::simd::Kernels;

/// Most action components an environment may have (Reach3D has 3); checked at compile time
/// for every env ([`Env::DIMS_OK`]).
pub const MAX_ACTION_DIM: usize = 4;
/// Most observation components an environment may have (Reach3D has 9); checked
/// at compile time.
pub const MAX_OBS_DIM: usize = 16;
/// Most state components an environment may have; checked at compile time.
pub const MAX_STATE_DIM: usize = 16;

/// An env's parameters with lane-typed fields, as its step reads them.
pub type ParamLanes<E, L> = <<E as Env>::Params as ParamSet>::Lanes<L>;

/// The action space of an environment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActionSpace {
    /// `Discrete(n)`: one integer in `[0, n)` per env.
    Discrete {
        /// Number of actions.
        n: u32,
    },
    /// `Box(low, high, shape=(dim,))`: `dim` floats per env. Out-of-range values are clipped by
    /// the environment exactly where Gymnasium clips them; non-finite values are rejected.
    Box {
        /// Number of components.
        dim: usize,
        /// Lower bounds (first `dim` used).
        low: [f32; MAX_ACTION_DIM],
        /// Upper bounds (first `dim` used).
        high: [f32; MAX_ACTION_DIM],
    },
}

impl ActionSpace {
    /// `Box(low, high, shape=(dim,))` with the same bounds on every component.
    pub const fn uniform_box(dim: usize, low: f32, high: f32) -> Self {
        let mut lo = [0.0; MAX_ACTION_DIM];
        let mut hi = [0.0; MAX_ACTION_DIM];
        let mut k = 0;
        while k < dim {
            lo[k] = low;
            hi[k] = high;
            k += 1;
        }
        ActionSpace::Box { dim, low: lo, high: hi }
    }
    /// Components per env (1 for discrete spaces).
    pub fn dim(&self) -> usize {
        match self {
            ActionSpace::Discrete { .. } => 1,
            ActionSpace::Box { dim, .. } => *dim,
        }
    }
    /// Whether actions are integers.
    pub fn is_discrete(&self) -> bool {
        matches!(self, ActionSpace::Discrete { .. })
    }
}

/// The observation space of an environment: `Box(low, high, shape=(dim,))`, float32, with the
/// bounds Gymnasium declares (unbounded components are `±inf`, as Gymnasium writes them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObsSpace {
    /// Number of components.
    pub dim: usize,
    /// Lower bounds (first `dim` used).
    pub low: [f32; MAX_OBS_DIM],
    /// Upper bounds (first `dim` used).
    pub high: [f32; MAX_OBS_DIM],
}

impl ObsSpace {
    /// `Box(-high, high)`: the symmetric bounds most classic-control envs declare.
    pub fn symmetric(high: &[f32]) -> Self {
        let mut space = ObsSpace { dim: high.len(), low: [0.0; MAX_OBS_DIM], high: [0.0; MAX_OBS_DIM] };
        for (k, &h) in high.iter().enumerate() {
            space.low[k] = -h;
            space.high[k] = h;
        }
        space
    }
    /// `Box(low, high)` component by component.
    pub fn new(low: &[f32], high: &[f32]) -> Self {
        let mut space = ObsSpace { dim: low.len(), low: [0.0; MAX_OBS_DIM], high: [0.0; MAX_OBS_DIM] };
        space.low[..low.len()].copy_from_slice(low);
        space.high[..high.len()].copy_from_slice(high);
        space
    }
}

/// A batch of actions from the caller, feature-major (`actions[k * num_envs + i]`).
#[derive(Clone, Copy, Debug)]
pub enum Actions<'a> {
    /// Discrete actions as `u32`.
    Discrete(&'a [u32]),
    /// Discrete actions as `i32` (negative values are rejected).
    DiscreteI32(&'a [i32]),
    /// Continuous actions.
    Continuous(&'a [f32]),
}

impl Actions<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Actions::Discrete(a) => a.len(),
            Actions::DiscreteI32(a) => a.len(),
            Actions::Continuous(a) => a.len(),
        }
    }
    /// True if there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The element type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Actions::Discrete(_) => "u32",
            Actions::DiscreteI32(_) => "i32",
            Actions::Continuous(_) => "f32",
        }
    }
}

/// Static facts about an environment.
#[derive(Clone, Copy, Debug)]
pub struct EnvSpec {
    /// Gymnasium-style id, e.g. `"CartPole-v1"`.
    pub id: &'static str,
    /// Where the reference implementation lives (for the docs and `fusegym info`).
    pub reference: &'static str,
}

/// The result of one step of dynamics, before truncation and auto-reset.
#[derive(Clone, Copy)]
pub struct Transition<S, L: Lane> {
    /// State after the step.
    pub state: S,
    /// Reward for the step.
    pub reward: L,
    /// Whether the new state is terminal.
    pub terminated: L::Mask,
}

/// A constant of the reference implementation that is not a parameter: recorded in golden
/// file headers, and compared there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RefConst {
    /// A fixed choice, compared exactly (e.g. `kinematics_integrator = "euler"`).
    Text(&'static str),
    /// A fixed flag (e.g. `sutton_barto_reward = false`).
    Flag(bool),
    /// A fixed number (e.g. `torque_noise_max = 0`).
    Number(f64),
    /// A value the reference derives from parameters (e.g. `total_mass`): known, implied by the
    /// parameters it comes from, not compared on its own.
    Derived,
    /// A description of the method (e.g. the integrator's): known, not compared.
    Described,
}

/// An environment: its parameters and the pieces of its step, each generic over the lane type.
///
/// The shared kernel ([`crate::kernel`]) owns the flow: load state and action, `step`, count
/// steps for truncation, `observe`, and on done `reset` + select, then store. An environment
/// supplies only these pieces, so the flow (and its bit-exactness across lane types) is
/// written once.
pub trait Env: Copy + Default + Send + Sync + 'static {
    /// Static facts (id, reference).
    const SPEC: EnvSpec;
    /// Plain-data parameters declared with [`crate::params!`]: the single source of the env's
    /// constants, uploaded as is to the GPU. `Default` gives Gymnasium's values.
    type Params: ParamSet;
    /// Internal state, in Gymnasium's `env.unwrapped.state` order.
    type State<L: Lane>: Record<L>;
    /// Observation.
    type Obs<L: Lane>: Record<L>;
    /// Action components as floats (discrete indices arrive as exact small floats).
    type Action<L: Lane>: Record<L>;
    /// True when `observe` returns the state itself (CartPole, MountainCar). The batch then keeps
    /// one buffer for both, which saves a load and a store of every component on every step.
    /// `tests/backends.rs` checks the claim.
    const OBS_IS_STATE: bool = false;
    /// The reference's constants that are not parameters, by the (lower-case) name golden
    /// headers use.
    const REFERENCE_CONSTANTS: &'static [(&'static str, RefConst)] = &[];
    /// What `set_env_state` accepts for each state component, in state order; a finite value
    /// outside is [`crate::Error::InvalidState`]. Chosen with the parameters' ranges so that
    /// every accepted state and configuration keeps observations and rewards finite
    /// (`docs/robustness.md`, "Parameter and state ranges").
    const STATE_VALID: &'static [Valid];

    /// Fails to compile (when a batch of the env is built) if a record exceeds the kernels'
    /// fixed-size buffers.
    const DIMS_OK: () = {
        assert!(Self::Obs::<f32>::LEN <= MAX_OBS_DIM, "observation has more than MAX_OBS_DIM components");
        assert!(Self::State::<f32>::LEN <= MAX_STATE_DIM, "state has more than MAX_STATE_DIM components");
        assert!(Self::Action::<f32>::LEN <= MAX_ACTION_DIM, "action has more than MAX_ACTION_DIM components");
        assert!(Self::STATE_VALID.len() == Self::State::<f32>::LEN, "STATE_VALID needs one range per state component");
        assert!(
            !Self::OBS_IS_STATE || Self::Obs::<f32>::LEN == Self::State::<f32>::LEN,
            "OBS_IS_STATE needs as many obs as state components"
        );
    };

    /// The action space under the batch's shared parameters. (With per-env bounds the step
    /// clips to each env's own; the space is the shared one.)
    fn action_space(params: &Self::Params) -> ActionSpace;
    /// The observation space under the batch's shared parameters, as the reference declares it
    /// (front-ends such as the Python package show it as `single_observation_space`).
    fn observation_space(params: &Self::Params) -> ObsSpace;
    /// Draws the first state of an episode.
    fn reset<L: Lane>(params: &ParamLanes<Self, L>, rng: &mut Rng<L>) -> Self::State<L>;
    /// One step of dynamics, reward and termination.
    fn step<L: Lane>(params: &ParamLanes<Self, L>, state: &Self::State<L>, action: &Self::Action<L>) -> Transition<Self::State<L>, L>;
    /// The observation of a state.
    fn observe<L: Lane>(params: &ParamLanes<Self, L>, state: &Self::State<L>) -> Self::Obs<L>;

    /// The env's compiled step and rollout kernels. The default compiles them in each crate
    /// that steps the env; this crate's envs compile them once, here
    /// (`simd::compiled_here!`), which keeps the build of every crate above short.
    #[doc(hidden)]
    fn kernels() -> Kernels<Self> {
        Kernels::new()
    }
}
