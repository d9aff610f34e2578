//! The bare CartPole kernel the browser's `step` is judged against, built into the package so
//! that the bench page measures both in the same browser, on the same machine, in the same run.
//!
//! It is the project's speed-of-light probe (`docs/benchmarks.md`, "speed of light") written for
//! wasm: the physics of one CartPole step and nothing a real library must also do (no RNG, no
//! reset draws, no truncation counter, no observation or final-observation copy, one constant
//! action per env, a done env snaps to zero). A full `step` cannot beat it; the browser issue asks
//! for `step` >= 0.7x of it. With simd128 it runs on `wide::f32x4` (4 lanes, as the batches do),
//! without it on plain `f32`, so each build is judged against the kernel its own target allows.

use crate::checks::try_filled;
use wasm_bindgen::prelude::*;

// Gymnasium's CartPole-v1 constants (the probe hard-codes them: no parameter buffer).
const GRAVITY: f32 = 9.8;
const MASSCART: f32 = 1.0;
const MASSPOLE: f32 = 0.1;
const TOTAL_MASS: f32 = MASSCART + MASSPOLE;
const LENGTH: f32 = 0.5;
const POLEMASS_LENGTH: f32 = MASSPOLE * LENGTH;
const FORCE_MAG: f32 = 10.0;
const TAU: f32 = 0.02;
const THETA_THRESHOLD_RADIANS: f32 = 12.0 * 2.0 * core::f32::consts::PI / 360.0;
const X_THRESHOLD: f32 = 2.4;

/// State, actions and outputs of `n` bare CartPoles, structure of arrays.
#[wasm_bindgen]
pub struct BareCartPole {
    x: Vec<f32>,
    x_dot: Vec<f32>,
    theta: Vec<f32>,
    theta_dot: Vec<f32>,
    action: Vec<f32>,
    reward: Vec<f32>,
    done: Vec<f32>,
}

#[wasm_bindgen]
impl BareCartPole {
    /// `n` envs (a multiple of 4 keeps every lane busy; the JS layer checks `n`). Allocated
    /// fallibly: 16 M envs take 448 MiB, and a failed allocation would abort the instance.
    #[wasm_bindgen(constructor)]
    pub fn new(n: usize) -> Result<BareCartPole, JsError> {
        let n = n.next_multiple_of(4);
        let column = |value: f32| try_filled(&format!("bareCartPole({n})"), n, value).map_err(|e| JsError::new(&e));
        let mut action = column(0.0)?;
        for (i, a) in action.iter_mut().enumerate() {
            *a = ((i * 7) % 2) as f32;
        }
        Ok(BareCartPole {
            x: column(0.01)?,
            x_dot: column(0.0)?,
            theta: column(0.02)?,
            theta_dot: column(0.0)?,
            action,
            reward: column(0.0)?,
            done: column(0.0)?,
        })
    }

    /// Runs `steps` steps of every env; returns a checksum (the number of done env-steps of the
    /// last step) so that the work cannot be optimised away.
    pub fn run(&mut self, steps: u32) -> f64 {
        for _ in 0..steps {
            self.step();
        }
        self.done.iter().map(|&d| d as f64).sum()
    }

    #[cfg(target_feature = "simd128")]
    fn step(&mut self) {
        use wide::f32x4;
        let s = f32x4::splat;
        let n = self.x.len();
        for i in (0..n).step_by(4) {
            let r = i..i + 4;
            let x = f32x4::from(&self.x[r.clone()]);
            let v = f32x4::from(&self.x_dot[r.clone()]);
            let t = f32x4::from(&self.theta[r.clone()]);
            let w = f32x4::from(&self.theta_dot[r.clone()]);
            let a = f32x4::from(&self.action[r.clone()]);
            let force = a * s(2.0 * FORCE_MAG) - s(FORCE_MAG);
            let (st, ct) = (t.sin(), t.cos());
            let temp = (force + s(POLEMASS_LENGTH) * w * w * st) / s(TOTAL_MASS);
            let thetaacc = (s(GRAVITY) * st - ct * temp) / (s(LENGTH) * (s(4.0 / 3.0) - s(MASSPOLE) * ct * ct / s(TOTAL_MASS)));
            let xacc = temp - s(POLEMASS_LENGTH) * thetaacc * ct / s(TOTAL_MASS);
            let nx = x + s(TAU) * v;
            let nv = v + s(TAU) * xacc;
            let nt = t + s(TAU) * w;
            let nw = w + s(TAU) * thetaacc;
            let d = nx.simd_lt(s(-X_THRESHOLD))
                | nx.simd_gt(s(X_THRESHOLD))
                | nt.simd_lt(s(-THETA_THRESHOLD_RADIANS))
                | nt.simd_gt(s(THETA_THRESHOLD_RADIANS));
            let z = s(0.0);
            self.x[r.clone()].copy_from_slice(&d.select(z, nx).to_array());
            self.x_dot[r.clone()].copy_from_slice(&d.select(z, nv).to_array());
            self.theta[r.clone()].copy_from_slice(&d.select(z, nt).to_array());
            self.theta_dot[r.clone()].copy_from_slice(&d.select(z, nw).to_array());
            self.reward[r.clone()].copy_from_slice(&s(1.0).to_array());
            self.done[r].copy_from_slice(&d.select(s(1.0), z).to_array());
        }
    }

    #[cfg(not(target_feature = "simd128"))]
    fn step(&mut self) {
        for i in 0..self.x.len() {
            let force = if self.action[i] > 0.5 { FORCE_MAG } else { -FORCE_MAG };
            let (st, ct) = self.theta[i].sin_cos();
            let (w, v) = (self.theta_dot[i], self.x_dot[i]);
            let temp = (force + POLEMASS_LENGTH * w * w * st) / TOTAL_MASS;
            let thetaacc = (GRAVITY * st - ct * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * ct * ct / TOTAL_MASS));
            let xacc = temp - POLEMASS_LENGTH * thetaacc * ct / TOTAL_MASS;
            let nx = self.x[i] + TAU * v;
            let nt = self.theta[i] + TAU * w;
            let d = !(-X_THRESHOLD..=X_THRESHOLD).contains(&nx) || !(-THETA_THRESHOLD_RADIANS..=THETA_THRESHOLD_RADIANS).contains(&nt);
            let keep = if d { 0.0 } else { 1.0 };
            self.x[i] = nx * keep;
            self.x_dot[i] = (v + TAU * xacc) * keep;
            self.theta[i] = nt * keep;
            self.theta_dot[i] = (w + TAU * thetaacc) * keep;
            self.reward[i] = 1.0;
            self.done[i] = 1.0 - keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_balances_then_fails_like_cartpole() {
        // Alternating pushes keep the pole up for a while; constant-ish mixed actions (i*7 % 2)
        // make half the envs push right forever, so some envs must fall within 200 steps.
        let Ok(mut k) = BareCartPole::new(8) else { panic!("8 envs allocate") };
        assert_eq!(k.run(1), 0.0, "no env can fall on the first step from theta = 0.02");
        let mut fell = false;
        for _ in 0..200 {
            fell |= k.run(1) > 0.0;
        }
        assert!(fell, "pushing one way for 200 steps must end an episode");
        assert!(k.x.iter().chain(&k.theta).all(|v| v.is_finite() && v.abs() <= X_THRESHOLD));
    }
}
