//! Environment parameters, declared once per env with [`crate::params!`]: name, default, valid range
//! and doc of every field. Everything that lists parameters (validation, lookup by name, the
//! golden header check, the CLI, `fusegym info`, the docs tables, the GPU's storage layout)
//! reads that one declaration through [`ParamSet`].
//!
//! A params struct is generic over its field type: `CartPoleParams<f32>` (the default, what
//! users build and what is uploaded to the GPU as is) and `CartPoleParams<L>` for a lane type,
//! which is what an env's step reads. A batch with shared parameters splats each field once
//! per call; a batch with per-env parameters loads the fields that vary from one column per
//! field (structure of arrays) for every lane group, so the step is written once for both.

use crate::error::Error;
use crate::lane::Lane;
use alloc::format;
use alloc::string::String;
use core::fmt::Debug;

/// Most parameter fields any environment declares (Reach3D has 23).
pub const MAX_PARAM_FIELDS: usize = 32;

/// The values a parameter field accepts: a finite number in an interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Valid {
    /// Lower end (may be `-inf`).
    pub lo: f32,
    /// Upper end (may be `inf`).
    pub hi: f32,
    /// Whether `lo` itself is allowed.
    pub lo_closed: bool,
    /// Whether `hi` itself is allowed.
    pub hi_closed: bool,
}

impl Valid {
    /// `(0, inf)`: masses, lengths, time steps, thresholds.
    pub const POSITIVE: Valid = Valid { lo: 0.0, hi: f32::INFINITY, lo_closed: false, hi_closed: false };
    /// `[0, inf)`: coefficients and margins that may be switched off.
    pub const NON_NEGATIVE: Valid = Valid { lo: 0.0, hi: f32::INFINITY, lo_closed: true, hi_closed: false };
    /// Any finite value: positions, offsets, rewards.
    pub const FINITE: Valid = Valid { lo: f32::NEG_INFINITY, hi: f32::INFINITY, lo_closed: false, hi_closed: false };
    /// `[lo, hi]`.
    pub const fn closed(lo: f32, hi: f32) -> Valid {
        Valid { lo, hi, lo_closed: true, hi_closed: true }
    }
    /// `[lo, hi)`.
    pub const fn closed_open(lo: f32, hi: f32) -> Valid {
        Valid { lo, hi, lo_closed: true, hi_closed: false }
    }

    /// Whether `v` is finite and inside the interval.
    pub fn contains(&self, v: f32) -> bool {
        let above = if self.lo_closed { v >= self.lo } else { v > self.lo };
        let below = if self.hi_closed { v <= self.hi } else { v < self.hi };
        v.is_finite() && above && below
    }

    /// The interval as text, e.g. `(0, inf)` or `[-1, 1]`.
    pub fn describe(&self) -> String {
        format!("{}{}, {}{}", if self.lo_closed { "[" } else { "(" }, show(self.lo), show(self.hi), if self.hi_closed { "]" } else { ")" })
    }
}

fn show(v: f32) -> String {
    if v == f32::INFINITY {
        "inf".into()
    } else if v == f32::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{v}")
    }
}

/// One declared parameter field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamField {
    /// Field name, as in Gymnasium where Gymnasium has it.
    pub name: &'static str,
    /// One-line description with the unit.
    pub doc: &'static str,
    /// Gymnasium's value (the registered env's).
    pub default: f32,
    /// What the field accepts.
    pub valid: Valid,
    /// Whether the reference implementation has this constant (so a golden file's header
    /// records it); false for fields fusegym adds, such as literals Gymnasium leaves unnamed
    /// in its reset.
    pub in_reference: bool,
}

/// A constraint between fields: `low < high` (or `low <= high`), e.g. an interval's ends, or
/// with a margin on the smaller side, `low + c · gap < high`, e.g. an interval that must keep
/// room for a margin at both of its ends (`ground_z + 2 * goal_margin < ceiling_z`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamOrder {
    /// Index of the field that must be smaller.
    pub low: usize,
    /// Index of the field that must be larger.
    pub high: usize,
    /// `<` when true, `<=` otherwise.
    pub strict: bool,
    /// `Some((k, c))`: field `k` times `c` (> 0) is added to `low` before the comparison.
    pub gap: Option<(usize, f32)>,
    /// The smaller side as declared, e.g. `ground_z + 2 goal_margin` (messages and docs).
    pub low_text: &'static str,
}

