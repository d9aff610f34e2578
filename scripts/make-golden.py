#!/usr/bin/env python3
"""Record Gymnasium golden trajectories in the schema of tests/golden/README.md.

    scripts/make-golden.py --out DIR --seed S [--files N] [--env ID]...   # standard sets
    scripts/make-golden.py --out DIR --seed S --branches                  # branch-coverage files
    scripts/make-golden.py --port-horizons FILE...                        # float32 ports as witnesses

Standard sets are made like tests/golden/: per env and file 16 episodes of up to 500 steps
with the same mix of initial states (Gymnasium's reset range, wide, at the wall) and action
sequences (uniform, sticky, a noisy feedback controller, continuous actions outside the box),
each episode written as `gymnasium.make(id)`, `reset(seed=0)`, the initial state assigned to
`env.unwrapped.state`, then `env.step` until termination, truncation or T steps. Each file's
random stream is `numpy.random.default_rng([seed, env_index, file])`, so a seed gives the same
files on any machine with the same Gymnasium and NumPy. Files go to
DIR/<env_id>.json (one file) or DIR/<env_id>.<k>.json (--files N > 1).

--branches writes DIR/<env_id>.json for CartPole-v1, Acrobot-v1, MountainCarContinuous-v0 and
MountainCar-v0: scripted episodes that reach what tests/golden/<env_id>.json never does
(CartPole's |x| > 2.4 termination, Acrobot's velocity clipping, MountainCarContinuous's left
wall, speed limit and 999-step time limit, MountainCar's speed limit). tests/golden/branches/ holds such a recording.

--port-horizons replays golden files through float32 ports of Gymnasium's envs (NumPy float32
scalars, Gymnasium's operation order) from each episode's initial state with the recorded
actions, and prints for each episode how many steps the port follows the record by the rule
`fusegym validate` uses (observations and reward within 1e-3 * M, flags identical): a witness
of how long an implementation as exact as a faithful float32 port can follow the record.

Without --no-venv the script first creates a throwaway virtual environment (--venv, default a
temporary directory), installs Gymnasium from PyPI into it (--gymnasium, default
gymnasium==1.4.0, the version of tests/golden/) and reruns itself there.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile

ENV_IDS = ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "Acrobot-v1"]
T_STANDARD = 500

# The mix of tests/golden/ (init_kind, action_kind), episode by episode.
PLANS = {
    "CartPole-v1": [("reset", "uniform")] * 5 + [("wide", "uniform")] * 4 + [("reset", "sticky")]
    + [("reset", "controller")] * 4 + [("wide", "controller")] * 2,
    "MountainCar-v0": [("reset", "uniform")] * 3 + [("wide", "uniform")] * 3 + [("reset", "sticky")] * 2
    + [("wide", "sticky")] * 2 + [("reset", "controller")] * 3 + [("wide", "controller")] * 2 + [("wall", "uniform")],
    "MountainCarContinuous-v0": [("reset", "uniform")] * 3 + [("wide", "uniform")] * 2 + [("reset", "sticky")] * 2
    + [("wide", "sticky")] + [("reset", "controller")] * 3 + [("wide", "controller")] * 2 + [("wall", "uniform")]
    + [("reset", "out_of_range"), ("wide", "out_of_range")],
    "Pendulum-v1": [("reset", "uniform")] * 5 + [("wide", "uniform")] * 4 + [("reset", "sticky")] * 2
    + [("wide", "sticky")] * 2 + [("reset", "out_of_range")] * 2 + [("wide", "out_of_range")],
    "Acrobot-v1": [("reset", "uniform")] * 4 + [("wide", "uniform")] * 3 + [("reset", "sticky")] * 3
    + [("reset", "controller")] * 4 + [("wide", "controller")] * 2,
}

DTYPE_NOTES = {
    "CartPole-v1": "Internal state is a float64 ndarray [x, x_dot, theta, theta_dot]; the update is computed in "
    "float64 (np.cos/np.sin, explicit Euler since kinematics_integrator='euler'). obs = state cast to float32. "
    "reward is 1.0 on every step including the terminating one (sutton_barto_reward=False).",
    "MountainCar-v0": "Internal state is (position, velocity) float64 (Gymnasium stores a tuple after step). Update "
    "in float64 with math.cos: velocity += (action-1)*force + cos(3*position)*(-gravity), i.e. the right-hand side "
    "is summed first; then clip velocity, position += velocity, clip position, and velocity = 0 if position == "
    "min_position and velocity < 0. obs = state cast to float32. reward -1.0 every step.",
    "MountainCarContinuous-v0": "Gymnasium stores the state as a float32 ndarray after every step, and the "
    "arithmetic is mixed: force = min(max(action[0], -1.0), 1.0) is a float32 scalar (or exactly +-1.0), "
    "force*power - 0.0025*math.cos(3*position) is evaluated in float32 (NumPy 2 promotion: float32 op Python "
    "float -> float32), math.cos itself in float64. The initial state is float64 (as reset() makes it), so the "
    "first step's velocity/position additions happen in float64 and are then rounded to float32. obs == state "
    "(float32). reward = (100.0 if terminated else 0) - action[0]**2 * 0.1 in float64, using the UNclipped action.",
    "Pendulum-v1": "Internal state is a float64 ndarray [theta, theta_dot]; theta is never wrapped (angle_normalize "
    "is used only in the cost). The action is a float32 array of shape (1,); u = clip(action, -2, 2)[0] is a "
    "float32 scalar, so under NumPy 2 promotion the terms 0.001*(u**2) and 3.0/(m*l**2)*u are computed in float32 "
    "and then added to float64 terms. obs = [cos(theta), sin(theta), theta_dot] cast to float32. reward = "
    "-(angle_normalize(theta)**2 + 0.1*theta_dot**2 + 0.001*u**2) using the state BEFORE the step and the clipped u.",
    "Acrobot-v1": "Internal state is [theta1, theta2, dtheta1, dtheta2]. reset() produces a float32 ndarray; here "
    "the initial state is likewise assigned as a float32 ndarray (values exactly representable in float32). After "
    "the first step the state is a float64 ndarray (np.append with the torque promotes to float64; rk4 works in "
    "float64 with math.sin/cos). After integration theta1, theta2 are wrapped into [-pi, pi] by repeated +-2pi and "
    "dtheta1, dtheta2 clipped to +-MAX_VEL_1, +-MAX_VEL_2. obs = [cos t1, sin t1, cos t2, sin t2, dt1, dt2] cast "
    "to float32. terminated = -cos(t1) - cos(t2 + t1) > 1.0; reward = 0.0 if terminated else -1.0. "
    "torque_noise_max = 0 so the step is deterministic.",
}


# ----------------------------------------------------------------------------- bootstrap
def bootstrap(args):
    """Reruns this script inside a fresh venv with Gymnasium from PyPI."""
    venv = args.venv or tempfile.mkdtemp(prefix="fusegym-golden-venv-")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"creating venv {venv}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", args.gymnasium])
    argv = [py, os.path.abspath(__file__), "--no-venv"] + sys.argv[1:]
    os.execv(py, argv)


# ----------------------------------------------------------------------------- header
def constants(env_id, u):
    if env_id == "CartPole-v1":
        names = ["gravity", "masscart", "masspole", "total_mass", "length", "polemass_length", "force_mag", "tau",
                 "kinematics_integrator", "theta_threshold_radians", "x_threshold"]
        c = {n: getattr(u, n) for n in names}
        c["sutton_barto_reward"] = bool(u._sutton_barto_reward)
        return c
    if env_id == "MountainCar-v0":
        return {n: getattr(u, n) for n in ["min_position", "max_position", "max_speed", "goal_position", "goal_velocity",
                                           "force", "gravity"]}
    if env_id == "MountainCarContinuous-v0":
        c = {n: getattr(u, n) for n in ["min_action", "max_action", "min_position", "max_position", "max_speed",
                                        "goal_position", "goal_velocity", "power"]}
        # Literals in Gymnasium's step.
        c["code_constants"] = {"gravity_term": 0.0025, "goal_reward": 100.0, "action_cost_coef": 0.1}
        return c
    if env_id == "Pendulum-v1":
        c = {n: getattr(u, n) for n in ["max_speed", "max_torque", "dt", "g", "m", "l"]}
        c["code_constants"] = {"cost_thdot_coef": 0.1, "cost_u_coef": 0.001}
        return c
    if env_id == "Acrobot-v1":
        c = {n: getattr(u, n) for n in ["dt", "LINK_LENGTH_1", "LINK_LENGTH_2", "LINK_MASS_1", "LINK_MASS_2",
                                        "LINK_COM_POS_1", "LINK_COM_POS_2", "LINK_MOI", "MAX_VEL_1", "MAX_VEL_2"]}
        c["AVAIL_TORQUE"] = [float(x) for x in u.AVAIL_TORQUE]
        c["torque_noise_max"] = float(u.torque_noise_max)
        c["book_or_nips"] = u.book_or_nips
        c["integrator"] = ("rk4: one classical 4th-order Runge-Kutta step over t in [0, dt] "
                           "(gymnasium.envs.classic_control.acrobot.rk4 with t=[0, dt])")
        c["code_constants"] = {"g": 9.8, "terminal_height": 1.0}
        return c
    raise ValueError(env_id)


def action_header(env):
    import numpy as np
    sp = env.action_space
    if hasattr(sp, "n"):
        return {"type": "discrete", "n": int(sp.n), "json": "integer in [0, n)"}
    return {"type": "box", "shape": list(sp.shape), "low": [float(x) for x in sp.low], "high": [float(x) for x in sp.high],
            "dtype": str(np.dtype(sp.dtype)),
            "json": "one number per step: the float32 value a, passed to env.step as np.array([a], dtype=float32)"}


# ----------------------------------------------------------------------------- episodes
def initial_state(env_id, kind, rng):
    """The state an episode starts from, as Gymnasium's reset would type it."""
    import numpy as np
    u = rng.uniform
    if env_id == "CartPole-v1":
        s = u(-0.05, 0.05, 4) if kind == "reset" else np.array([u(-2.0, 2.0), u(-1.5, 1.5), u(-0.1, 0.1), u(-1.5, 1.5)])
        return np.array(s, dtype=np.float64)
    if env_id in ("MountainCar-v0", "MountainCarContinuous-v0"):
        if kind == "reset":
            s = [u(-0.6, -0.4), 0.0]
        elif kind == "wide":
            s = [u(-1.0, 0.3), u(-0.05, 0.05)]
        else:  # "wall": at the left wall, rolling into it
            s = [-1.2, u(-0.04, 0.0)]
        return np.array(s, dtype=np.float64)
    if env_id == "Pendulum-v1":
        s = [u(-math.pi, math.pi), u(-1.0, 1.0)] if kind == "reset" else [u(-8.0, 8.0), u(-7.5, 7.5)]
        return np.array(s, dtype=np.float64)
    if env_id == "Acrobot-v1":
        if kind == "reset":
            s = u(-0.1, 0.1, 4)
        else:
            s = [u(-math.pi, math.pi), u(-math.pi, math.pi), u(-6.0, 6.0), u(-12.0, 12.0)]
        return np.array(s, dtype=np.float32)
    raise ValueError(env_id)


