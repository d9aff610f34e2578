// Mirrors core/src/kernel.rs (rollout_lanes, RolloutLanes) and core/src/policy.rs: many steps
// per dispatch with the policy inside the loop, the env's state in registers. The host
// dispatches at most FLUSH_STEPS (256) steps at a time, so the f32 reward partial sums cover
// the same windows as the CPU's before they are added into the wide accumulators.

fn policy_number(index: u32) -> f32 {
    return bitcast<f32>(input[index]);
}

// Linear weight or bias `index`: shared, or env i's column (core: LinearPolicy::param).
fn linear_param(base: u32, index: u32, i: u32) -> f32 {
    if (ctl.policy_stride == 0u) {
        return policy_number(base + index);
    }
    return policy_number(base + index * ctl.policy_stride + i);
}

// Output o of the linear policy: bias plus the weighted observation, summed in index order.
fn linear_output(x: array<f32, 16>, o: u32, i: u32) -> f32 {
    var acc = linear_param(ctl.policy_bias, o, i);
    for (var k = 0u; k < OBS_DIM; k = k + 1u) {
        acc = acc + linear_param(0u, o * OBS_DIM + k, i) * x[k];
    }
    return acc;
}

// The policy's action (core: LanePolicy::act for Random, Constant and Linear).
fn policy_act(o: Obs, key: u32, elapsed: u32, i: u32) -> Action {
    var v = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
    if (ctl.policy == POLICY_RANDOM) {
        if (ctl.discrete_n != 0u) {
            let bits = action_bits(key, elapsed, 0u, 1u) >> 8u;
            v[0] = f32((bits * ctl.discrete_n) >> 24u);
        } else {
            for (var k = 0u; k < ACTION_DIM; k = k + 1u) {
                v[k] = uniform_bits(action_bits(key, elapsed, k, ACTION_DIM), ctl.act_low[k], ctl.act_high[k]);
            }
        }
    } else if (ctl.policy == POLICY_CONSTANT) {
        for (var k = 0u; k < ACTION_DIM; k = k + 1u) {
            v[k] = policy_number(k);
        }
    } else {
        let x = obs_array(o);
        if (ctl.discrete_n != 0u) {
            var best = linear_output(x, 0u, i);
            var index = 0.0;
            for (var q = 1u; q < ctl.discrete_n; q = q + 1u) {
                let y = linear_output(x, q, i);
                let better = y > best;
                best = select(best, y, better);
                index = select(index, f32(q), better);
            }
            v[0] = index;
        } else {
            for (var k = 0u; k < ACTION_DIM; k = k + 1u) {
                v[k] = clamp_(linear_output(x, k, i), ctl.act_low[k], ctl.act_high[k]);
            }
        }
    }
    return action_from(v);
}

// Adds a window's f32 sum into the (hi, lo) pair with an exact two-sum, so long rollouts keep
// f32's relative precision without f64 (WGSL has none).
fn add_reward(i: u32, x: f32) {
    let hi = bitcast<f32>(stats[STAT_REWARD_HI * ctl.n + i]);
    let lo = bitcast<f32>(stats[STAT_REWARD_LO * ctl.n + i]);
    let s = hi + x;
    let b = s - hi;
    let err = (hi - (s - b)) + (x - b);
    stats[STAT_REWARD_HI * ctl.n + i] = bitcast<u32>(s);
    stats[STAT_REWARD_LO * ctl.n + i] = bitcast<u32>(lo + err);
}

@compute @workgroup_size(64)
fn rollout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = env_of(gid, nwg);
    if (i >= ctl.n) {
        return;
    }
    var p = params_load(i);
    var s = state_load(i);
    var o = obs_load(i);
    var elapsed = counters[i];
    var episode = counters[ctl.n + i];
    let ekey = env_key(ctl.seed_key, ctl.env_offset + i);
    var key = key_of_episode(ekey, episode);
    var reward_sum = 0.0;
    var episodes = 0u;
    var length_sum = 0u;
    var any_reset = false;
    var last: Outcome;
    for (var t = 0u; t < ctl.steps; t = t + 1u) {
        let a = policy_act(o, key, elapsed & ~DONE_BITS, i);
        let out = advance(&p, &s, &elapsed, &episode, ekey, &key, a);
        reward_sum = reward_sum + out.reward;
        if (out.done) {
            episodes = episodes + 1u;
            length_sum = length_sum + out.length;
        }
        any_reset = any_reset || out.reset;
        o = out.obs;
        last = out;
    }
    add_reward(i, reward_sum);
    stats[STAT_EPISODES * ctl.n + i] = stats[STAT_EPISODES * ctl.n + i] + episodes;
    let lo = stats[STAT_LENGTH_LO * ctl.n + i];
    let sum = lo + length_sum;
    stats[STAT_LENGTH_LO * ctl.n + i] = sum;
    stats[STAT_LENGTH_HI * ctl.n + i] = stats[STAT_LENGTH_HI * ctl.n + i] + select(0u, 1u, sum < lo);
    if (ctl.steps > 0u) {
        store_outputs(last, i);
    }
    if (any_reset && ctl.redraw != 0u) {
        store_redrawn(p, i);
    }
    state_store(s, i);
    counters[i] = elapsed;
    counters[ctl.n + i] = episode;
}
