// Mirrors core/src/envs/mountain_car_continuous.rs (MountainCarContinuous-v0); the track is
// mountain_car_track.wgsl.

fn mountain_car_continuous_reset(p: Params, rng: ptr<function, Rng>) -> State {
    return State(rng_uniform(rng, p.reset_low, p.reset_high), 0.0);
}

fn mountain_car_continuous_step(p: Params, s: State, a: Action) -> Transition {
    let force = clamp_(a.force, p.min_action, p.max_action);
    let gravity = p.gravity_term * cos_(HILL_FREQ * s.position);
    let dv = force * p.power - gravity;
    let next = mountain_car_advance(s, dv, p.min_position, p.max_position, p.max_speed);
    let terminated = mountain_car_at_goal(next, p.goal_position, p.goal_velocity);
    // Gymnasium quirk: the action cost uses the unclipped action.
    let bonus = select(0.0, p.goal_reward, terminated);
    let reward = bonus - a.force * a.force * p.action_cost_coef;
    return Transition(next, reward, terminated);
}

fn mountain_car_continuous_observe(p: Params, s: State) -> Obs {
    return Obs(s.position, s.velocity);
}