class Actions:
    """Chooses the action of each step from the episode's action kind and the current state."""

    def __init__(self, env_id, kind, env, rng):
        import numpy as np
        self.np = np
        self.env_id, self.kind, self.rng = env_id, kind, rng
        sp = env.action_space
        self.discrete = hasattr(sp, "n")
        self.n = int(sp.n) if self.discrete else 0
        self.low = 0.0 if self.discrete else float(sp.low[0])
        self.high = 0.0 if self.discrete else float(sp.high[0])
        self.prev = None

    def random(self):
        if self.discrete:
            return int(self.rng.integers(self.n))
        return float(self.np.float32(self.rng.uniform(self.low, self.high)))

    def __call__(self, s):
        k = self.kind
        if k == "uniform":
            a = self.random()
        elif k == "sticky":
            a = self.prev if self.prev is not None and self.rng.random() < 0.95 else self.random()
        elif k == "out_of_range":
            a = float(self.np.float32(self.rng.uniform(2 * self.low, 2 * self.high)))
        elif k == "controller":
            a = self.random() if self.rng.random() < 0.2 else self.controller(s)
        else:
            raise ValueError(k)
        self.prev = a
        return a

    def controller(self, s):
        e = self.env_id
        if e == "CartPole-v1":  # PD balance
            return int(s[2] + 0.5 * s[3] + 0.05 * s[0] + 0.1 * s[1] > 0)
        if e == "MountainCar-v0":  # push along the velocity (energy pumping)
            return 2 if s[1] >= 0 else 0
        if e == "MountainCarContinuous-v0":
            mag = self.rng.uniform(0.3, 1.0)
            return float(self.np.float32(mag if s[1] >= 0 else -mag))
        if e == "Acrobot-v1":  # torque along the first joint's velocity
            return 2 if s[2] >= 0 else 0
        raise ValueError(e)