impl ParamOrder {
    /// Whether the smaller side's value `low` (gap included) and `high` satisfy the constraint.
    pub fn holds(&self, low: f32, high: f32) -> bool {
        if self.strict {
            low < high
        } else {
            low <= high
        }
    }
    /// The smaller side's value, with `value(k)` the value of field `k` (in `f32`, as the env
    /// computes the interval's ends: rounding is monotone, so an interval the check accepts is
    /// not empty when the env computes it either).
    pub fn left(&self, value: impl Fn(usize) -> f32) -> f32 {
        match self.gap {
            None => value(self.low),
            Some((k, c)) => value(self.low) + c * value(k),
        }
    }
    /// Whether a full set of values satisfies the constraint.
    pub fn holds_for<P: ParamSet>(&self, p: &P) -> bool {
        self.holds(self.left(|k| p.get(k)), p.get(self.high))
    }
    /// The fields the constraint reads.
    pub fn fields(&self) -> impl Iterator<Item = usize> {
        [Some(self.low), self.gap.map(|g| g.0), Some(self.high)].into_iter().flatten()
    }
    /// `<` or `<=`.
    pub fn symbol(&self) -> &'static str {
        if self.strict {
            "<"
        } else {
            "<="
        }
    }
}

/// What [`crate::params!`] implements for an env's `XParams<f32>`.
///
/// # Safety
/// `Lanes<L>` must be `#[repr(C)]` with exactly `FIELDS.len()` fields of type `L` first, in
/// the order of `FIELDS` ([`ParamSet::field_mut`] indexes them as an array); [`crate::params!`]
/// guarantees it.
pub unsafe trait ParamSet: bytemuck::Pod + Default + Debug + PartialEq + Send + Sync {
    /// The same struct with lane-typed fields, read by the env's step.
    type Lanes<L: Lane>: Copy;
    /// The declared fields in storage order.
    const FIELDS: &'static [ParamField];
    /// Constraints between fields.
    const ORDER: &'static [ParamOrder];

    /// Field `k`'s value.
    fn get(&self, k: usize) -> f32;
    /// Sets field `k`.
    fn set(&mut self, k: usize, v: f32);
    /// Gymnasium's `TimeLimit` (`max_episode_steps`, shared by every env of a batch); 0 = none.
    fn max_episode_steps(&self) -> u32;
    /// Sets the time limit.
    fn set_max_episode_steps(&mut self, steps: u32);
    /// Every field splatted to all lanes.
    fn splat<L: Lane>(&self) -> Self::Lanes<L>;
    /// `shared` with every field whose column is not null loaded from `columns[k][i..]`.
    ///
    /// # Safety
    /// Each non-null column must be readable for `L::WIDTH` values at `i`.
    unsafe fn load<L: Lane>(shared: &Self::Lanes<L>, columns: &[*const f32; MAX_PARAM_FIELDS], i: usize) -> Self::Lanes<L>;

    /// Field `k` of a lane-typed struct.
    #[inline(always)]
    fn field_mut<L: Lane>(p: &mut Self::Lanes<L>, k: usize) -> &mut L {
        assert!(k < Self::FIELDS.len());
        // SAFETY: the trait's contract: the first `FIELDS.len()` fields are `L`s in order, and
        // `repr(C)` lays out equal types without padding.
        unsafe { &mut *(p as *mut Self::Lanes<L>).cast::<L>().add(k) }
    }

    /// Index of the field called `name`.
    fn index_of(name: &str) -> Option<usize> {
        Self::FIELDS.iter().position(|f| f.name == name)
    }
}

/// Checks one value of field `k` of env `env`.
pub fn check_value<P: ParamSet>(env: &'static str, k: usize, v: f32) -> Result<(), Error> {
    let f = &P::FIELDS[k];
    if f.valid.contains(v) {
        Ok(())
    } else {
        Err(Error::InvalidParam { env, name: f.name, value: v as f64, valid: f.valid.describe() })
    }
}

