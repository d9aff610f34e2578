"""PPO on CartPole-v1 in PyTorch, CleanRL style, on any Gymnasium vector env picked by id.

The env comes from `gymnasium.make_vec(ID, vectorization_mode="vector_entry_point")`, so the same
script trains on fusegym (`--env fusegym/CartPole-v1`, the default) and on Gymnasium's own
numpy-vectorized CartPole (`--env CartPole-v1`): the wall times compare like for like, and the
env's share of each (time inside `step`) is printed beside the learner's.

Gymnasium 1.x's default autoreset is NEXT_STEP: the step after an episode ends returns the next
episode's first observation and ignores its action. That step is no transition of either episode,
so it is masked out of the loss and cuts the advantage recursion (CleanRL's script predates the
mode). Truncation is treated as termination, as in CleanRL.

    pip install torch                       # not installed by the test command
    python python/examples/ppo_cartpole.py  # prints the learning curve; --curve FILE writes it as JSON
"""

from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

import fusegym  # noqa: F401  (registers the fusegym/<id> envs with Gymnasium)

SOLVED = 475.0  # Gymnasium's reward threshold for CartPole-v1


def layer(n_in: int, n_out: int, std: float = np.sqrt(2)) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(lin.weight, std)
    nn.init.constant_(lin.bias, 0.0)
    return lin


class Agent(nn.Module):
    """CleanRL's CartPole agent: separate 64-64 tanh actor and critic."""

    def __init__(self, obs_dim: int, n_actions: int):
        super().__init__()
        self.critic = nn.Sequential(layer(obs_dim, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, 1, 1.0))
        self.actor = nn.Sequential(layer(obs_dim, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, n_actions, 0.01))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)

    def act(self, obs: torch.Tensor, action: torch.Tensor | None = None):
        dist = Categorical(logits=self.actor(obs))
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.value(obs)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="fusegym/CartPole-v1", help="a Gymnasium id with a vector entry point")
    p.add_argument("--num-envs", type=int, default=8)
    p.add_argument("--num-steps", type=int, default=128, help="steps per env per update")
    p.add_argument("--total-steps", type=int, default=500_000, help="budget; training stops once solved")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=2.5e-4)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--minibatches", type=int, default=4)
    p.add_argument("--full-budget", action="store_true", help="train for all of --total-steps even once solved (timing)")
    p.add_argument("--curve", help="write the learning curve (steps, mean return of the last 100 episodes) as JSON")
    return p.parse_args()