def observe(u, env_id):
    import numpy as np
    if env_id == "Pendulum-v1":
        return u._get_obs()
    if env_id == "Acrobot-v1":
        return u._get_ob()
    return np.array(u.state, dtype=np.float32)


def record(gym, env_id, state, policy, T, meta):
    """One episode: `policy(state) -> action`, recorded until termination, truncation or T steps."""
    import numpy as np
    env = gym.make(env_id)
    env.reset(seed=0)
    u = env.unwrapped
    u.state = state
    ep = dict(meta)
    ep.update(initial_state=[float(x) for x in state], initial_obs=[float(x) for x in observe(u, env_id)],
              actions=[], obs=[], rewards=[], terminated=[], truncated=[], states=[])
    discrete = hasattr(env.action_space, "n")
    end = "T"
    for _ in range(T):
        a = policy(np.array(u.state, dtype=np.float64))
        obs, r, term, trunc, _ = env.step(a if discrete else np.array([a], dtype=np.float32))
        ep["actions"].append(a)
        ep["obs"].append([float(x) for x in obs])
        ep["rewards"].append(float(r))
        ep["terminated"].append(bool(term))
        ep["truncated"].append(bool(trunc))
        ep["states"].append([float(x) for x in u.state])
        if term or trunc:
            end = "terminated" if term else "truncated"
            break
    ep["length"] = len(ep["actions"])
    ep["end"] = end
    env.close()
    return ep