/// Checks every field and every order constraint of a full set of values.
pub fn check_all<P: ParamSet>(env: &'static str, p: &P) -> Result<(), Error> {
    for k in 0..P::FIELDS.len() {
        check_value::<P>(env, k, p.get(k))?;
    }
    for o in P::ORDER {
        if !o.holds_for(p) {
            return Err(order_error::<P>(env, o, o.left(|k| p.get(k)), p.get(o.high)));
        }
    }
    Ok(())
}

pub(crate) fn order_error<P: ParamSet>(env: &'static str, o: &ParamOrder, lo: f32, hi: f32) -> Error {
    Error::ParamOrder {
        env,
        low: o.low_text,
        high: P::FIELDS[o.high].name,
        symbol: o.symbol(),
        low_value: lo as f64,
        high_value: hi as f64,
    }
}

/// Declares an env's parameters once: the generic struct, `Default` (Gymnasium's values),
/// `Pod`, and [`ParamSet`] with every field's name, doc, default and valid range.
///
/// ```ignore
/// params! {
///     /// CartPole-v1's constants.
///     pub struct CartPoleParams {
///         /// Gravitational acceleration (m/s²).
///         gravity: 9.8, Valid::POSITIVE;
///         /// A literal in Gymnasium's reset: `ours` marks fields the reference does not name.
///         reset_bound: 0.05, Valid::NON_NEGATIVE, ours;
///         /// ...
///     }
///     max_episode_steps: 500;
///     // e.g. `[min_position < max_position]`
///     order: [];
///     // optional, e.g. `[ground_z + 2 * goal_margin < ceiling_z]`: room for a margin at
///     // both ends of an interval
///     order_with_margin: [];
/// }
/// ```
#[macro_export]
macro_rules! params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[doc = $doc:literal])* $field:ident : $default:expr, $valid:expr $(, $ours:ident)?; )+
        }
        max_episode_steps: $limit:expr;
        order: [ $( $low:ident $op:tt $high:ident ),* $(,)? ];
        $( order_with_margin: [ $( $mlow:ident + $mc:literal * $mgap:ident $mop:tt $mhigh:ident ),* $(,)? ]; )?
    ) => {
        $(#[$meta])*
        ///
        /// Generic over the field type: `f32` (the default) is what users build; a lane type is
        /// what the step reads (see [`mod@crate::params`]).
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name<L = f32> {
            $( $(#[doc = $doc])* pub $field: L, )+
            /// Gymnasium's `TimeLimit` (`max_episode_steps`), shared by every env; 0 = none.
            pub max_episode_steps: u32,
        }

        impl Default for $name<f32> {
            fn default() -> Self {
                $name { $( $field: $default, )+ max_episode_steps: $limit }
            }
        }

        // SAFETY: `repr(C)`, only `f32` and `u32` fields (4 bytes each, no padding).
        unsafe impl bytemuck::Zeroable for $name<f32> {}
        // SAFETY: as above; every bit pattern is a valid `f32`/`u32`.
        unsafe impl bytemuck::Pod for $name<f32> {}

        // SAFETY: `repr(C)` with the declared fields, all `L`, first and in order.
        unsafe impl $crate::params::ParamSet for $name<f32> {
            type Lanes<L: $crate::lane::Lane> = $name<L>;
            const FIELDS: &'static [$crate::params::ParamField] = &[
                $( $crate::params::ParamField {
                    name: stringify!($field),
                    doc: concat!($($doc),*),
                    default: $default,
                    valid: $valid,
                    in_reference: $crate::params::in_reference(&[$(stringify!($ours))?]),
                }, )+
            ];
            const ORDER: &'static [$crate::params::ParamOrder] = &[
                $( $crate::params::ParamOrder {
                    low: $crate::params::field_index(Self::FIELDS, stringify!($low)),
                    high: $crate::params::field_index(Self::FIELDS, stringify!($high)),
                    strict: $crate::params::strict(stringify!($op)),
                    gap: None,
                    low_text: stringify!($low),
                }, )*
                $( $( $crate::params::ParamOrder {
                    low: $crate::params::field_index(Self::FIELDS, stringify!($mlow)),
                    high: $crate::params::field_index(Self::FIELDS, stringify!($mhigh)),
                    strict: $crate::params::strict(stringify!($mop)),
                    gap: Some(($crate::params::field_index(Self::FIELDS, stringify!($mgap)), $crate::params::margin_factor($mc as f32))),
                    low_text: concat!(stringify!($mlow), " + ", stringify!($mc), " ", stringify!($mgap)),
                }, )* )?
            ];
            fn get(&self, k: usize) -> f32 {
                [$( self.$field ),+][k]
            }
            fn set(&mut self, k: usize, v: f32) {
                *<Self as $crate::params::ParamSet>::field_mut::<f32>(self, k) = v;
            }
            fn max_episode_steps(&self) -> u32 {
                self.max_episode_steps
            }
            fn set_max_episode_steps(&mut self, steps: u32) {
                self.max_episode_steps = steps;
            }
            #[inline(always)]
            fn splat<L: $crate::lane::Lane>(&self) -> $name<L> {
                $name { $( $field: L::splat(self.$field), )+ max_episode_steps: self.max_episode_steps }
            }
            #[inline(always)]
            #[allow(unused_assignments)]
            unsafe fn load<L: $crate::lane::Lane>(
                shared: &$name<L>,
                columns: &[*const f32; $crate::params::MAX_PARAM_FIELDS],
                i: usize,
            ) -> $name<L> {
                let mut k = 0;
                $(
                    let $field = if columns[k].is_null() { shared.$field } else { L::load(columns[k].add(i)) };
                    k += 1;
                )+
                $name { $( $field, )+ max_episode_steps: shared.max_episode_steps }
            }
        }

        const _: () = assert!(
            <$name<f32> as $crate::params::ParamSet>::FIELDS.len() <= $crate::params::MAX_PARAM_FIELDS,
            "more parameter fields than MAX_PARAM_FIELDS"
        );
    };
}

