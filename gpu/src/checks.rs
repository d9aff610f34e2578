//! Input checks at the GPU batch's boundary, reporting the core's error variants so the CLI and
//! users see the same messages on every backend.

use fusegym_core::vec_env::action_in_range;
use fusegym_core::{ActionSpace, Actions, Error};

/// Checks type, length and values of host actions; returns them as the words the shader reads
/// (`u32` indices, or `f32` bits).
pub fn actions<'a>(env: &'static str, space: ActionSpace, n: usize, actions: Actions<'a>) -> Result<&'a [u32], Error> {
    let expected = space.dim().checked_mul(n).ok_or(Error::ActionLength { env, expected: usize::MAX, got: actions.len() })?;
    if actions.len() != expected {
        return Err(Error::ActionLength { env, expected, got: actions.len() });
    }
    match (space, actions) {
        (ActionSpace::Discrete { n: count }, Actions::Discrete(a)) => {
            if let Some(index) = a.iter().position(|&x| x >= count) {
                return Err(Error::ActionOutOfRange { env, index, value: a[index] as i64, n: count });
            }
            Ok(a)
        }
        (ActionSpace::Discrete { n: count }, Actions::DiscreteI32(a)) => {
            if let Some(index) = a.iter().position(|&x| x < 0 || x as u32 >= count) {
                return Err(Error::ActionOutOfRange { env, index, value: a[index] as i64, n: count });
            }
            Ok(bytemuck::cast_slice(a))
        }
        (ActionSpace::Box { .. }, Actions::Continuous(a)) => {
            if let Some(index) = a.iter().position(|x| !action_in_range(*x)) {
                return Err(Error::NonFiniteAction { env, index, value: a[index] });
            }
            Ok(bytemuck::cast_slice(a))
        }
        (space, given) => Err(Error::ActionType {
            env,
            expected: if space.is_discrete() { "discrete (u32 or i32)" } else { "continuous (f32)" },
            got: match given {
                Actions::Continuous(_) => "continuous (f32)",
                _ => "discrete",
            },
        }),
    }
}
