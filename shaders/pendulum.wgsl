// Mirrors core/src/envs/pendulum.rs (Pendulum-v1).

const ROD_INERTIA_DIV: f32 = 3.0;
const ROD_CENTRE_DIV: f32 = 2.0;
// Past this, a step reduces theta by whole turns (THETA_WIND_LIMIT in the Rust file).
const THETA_WIND_LIMIT: f32 = 65536.0;

fn pendulum_reset(p: Params, rng: ptr<function, Rng>) -> State {
    let theta = rng_uniform(rng, -p.x_init, p.x_init);
    let theta_dot = rng_uniform(rng, -p.y_init, p.y_init);
    return State(theta, theta_dot);
}

fn pendulum_step(p: Params, s: State, a: Action) -> Transition {
    let u = clamp_(a.torque, -p.max_torque, p.max_torque);
    // The cost reads the state before the update.
    let th_n = angle_normalize(s.theta);
    let cost = th_n * th_n + p.cost_thdot_coef * (s.theta_dot * s.theta_dot) + p.cost_u_coef * (u * u);
    let gravity = ROD_INERTIA_DIV * p.g / (ROD_CENTRE_DIV * p.l);
    let drive = ROD_INERTIA_DIV / (p.m * (p.l * p.l));
    let sin_th = sin_cos(s.theta).x;
    let dt = p.dt;
    let theta_dot = clamp_(s.theta_dot + (gravity * sin_th + drive * u) * dt, -p.max_speed, p.max_speed);
    // Semi-implicit Euler: the angle advances with the new, clipped velocity.
    var theta = s.theta + theta_dot * dt;
    if (abs(theta) > THETA_WIND_LIMIT) {
        theta = angle_normalize(theta);
    }
    return Transition(State(theta, theta_dot), -cost, false);
}

fn pendulum_observe(p: Params, s: State) -> Obs {
    let sc = sin_cos(s.theta);
    return Obs(sc.y, sc.x, s.theta_dot);
}