/// Index of `name` in `fields` (compile time; used by [`crate::params!`] for `order`).
pub const fn field_index(fields: &[ParamField], name: &str) -> usize {
    let mut k = 0;
    while k < fields.len() {
        if str_eq(fields[k].name, name) {
            return k;
        }
        k += 1;
    }
    panic!("order names a field that is not declared")
}

/// Checks an `order_with_margin` factor (used by [`crate::params!`]): margins widen the smaller
/// side, so the factor must be positive (the per-env checks rely on it).
pub const fn margin_factor(c: f32) -> f32 {
    // Written as `c <= 0 or NaN` without a negated compare (clippy), for a const fn.
    if c <= 0.0 || c.is_nan() {
        panic!("an order constraint's margin factor must be positive")
    }
    c
}

/// `false` when a field is marked `ours` in [`crate::params!`] (it is not one of the reference's
/// constants).
pub const fn in_reference(marks: &[&str]) -> bool {
    if marks.is_empty() {
        return true;
    }
    if !str_eq(marks[0], "ours") {
        panic!("the only field mark is `ours`")
    }
    false
}

/// Whether an `order` operator is `<` (else it must be `<=`).
pub const fn strict(op: &str) -> bool {
    if str_eq(op, "<") {
        true
    } else if str_eq(op, "<=") {
        false
    } else {
        panic!("order operators are < and <=")
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut k = 0;
    while k < a.len() {
        if a[k] != b[k] {
            return false;
        }
        k += 1;
    }
    true
}

/// The `max_episode_steps` a batch accepts: step counts keep two flag bits above it (see
/// `kernel::DONE_BITS`).
pub const MAX_EPISODE_STEPS_LIMIT: u32 = (1 << 30) - 1;

/// Checks the time limit.
pub fn check_time_limit(env: &'static str, steps: u32) -> Result<(), Error> {
    if steps > MAX_EPISODE_STEPS_LIMIT {
        return Err(Error::InvalidParam {
            env,
            name: "max_episode_steps",
            value: steps as f64,
            valid: format!("[0, {MAX_EPISODE_STEPS_LIMIT}] (0 = no limit)"),
        });
    }
    Ok(())
}
