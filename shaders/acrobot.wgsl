// Mirrors core/src/envs/acrobot.rs (Acrobot-v1, "book" dynamics, one RK4 step per dt).

const TWO_PI: f32 = 6.28318530717958647692;
const RK4_HALF_DIVISOR: f32 = 2.0;
const RK4_FINAL_DIVISOR: f32 = 6.0;
const RK4_MID_WEIGHT: f32 = 2.0;
const CROSS: f32 = 2.0;
const REWARD_STEP: f32 = -1.0;
const REWARD_TERMINAL: f32 = 0.0;

// The constant subexpressions of Gymnasium's _dsdt, grouped as Python evaluates them.
struct Coeffs {
    m2: f32,
    i1: f32,
    i2: f32,
    m1_lc1_sq: f32,
    l1_sq_lc2_sq: f32,
    cross_l1_lc2: f32,
    lc2_sq: f32,
    l1_lc2: f32,
    m2_lc2_g: f32,
    neg_m2_l1_lc2: f32,
    cross_m2_l1_lc2: f32,
    m_lc_g: f32,
    m2_l1_lc2: f32,
    m2_lc2_sq_i2: f32,
}

fn acrobot_coeffs(p: Params) -> Coeffs {
    let m1 = p.link_mass_1;
    let m2 = p.link_mass_2;
    let l1 = p.link_length_1;
    let lc1 = p.link_com_pos_1;
    let lc2 = p.link_com_pos_2;
    let moi = p.link_moi;
    let g = p.g;
    return Coeffs(
        m2,
        moi,
        moi,
        m1 * (lc1 * lc1),
        l1 * l1 + lc2 * lc2,
        CROSS * l1 * lc2,
        lc2 * lc2,
        l1 * lc2,
        m2 * lc2 * g,
        -m2 * l1 * lc2,
        CROSS * m2 * l1 * lc2,
        (m1 * lc1 + m2 * l1) * g,
        m2 * l1 * lc2,
        m2 * (lc2 * lc2) + moi,
    );
}

