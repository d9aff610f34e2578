"""gymnax CartPole-v1 on JAX's default device (the GPU with a CUDA jax), for
scripts/gpu-device-check.sh: jax.jit of a lax.scan over T steps of jax.vmap(env.step) with
uniform random actions drawn inside the scan, as scripts/compare-peers.py times gymnax on the CPU.
Prints one summary row: gymnax, env, envs, mode, M/s, clock."""

import argparse
import time

import gymnax
import jax
import jax.numpy as jnp

p = argparse.ArgumentParser()
p.add_argument("--envs", type=int, required=True)
p.add_argument("--seconds", type=float, default=0.5)
a = p.parse_args()
n, steps = a.envs, 64

env, params = gymnax.make("CartPole-v1")
vstep = jax.vmap(env.step, in_axes=(0, 0, 0, None))
vreset = jax.vmap(env.reset, in_axes=(0, None))


@jax.jit
def rollout(carry):
    def body(c, _):
        key, state, reward_sum = c
        key, k_act, k_step = jax.random.split(key, 3)
        action = jax.random.randint(k_act, (n,), 0, 2)
        _, state, reward, _, _, _ = vstep(jax.random.split(k_step, n), state, action, params)
        return (key, state, reward_sum + reward), None

    return jax.lax.scan(body, carry, None, length=steps)[0]


key = jax.random.PRNGKey(0)
_, state = jax.jit(vreset)(jax.random.split(key, n), params)
carry = jax.block_until_ready(rollout((key, state, jnp.zeros(n, jnp.float32))))  # compiles
calls, t0 = 0, time.perf_counter()
while calls < 2 or time.perf_counter() - t0 < a.seconds:
    carry = jax.block_until_ready(rollout(carry))
    calls += 1
rate = n * steps * calls / (time.perf_counter() - t0) / 1e6
print(f"gymnax  {'CartPole-v1':<24} {n:<9} {'rollout':<8} {rate:>12.1f} wall   ({jax.devices()[0]})")