def coverage(env_id, episodes):
    c = {"episodes": len(episodes), "steps": sum(e["length"] for e in episodes),
         "terminated": sum(e["end"] == "terminated" for e in episodes),
         "truncated": sum(e["end"] == "truncated" for e in episodes),
         "stopped_at_T": sum(e["end"] == "T" for e in episodes)}
    steps = [(e, t) for e in episodes for t in range(e["length"])]
    if env_id == "CartPole-v1":
        c["terminated_by_x"] = sum(e["end"] == "terminated" and abs(e["states"][-1][0]) > 2.4 for e in episodes)
        c["terminated_by_theta"] = c["terminated"] - c["terminated_by_x"]
    elif env_id in ("MountainCar-v0", "MountainCarContinuous-v0"):
        wall = float(__import__("numpy").float32(-1.2)) if env_id == "MountainCarContinuous-v0" else -1.2
        vmax = float(__import__("numpy").float32(0.07)) if env_id == "MountainCarContinuous-v0" else 0.07
        c["steps_at_left_wall"] = sum(e["states"][t][0] == wall and e["states"][t][1] == 0 for e, t in steps)
        c["steps_at_speed_limit"] = sum(abs(e["states"][t][1]) == vmax for e, t in steps)
    elif env_id == "Pendulum-v1":
        c["steps_at_speed_limit"] = sum(abs(e["states"][t][1]) == 8.0 for e, t in steps)
        c["max_abs_theta"] = max(abs(s[0]) for e in episodes for s in e["states"])
    elif env_id == "Acrobot-v1":
        c["steps_at_vel1_limit"] = sum(abs(e["states"][t][2]) == 4 * math.pi for e, t in steps)
        c["steps_at_vel2_limit"] = sum(abs(e["states"][t][3]) == 9 * math.pi for e, t in steps)
    return c