def train(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # small networks: threads cost more than they give
    envs = gym.make_vec(args.env, num_envs=args.num_envs, vectorization_mode="vector_entry_point")
    n, t_len = args.num_envs, args.num_steps
    obs_dim = envs.single_observation_space.shape[0]
    agent = Agent(obs_dim, int(envs.single_action_space.n))
    opt = torch.optim.Adam(agent.parameters(), lr=args.lr, eps=1e-5)
    gamma, lam, clip, ent_coef, vf_coef = 0.99, 0.95, 0.2, 0.01, 0.5

    obs_b = torch.zeros((t_len, n, obs_dim))
    act_b = torch.zeros((t_len, n), dtype=torch.long)
    logp_b, rew_b, val_b = (torch.zeros((t_len, n)) for _ in range(3))
    done_b = torch.zeros((t_len, n))  # the step ended an episode
    valid_b = torch.zeros((t_len, n), dtype=torch.bool)  # not NEXT_STEP's reset step

    obs, _ = envs.reset(seed=args.seed)
    obs = torch.as_tensor(np.asarray(obs, dtype=np.float32))
    prev_done = np.zeros(n, dtype=bool)
    ep_return, returns, curve = np.zeros(n), [], []
    env_seconds, steps, start, solved_at = 0.0, 0, time.perf_counter(), None
    updates = args.total_steps // (n * t_len)
    for update in range(updates):
        for g in opt.param_groups:  # CleanRL's linear annealing
            g["lr"] = args.lr * (1.0 - update / updates)
        for t in range(t_len):
            with torch.no_grad():
                action, logp, _, value = agent.act(obs)
            obs_b[t], act_b[t], logp_b[t], val_b[t] = obs, action, logp, value
            valid_b[t] = torch.from_numpy(~prev_done)
            t0 = time.perf_counter()
            next_obs, reward, term, trunc, _ = envs.step(action.numpy())
            env_seconds += time.perf_counter() - t0
            done = np.logical_or(term, trunc)
            rew_b[t] = torch.as_tensor(np.asarray(reward, dtype=np.float32))
            done_b[t] = torch.from_numpy(done.astype(np.float32))
            ep_return += np.where(prev_done, 0.0, reward)
            returns.extend(ep_return[done].tolist())
            ep_return[done] = 0.0
            prev_done = done
            obs = torch.as_tensor(np.asarray(next_obs, dtype=np.float32))
        steps += n * t_len

        with torch.no_grad():  # GAE; a step that ended an episode bootstraps nothing
            adv = torch.zeros((t_len, n))
            next_value, last = agent.value(obs), torch.zeros(n)
            for t in reversed(range(t_len)):
                nonterminal = 1.0 - done_b[t]
                nv = next_value if t == t_len - 1 else val_b[t + 1]
                delta = rew_b[t] + gamma * nv * nonterminal - val_b[t]
                last = delta + gamma * lam * nonterminal * last
                adv[t] = last
            ret = adv + val_b

        keep = valid_b.reshape(-1)
        b_obs, b_act, b_logp = obs_b.reshape(-1, obs_dim)[keep], act_b.reshape(-1)[keep], logp_b.reshape(-1)[keep]
        b_adv, b_ret = adv.reshape(-1)[keep], ret.reshape(-1)[keep]
        size = b_obs.shape[0]  # varies: the masked reset steps are left out
        for _ in range(args.epochs):
            # Equal parts (never a minibatch of one, whose advantage std is undefined).
            for i in torch.tensor_split(torch.randperm(size), args.minibatches):
                _, new_logp, entropy, new_value = agent.act(b_obs[i], b_act[i])
                ratio = (new_logp - b_logp[i]).exp()
                a = b_adv[i]
                a = (a - a.mean()) / (a.std() + 1e-8)
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - clip, 1 + clip)).mean()
                v_loss = 0.5 * ((new_value - b_ret[i]) ** 2).mean()
                loss = pg - ent_coef * entropy.mean() + vf_coef * v_loss
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                opt.step()

        recent = float(np.mean(returns[-100:])) if returns else 0.0
        curve.append((steps, recent))
        wall = time.perf_counter() - start
        print(f"steps {steps:7d}  episodes {len(returns):5d}  mean return (last 100) {recent:6.1f}  ({wall:5.1f} s, env {env_seconds:4.1f} s)")
        if len(returns) >= 100 and recent >= SOLVED and solved_at is None:
            solved_at = (steps, wall)
            if not args.full_budget:
                break
    envs.close()
    wall = time.perf_counter() - start
    return {"env": args.env, "steps": steps, "episodes": len(returns), "mean_return_last_100": curve[-1][1],
            "solved_at_steps": solved_at and solved_at[0], "solved_at_seconds": solved_at and solved_at[1],
            "wall_seconds": wall, "env_seconds": env_seconds, "learner_seconds": wall - env_seconds, "curve": curve}


def main() -> None:
    args = parse()
    result = train(args)
    if args.curve:
        with open(args.curve, "w") as f:
            json.dump(result, f)
    w, e = result["wall_seconds"], result["env_seconds"]
    print(f"{result['env']}: {result['steps']} steps in {w:.1f} s, {e:.1f} s of it in the env's step ({100 * e / w:.0f} %)")
    if result["solved_at_steps"] is None:
        raise SystemExit(f"not solved: mean return {result['mean_return_last_100']:.1f} < {SOLVED} over the last 100 episodes")
    print(f"solved: mean return >= {SOLVED:g} over the last 100 episodes after {result['solved_at_steps']} steps "
          f"({result['solved_at_seconds']:.1f} s)")


if __name__ == "__main__":
    main()
