// Mirrors core/src/envs/reach3d.rs (Reach3D-v1, fusegym's own env; spec docs/envs/reach3d.md).
// The CPU's V3<L> is vec3<f32> here; every operation is component-wise, so the rounding is the
// same (the norm sums x² + y² + z² left to right, as the CPU does).

fn reach3d_norm(v: vec3<f32>) -> f32 {
    return sqrt((v.x * v.x + v.y * v.y) + v.z * v.z);
}

fn reach3d_clamp3(v: vec3<f32>, lo: vec3<f32>, hi: vec3<f32>) -> vec3<f32> {
    return vec3<f32>(clamp_(v.x, lo.x, hi.x), clamp_(v.y, lo.y, hi.y), clamp_(v.z, lo.z, hi.z));
}

// Rescales v to magnitude `mx` where it is longer, keeping its direction.
fn reach3d_clamp_norm(v: vec3<f32>, mx: f32) -> vec3<f32> {
    let n = reach3d_norm(v);
    let shrink = mx / max_(n, 1.17549435e-38);
    return v * select(1.0, shrink, n > mx);
}

struct Bounds {
    lo: vec3<f32>,
    hi: vec3<f32>,
}

fn reach3d_bounds(p: Params) -> Bounds {
    let h = p.arena_half_width;
    return Bounds(vec3<f32>(-h, -h, p.ground_z), vec3<f32>(h, h, p.ceiling_z));
}

struct Accelerated {
    v: vec3<f32>,
    cmd: vec3<f32>,
}

// Velocity after one step of forces, and the clipped command.
fn reach3d_accelerate(p: Params, s: State, a: Action) -> Accelerated {
    let dt = p.dt;
    let cmd = vec3<f32>(clamp_(a.ax, -1.0, 1.0), clamp_(a.ay, -1.0, 1.0), clamp_(a.az, -1.0, 1.0));
    var acc = cmd * vec3<f32>(p.accel_scale_xy, p.accel_scale_xy, p.accel_scale_z);
    acc = reach3d_clamp_norm(acc, p.max_accel);
    var v = vec3<f32>(s.vx, s.vy, s.vz) * (1.0 - p.momentum_damping) + acc * dt;
    v = vec3<f32>(v.x, v.y, v.z - p.gravity * dt);
    let on_ground = s.z <= p.ground_z;
    let vz = select(v.z, max_(v.z, 0.0), on_ground);
    let grip = select(1.0, 1.0 - p.ground_friction, on_ground);
    v = vec3<f32>(v.x * grip, v.y * grip, vz) * (1.0 - p.air_friction);
    v = v * (1.0 / (1.0 + p.air_drag * dt * reach3d_norm(v)));
    v = reach3d_clamp_norm(v, p.max_vel);
    v = vec3<f32>(v.x, v.y, max_(v.z, -p.terminal_vel_z));
    return Accelerated(v, cmd);
}

fn reach3d_outside(r: f32, lo: f32, hi: f32) -> bool {
    return r < lo || r > hi;
}

fn reach3d_reset(p: Params, rng: ptr<function, Rng>) -> State {
    let h = p.arena_half_width;
    let sm = p.start_margin;
    let gm = p.goal_margin;
    var s: State;
    s.x = rng_uniform(rng, -h + sm, h - sm);
    s.y = rng_uniform(rng, -h + sm, h - sm);
    s.z = rng_uniform(rng, p.ground_z, p.ceiling_z - sm);
    s.vx = 0.0;
    s.vy = 0.0;
    s.vz = 0.0;
    s.goal_x = rng_uniform(rng, -h + gm, h - gm);
    s.goal_y = rng_uniform(rng, -h + gm, h - gm);
    s.goal_z = rng_uniform(rng, p.ground_z + gm, p.ceiling_z - gm);
    return s;
}

fn reach3d_step(p: Params, s: State, a: Action) -> Transition {
    let acc = reach3d_accelerate(p, s, a);
    var v = acc.v;
    let pos = vec3<f32>(s.x, s.y, s.z);
    let goal = vec3<f32>(s.goal_x, s.goal_y, s.goal_z);
    let reached = pos + v * p.dt;
    let b = reach3d_bounds(p);
    let new_pos = reach3d_clamp3(reached, b.lo, b.hi);
    v = vec3<f32>(
        select(v.x, 0.0, reach3d_outside(reached.x, b.lo.x, b.hi.x)),
        select(v.y, 0.0, reach3d_outside(reached.y, b.lo.y, b.hi.y)),
        select(v.z, 0.0, reach3d_outside(reached.z, b.lo.z, b.hi.z)),
    );
    let ex = abs(reached - new_pos);
    let excess = (ex.x + ex.y) + ex.z;
    let prev_dist = reach3d_norm(goal - pos);
    let dist = reach3d_norm(goal - new_pos);
    let reached_goal = dist < p.goal_threshold;
    let next_dist = select(dist, 0.0, reached_goal);
    let reward = p.progress_scale * (prev_dist - p.shaping_gamma * next_dist) + select(0.0, p.goal_bonus, reached_goal)
        - p.step_cost
        - p.wall_penalty * excess
        - p.stamina_penalty * reach3d_norm(acc.cmd);
    let next = State(new_pos.x, new_pos.y, new_pos.z, v.x, v.y, v.z, s.goal_x, s.goal_y, s.goal_z);
    return Transition(next, reward, reached_goal);
}

fn reach3d_observe(p: Params, s: State) -> Obs {
    let b = reach3d_bounds(p);
    let extent = b.hi - b.lo;
    let pos = vec3<f32>(s.x, s.y, s.z);
    // Clipped for states set outside the arena (a no-op inside it; see the CPU's comment).
    let rel = reach3d_clamp3((vec3<f32>(s.goal_x, s.goal_y, s.goal_z) - pos) / extent, vec3<f32>(-1.0), vec3<f32>(1.0));
    let d = pos - b.lo;
    let ab = reach3d_clamp3(
        vec3<f32>(2.0 * d.x / extent.x - 1.0, 2.0 * d.y / extent.y - 1.0, 2.0 * d.z / extent.z - 1.0),
        vec3<f32>(-1.0),
        vec3<f32>(1.0),
    );
    let vel = reach3d_clamp3(vec3<f32>(s.vx / p.max_vel, s.vy / p.max_vel, s.vz / p.max_vel), vec3<f32>(-1.0), vec3<f32>(1.0));
    return Obs(rel.x, rel.y, rel.z, ab.x, ab.y, ab.z, vel.x, vel.y, vel.z);
}
