// Mirrors core/src/envs/mountain_car.rs (MountainCar-v0); the track is mountain_car_track.wgsl.

fn mountain_car_reset(p: Params, rng: ptr<function, Rng>) -> State {
    return State(rng_uniform(rng, p.reset_low, p.reset_high), 0.0);
}

fn mountain_car_step(p: Params, s: State, a: Action) -> Transition {
    // The right-hand side summed before it is added, as Python evaluates it.
    let engine = (a.push - 1.0) * p.force;
    let slope = cos_(HILL_FREQ * s.position) * -p.gravity;
    let next = mountain_car_advance(s, engine + slope, p.min_position, p.max_position, p.max_speed);
    let terminated = mountain_car_at_goal(next, p.goal_position, p.goal_velocity);
    return Transition(next, p.step_reward, terminated);
}

fn mountain_car_observe(p: Params, s: State) -> Obs {
    return Obs(s.position, s.velocity);
}