def header(gym, env_id, set_name, seed, T, K):
    import numpy as np
    env = gym.make(env_id)
    env.reset(seed=0)
    u = env.unwrapped
    obs_dim = int(env.observation_space.shape[0])
    h = {"schema_version": 1, "set": set_name, "env_id": env_id, "gymnasium_version": gym.__version__,
         "numpy_version": np.__version__, "python_version": platform.python_version(),
         "platform": f"{platform.system()} {platform.machine()}", "generator": "make-golden.py", "rng_seed": seed,
         "max_episode_steps": int(env.spec.max_episode_steps), "T": T, "K": K,
         "state_dim": len(np.asarray(u.state)), "obs_dim": obs_dim, "obs_dtype": "float32",
         "action": action_header(env), "constants": constants(env_id, u), "dtype_notes": DTYPE_NOTES[env_id]}
    env.close()
    return h


def write(path, h, episodes):
    h["coverage"] = coverage(h["env_id"], episodes)
    with open(path, "w") as f:
        json.dump({"header": h, "episodes": episodes}, f, separators=(",", ":"))
    print(f"{path}: {len(episodes)} episodes, {h['coverage']}", file=sys.stderr)


def standard_file(gym, env_id, seed, k, T):
    import numpy as np
    rng_seed = [seed, ENV_IDS.index(env_id), k]
    rng = np.random.default_rng(rng_seed)
    env = gym.make(env_id)
    episodes = []
    for i, (init_kind, action_kind) in enumerate(PLANS[env_id]):
        state = initial_state(env_id, init_kind, rng)
        policy = Actions(env_id, action_kind, env, rng)
        meta = {"index": i, "init_kind": init_kind, "action_kind": action_kind,
                "actions_in_space": action_kind != "out_of_range"}
        episodes.append(record(gym, env_id, state, policy, T, meta))
    env.close()
    return header(gym, env_id, "held-out", rng_seed, T, len(episodes)), episodes


