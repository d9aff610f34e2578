// Mirrors core/src/envs/cartpole.rs (CartPole-v1), function for function. Params, State (the
// CartPoleState record), Obs and Action are generated from the core's declarations.

fn cartpole_reset(p: Params, rng: ptr<function, Rng>) -> State {
    let lo = -p.reset_bound;
    let hi = p.reset_bound;
    var s: State;
    s.x = rng_uniform(rng, lo, hi);
    s.x_dot = rng_uniform(rng, lo, hi);
    s.theta = rng_uniform(rng, lo, hi);
    s.theta_dot = rng_uniform(rng, lo, hi);
    return s;
}

fn cartpole_step(p: Params, s: State, a: Action) -> Transition {
    // Gymnasium's expressions with the products of constants grouped first and the divisions
    // by total_mass as multiplications, exactly as the CPU step.
    let total_mass = p.masspole + p.masscart;
    let inv_total_mass = 1.0 / total_mass;
    let polemass_length = p.masspole * p.length;
    let force_per_mass = p.force_mag * inv_total_mass;
    let force = select(-force_per_mass, force_per_mass, a.push == 1.0);
    let sc = sin_cos_near_zero(s.theta);
    let sintheta = sc.x;
    let costheta = sc.y;
    let temp = force + (polemass_length * inv_total_mass) * (s.theta_dot * s.theta_dot) * sintheta;
    let denominator = p.length * (4.0 / 3.0) - (p.length * p.masspole * inv_total_mass) * (costheta * costheta);
    let thetaacc = (p.gravity * sintheta - costheta * temp) / denominator;
    let xacc = temp - (polemass_length * inv_total_mass) * thetaacc * costheta;
    // kinematics_integrator = "euler": positions advance with the old velocities.
    let tau = p.tau;
    var next: State;
    next.x = s.x + tau * s.x_dot;
    next.x_dot = s.x_dot + tau * xacc;
    next.theta = s.theta + tau * s.theta_dot;
    next.theta_dot = s.theta_dot + tau * thetaacc;
    let terminated = abs(next.x) > p.x_threshold || abs(next.theta) > p.theta_threshold_radians;
    return Transition(next, 1.0, terminated);
}

fn cartpole_observe(p: Params, s: State) -> Obs {
    return Obs(s.x, s.x_dot, s.theta, s.theta_dot);
}
