// Mirrors the shared part of core/src/envs/mountain_car.rs (`advance`, `at_goal`, HILL_FREQ),
// used by mountain_car.wgsl and mountain_car_continuous.wgsl alike.

const HILL_FREQ: f32 = 3.0;

// Gymnasium's clip velocity, move, clip position, stop at the left wall.
fn mountain_car_advance(s: State, dv: f32, min_position: f32, max_position: f32, max_speed: f32) -> State {
    let velocity = clamp_(s.velocity + dv, -max_speed, max_speed);
    let position = clamp_(s.position + velocity, min_position, max_position);
    let stopped = position == min_position && velocity < 0.0;
    return State(position, select(velocity, 0.0, stopped));
}

// Gymnasium's goal test, on the state after the step.
fn mountain_car_at_goal(s: State, goal_position: f32, goal_velocity: f32) -> bool {
    return s.position >= goal_position && s.velocity >= goal_velocity;
}