# ----------------------------------------------------------------------------- branch coverage
def branches(gym, seed):
    """Scripted episodes that reach the branches the standard sets do not (see module doc)."""
    import numpy as np
    rng = np.random.default_rng([seed, 99])
    out = {}

    def search(env_id, tries, make, hits, want, T):
        eps = []
        for _ in range(tries):
            state, policy, meta = make()
            ep = record(gym, env_id, state, policy, T, meta)
            if hits(ep):
                ep["index"] = len(eps)
                eps.append(ep)
                if len(eps) == want:
                    break
        return eps

    # CartPole: a balancing controller that holds the pole leaning, so the cart accelerates
    # until it leaves the track (|x| > 2.4) with the pole still up.
    def cp():
        lean = rng.choice([-1, 1]) * rng.uniform(0.01, 0.04)
        state = np.array(rng.uniform(-0.05, 0.05, 4), dtype=np.float64)
        policy = lambda s: int((s[2] - lean) + 0.5 * s[3] > 0)
        return state, policy, {"index": 0, "init_kind": "reset", "action_kind": "drifting_balance", "actions_in_space": True}

    def cp_x(ep):
        return ep["end"] == "terminated" and abs(ep["states"][-1][0]) > 2.4 and abs(ep["states"][-1][2]) < 0.2

    out["CartPole-v1"] = search("CartPole-v1", 200, cp, cp_x, 3, T_STANDARD)

    # Acrobot: energy pumping (torque along each joint's velocity) from fast wide starts, kept
    # when a step ends with a velocity clipped to MAX_VEL_1 or MAX_VEL_2.
    def ac(target):
        def make():
            s = [rng.uniform(-math.pi, math.pi), rng.uniform(-math.pi, math.pi), 0.0, 0.0]
            if target == 1:
                s[2] = rng.choice([-1, 1]) * rng.uniform(11.0, 12.5)
            else:
                s[3] = rng.choice([-1, 1]) * rng.uniform(26.0, 28.2)
            state = np.array(s, dtype=np.float32)
            j = 1 + target
            policy = lambda st: 2 if st[j] >= 0 else 0
            return state, policy, {"index": 0, "init_kind": "fast", "action_kind": f"pump_joint{target}", "actions_in_space": True}
        return make

    def ac_hit(target):
        lim = 4 * math.pi if target == 1 else 9 * math.pi
        return lambda ep: any(abs(s[1 + target]) == lim for s in ep["states"])

    out["Acrobot-v1"] = search("Acrobot-v1", 500, ac(1), ac_hit(1), 2, T_STANDARD) + \
        search("Acrobot-v1", 500, ac(2), ac_hit(2), 2, T_STANDARD)
    for i, ep in enumerate(out["Acrobot-v1"]):
        ep["index"] = i

    # MountainCarContinuous: start up the right hill rolling left, full throttle left: the
    # speed limit in the valley, then the left wall; then stay pinned there (throttle left with
    # noise) until the 999-step time limit.
    def mcc():
        state = np.array([rng.uniform(0.2, 0.4), rng.uniform(-0.06, -0.03)], dtype=np.float64)
        policy = lambda s: float(np.float32(-1.0 + 0.5 * rng.random()))
        return state, policy, {"index": 0, "init_kind": "right_hill", "action_kind": "push_left", "actions_in_space": True}

    f32 = lambda x: float(np.float32(x))

    def mcc_hit(ep):
        wall = any(s[0] == f32(-1.2) and s[1] == 0 for s in ep["states"])
        speed = any(abs(s[1]) == f32(0.07) for s in ep["states"])
        return wall and speed and ep["end"] == "truncated"

    out["MountainCarContinuous-v0"] = search("MountainCarContinuous-v0", 50, mcc, mcc_hit, 1, 999)

    # MountainCar-v0: the same ride with the discrete engine (left, with some coasting).
    def mc():
        state = np.array([rng.uniform(0.3, 0.45), rng.uniform(-0.07, -0.05)], dtype=np.float64)
        policy = lambda s: 0 if rng.random() < 0.9 else 1
        return state, policy, {"index": 0, "init_kind": "right_hill", "action_kind": "push_left", "actions_in_space": True}

    def mc_hit(ep):
        return any(s[0] == -1.2 and s[1] == 0 for s in ep["states"]) and any(abs(s[1]) == 0.07 for s in ep["states"])

    out["MountainCar-v0"] = search("MountainCar-v0", 200, mc, mc_hit, 1, T_STANDARD)
    return {k: v for k, v in out.items() if v}