// Gymnasium's _dsdt ("book"): the time derivative of s under elbow torque a.
fn acrobot_dsdt(c: Coeffs, s: State, a: f32) -> State {
    let sc2 = sin_cos(s.theta2);
    let sin2 = sc2.x;
    let cos2 = sc2.y;
    let sin1 = sin_(s.theta1);
    let sin12 = sin_(s.theta1 + s.theta2);
    let dt1 = s.dtheta1;
    let dt2 = s.dtheta2;
    let d1 = ((c.m1_lc1_sq + c.m2 * (c.l1_sq_lc2_sq + c.cross_l1_lc2 * cos2)) + c.i1) + c.i2;
    let d2 = c.m2 * (c.lc2_sq + c.l1_lc2 * cos2) + c.i2;
    let phi2 = c.m2_lc2_g * sin12;
    let phi1 = ((c.neg_m2_l1_lc2 * (dt2 * dt2) * sin2 - c.cross_m2_l1_lc2 * dt2 * dt1 * sin2) + c.m_lc_g * sin1) + phi2;
    let ddtheta2 = (((a + d2 / d1 * phi1) - c.m2_l1_lc2 * (dt1 * dt1) * sin2) - phi2) / (c.m2_lc2_sq_i2 - d2 * d2 / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return State(dt1, dt2, ddtheta1, ddtheta2);
}

// y + h * k per component.
fn acrobot_advance(y: State, h: f32, k: State) -> State {
    return State(y.theta1 + h * k.theta1, y.theta2 + h * k.theta2, y.dtheta1 + h * k.dtheta1, y.dtheta2 + h * k.dtheta2);
}

// Gymnasium's wrap(x, -pi, pi) with the turns counted by floor (see the CPU's comment).
fn acrobot_wrap(x: f32) -> f32 {
    let above = x > PI;
    let turns = select(floor((x + PI) / TWO_PI), -floor((PI - x) / TWO_PI), above);
    var y = select(x, x - turns * TWO_PI, above || x < -PI);
    y = select(y, y - TWO_PI, y > PI);
    y = select(y, y + TWO_PI, y < -PI);
    // Angles past ~5e7 rad need more passes (see the CPU's comment; same bound).
    for (var extra = 0u; extra < ACROBOT_WRAP_PASSES && (y > PI || y < -PI); extra++) {
        y = y - floor((y + PI) / TWO_PI) * TWO_PI;
    }
    return y;
}

const ACROBOT_WRAP_PASSES: u32 = 8u;

// Whether x is finite: its exponent bits are not all ones (infinities and NaN). Tested on the
// bits, not as `abs(x) <= f32 max`: that literal has no exact decimal form that every WGSL
// compiler accepts (Tint refuses 3.40282347e38 as not representable), and a compiler that
// assumes no infinities or NaN (Metal's fast math) may fold a float comparison to true.
fn acrobot_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn acrobot_weighted(w: f32, q1: f32, q2: f32, q3: f32, q4: f32) -> f32 {
    return ((q1 + w * q2) + w * q3) + q4;
}

fn acrobot_reset(p: Params, rng: ptr<function, Rng>) -> State {
    let lo = -p.reset_bound;
    let hi = p.reset_bound;
    var s: State;
    s.theta1 = rng_uniform(rng, lo, hi);
    s.theta2 = rng_uniform(rng, lo, hi);
    s.dtheta1 = rng_uniform(rng, lo, hi);
    s.dtheta2 = rng_uniform(rng, lo, hi);
    return s;
}

fn acrobot_step(p: Params, s: State, a: Action) -> Transition {
    let torque = select(select(p.avail_torque_2, p.avail_torque_1, a.index == 1.0), p.avail_torque_0, a.index == 0.0);
    let c = acrobot_coeffs(p);
    let dt = p.dt;
    let half = dt / RK4_HALF_DIVISOR;
    let k1 = acrobot_dsdt(c, s, torque);
    let k2 = acrobot_dsdt(c, acrobot_advance(s, half, k1), torque);
    let k3 = acrobot_dsdt(c, acrobot_advance(s, half, k2), torque);
    let k4 = acrobot_dsdt(c, acrobot_advance(s, dt, k3), torque);
    let w = RK4_MID_WEIGHT;
    let stp = State(
        acrobot_weighted(w, k1.theta1, k2.theta1, k3.theta1, k4.theta1),
        acrobot_weighted(w, k1.theta2, k2.theta2, k3.theta2, k4.theta2),
        acrobot_weighted(w, k1.dtheta1, k2.dtheta1, k3.dtheta1, k4.dtheta1),
        acrobot_weighted(w, k1.dtheta2, k2.dtheta2, k3.dtheta2, k4.dtheta2),
    );
    var ns = acrobot_advance(s, dt / RK4_FINAL_DIVISOR, stp);
    // An update that overflowed f32 is discarded (see the CPU's comment).
    if (!(acrobot_finite(ns.theta1) && acrobot_finite(ns.theta2) && acrobot_finite(ns.dtheta1) && acrobot_finite(ns.dtheta2))) {
        ns = s;
    }
    let v1 = p.max_vel_1;
    let v2 = p.max_vel_2;
    let next = State(acrobot_wrap(ns.theta1), acrobot_wrap(ns.theta2), clamp_(ns.dtheta1, -v1, v1), clamp_(ns.dtheta2, -v2, v2));
    let height = -cos_(next.theta1) - cos_(next.theta2 + next.theta1);
    let terminated = height > p.terminal_height;
    let reward = select(REWARD_STEP, REWARD_TERMINAL, terminated);
    return Transition(next, reward, terminated);
}

fn acrobot_observe(p: Params, s: State) -> Obs {
    let sc1 = sin_cos(s.theta1);
    let sc2 = sin_cos(s.theta2);
    return Obs(sc1.y, sc1.x, sc2.y, sc2.x, s.dtheta1, s.dtheta2);
}