# ----------------------------------------------------------------------------- float32 ports (witnesses)
def acrobot_f32_step(s, torque):
    """One step of Gymnasium's Acrobot ("book" dynamics, rk4 over [0, dt]) in float32."""
    import numpy as np
    f = np.float32
    m1 = m2 = l1 = I1 = I2 = f(1.0)
    lc1 = lc2 = f(0.5)
    g = f(9.8)
    pi = f(math.pi)
    dt = f(0.2)

    def dsdt(y):
        theta1, theta2, dtheta1, dtheta2, a = y
        d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + f(2) * l1 * lc2 * np.cos(theta2)) + I1 + I2
        d2 = m2 * (lc2 ** 2 + l1 * lc2 * np.cos(theta2)) + I2
        phi2 = m2 * lc2 * g * np.cos(theta1 + theta2 - pi / f(2.0))
        phi1 = (-m2 * l1 * lc2 * dtheta2 ** 2 * np.sin(theta2)
                - f(2) * m2 * l1 * lc2 * dtheta2 * dtheta1 * np.sin(theta2)
                + (m1 * lc1 + m2 * l1) * g * np.cos(theta1 - pi / f(2))
                + phi2)
        ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * np.sin(theta2) - phi2) / (
            m2 * lc2 ** 2 + I2 - d2 ** 2 / d1)
        ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return np.array([dtheta1, dtheta2, ddtheta1, ddtheta2, f(0.0)], dtype=np.float32)

    y0 = np.array(list(s) + [torque], dtype=np.float32)
    dt2 = dt / f(2.0)
    k1 = dsdt(y0)
    k2 = dsdt(y0 + dt2 * k1)
    k3 = dsdt(y0 + dt2 * k2)
    k4 = dsdt(y0 + dt * k3)
    y = y0 + dt / f(6.0) * (k1 + f(2) * k2 + f(2) * k3 + k4)
    ns = [y[0], y[1], y[2], y[3]]
    two_pi = pi - (-pi)
    for i in (0, 1):
        while ns[i] > pi:
            ns[i] = ns[i] - two_pi
        while ns[i] < -pi:
            ns[i] = ns[i] + two_pi
    ns[2] = min(max(ns[2], -f(4 * math.pi)), f(4 * math.pi))
    ns[3] = min(max(ns[3], -f(9 * math.pi)), f(9 * math.pi))
    ns = [f(x) for x in ns]
    obs = [np.cos(ns[0]), np.sin(ns[0]), np.cos(ns[1]), np.sin(ns[1]), ns[2], ns[3]]
    terminated = bool(-np.cos(ns[0]) - np.cos(ns[1] + ns[0]) > f(1.0))
    reward = 0.0 if terminated else -1.0
    return ns, [float(x) for x in obs], reward, terminated


def cartpole_f32_step(s, action):
    """Gymnasium's CartPole step (Euler) in float32."""
    import numpy as np
    f = np.float32
    gravity, masscart, masspole, length, force_mag, tau = f(9.8), f(1.0), f(0.1), f(0.5), f(10.0), f(0.02)
    total_mass = masspole + masscart
    polemass_length = masspole * length
    x, x_dot, theta, theta_dot = s
    force = force_mag if action == 1 else -force_mag
    costheta, sintheta = np.cos(theta), np.sin(theta)
    temp = (force + polemass_length * np.square(theta_dot) * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (f(4.0 / 3.0) - masspole * np.square(costheta) / total_mass))
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x = x + tau * x_dot
    x_dot = x_dot + tau * xacc
    theta = theta + tau * theta_dot
    theta_dot = theta_dot + tau * thetaacc
    ns = [f(x), f(x_dot), f(theta), f(theta_dot)]
    thr = f(12 * 2 * math.pi / 360)
    terminated = bool(ns[0] < -f(2.4) or ns[0] > f(2.4) or ns[2] < -thr or ns[2] > thr)
    return ns, [float(v) for v in ns], 1.0, terminated


def mountain_car_f32_step(s, action, continuous):
    """Gymnasium's MountainCar(Continuous) step in float32."""
    import numpy as np
    f = np.float32
    position, velocity = s
    max_speed, min_position, max_position = f(0.07), f(-1.2), f(0.6)
    if continuous:
        force = min(max(f(action), f(-1.0)), f(1.0))
        velocity = velocity + (force * f(0.0015) - f(0.0025) * np.cos(f(3) * position))
    else:
        velocity = velocity + ((f(action) - f(1)) * f(0.001) + np.cos(f(3) * position) * (-f(0.0025)))
    velocity = min(max(velocity, -max_speed), max_speed)
    position = position + velocity
    position = min(max(position, min_position), max_position)
    if position == min_position and velocity < 0:
        velocity = f(0)
    goal = f(0.45) if continuous else f(0.5)
    terminated = bool(position >= goal and velocity >= 0)
    if continuous:
        reward = float((f(100.0) if terminated else f(0)) - f(action) ** 2 * f(0.1))
    else:
        reward = -1.0
    ns = [f(position), f(velocity)]
    return ns, [float(v) for v in ns], reward, terminated


def pendulum_f32_step(s, action):
    """Gymnasium's Pendulum step in float32."""
    import numpy as np
    f = np.float32
    th, thdot = s
    g, m, l, dt = f(10.0), f(1.0), f(1.0), f(0.05)
    u = min(max(f(action), f(-2.0)), f(2.0))
    pi = f(math.pi)
    norm = np.fmod(th + pi, f(2) * pi)
    norm = (norm + f(2) * pi if norm < 0 else norm) - pi
    costs = norm ** 2 + f(0.1) * thdot ** 2 + f(0.001) * (u ** 2)
    newthdot = thdot + (f(3) * g / (f(2) * l) * np.sin(th) + f(3.0) / (m * l ** 2) * u) * dt
    newthdot = min(max(newthdot, f(-8)), f(8))
    newth = th + newthdot * dt
    ns = [f(newth), f(newthdot)]
    return ns, [float(np.cos(ns[0])), float(np.sin(ns[0])), float(ns[1])], float(-costs), False


PORTS = {
    "CartPole-v1": cartpole_f32_step,
    "MountainCar-v0": lambda s, a: mountain_car_f32_step(s, a, False),
    "MountainCarContinuous-v0": lambda s, a: mountain_car_f32_step(s, a, True),
    "Pendulum-v1": pendulum_f32_step,
    "Acrobot-v1": lambda s, a: acrobot_f32_step(s, __import__("numpy").float32(a - 1.0)),
}


def port_horizons(paths):
    """For each episode: how long the float32 port follows the record, by validate's rule."""
    import numpy as np
    with np.errstate(all="ignore"):
        for path in paths:
            d = json.load(open(path))
            step = PORTS[d["header"]["env_id"]]
            for e, ep in enumerate(d["episodes"]):
                s = [np.float32(x) for x in ep["initial_state"]]
                followed = ep["length"]
                for t in range(ep["length"]):
                    s, obs, r, term = step(s, ep["actions"][t])
                    trunc = t + 1 >= d["header"]["max_episode_steps"]
                    m = max([1.0, abs(ep["rewards"][t])] + [abs(x) for x in ep["obs"][t]])
                    same = (all(abs(a - b) <= 1e-3 * m for a, b in zip(obs, ep["obs"][t]))
                            and term == ep["terminated"][t] and trunc == ep["truncated"][t]
                            and abs(r - ep["rewards"][t]) <= 1e-3 * m)
                    if not same:
                        followed = t
                        break
                print(f"{path} episode {e}: float32 port followed {followed} of {ep['length']} steps")


# ----------------------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", help="output directory (created)")
    p.add_argument("--seed", type=int, help="seed of the random streams")
    p.add_argument("--files", type=int, default=1, help="files per env (16 episodes each)")
    p.add_argument("--env", action="append", choices=ENV_IDS, help="env to record (default: all five)")
    p.add_argument("--branches", action="store_true", help="record the branch-coverage episodes instead")
    p.add_argument("--port-horizons", nargs="+", metavar="FILE", help="replay golden files through float32 ports of Gymnasium's envs")
    p.add_argument("--venv", help="virtual environment to create or reuse (default: a temporary one)")
    p.add_argument("--gymnasium", default="gymnasium==1.4.0", help="pip requirement for Gymnasium")
    p.add_argument("--no-venv", action="store_true", help="use the running Python as it is")
    args = p.parse_args()
    if not args.no_venv:
        bootstrap(args)
    if args.port_horizons:
        port_horizons(args.port_horizons)
        return
    if args.out is None or args.seed is None:
        p.error("--out and --seed are required")
    import gymnasium as gym
    os.makedirs(args.out, exist_ok=True)
    if args.branches:
        for env_id, episodes in branches(gym, args.seed).items():
            T = max(e["length"] for e in episodes)
            h = header(gym, env_id, "branches", [args.seed, 99], T, len(episodes))
            write(os.path.join(args.out, f"{env_id}.json"), h, episodes)
        return
    for env_id in args.env or ENV_IDS:
        for k in range(args.files):
            h, episodes = standard_file(gym, env_id, args.seed, k, T_STANDARD)
            name = f"{env_id}.json" if args.files == 1 else f"{env_id}.{k:03}.json"
            write(os.path.join(args.out, name), h, episodes)


if __name__ == "__main__":
    main()
