"""Frames are drawn as Gymnasium draws them: compared with Gymnasium's own pygame rendering of the
same state (skipped where pygame is missing; the test command installs it). Gymnasium anti-aliases
edges and fusegym's renderer does not, so shapes are compared with one pixel of slack: nearly every
drawn pixel of each image has a drawn pixel of the same colour class within one pixel in the other."""

import gymnasium as gym
import numpy as np
import pytest

import fusegym
from conftest import GYMNASIUM_IDS

pytest.importorskip("pygame")


def near(mask):
    out = mask.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


@pytest.mark.parametrize("env_id", GYMNASIUM_IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frames_match_gymnasiums(env_id, seed):
    ref = gym.make(env_id, render_mode="rgb_array")
    ref.reset(seed=seed)
    for _ in range(5 * seed):
        ref.step(ref.action_space.sample())
    ref.unwrapped.last_u = None  # Pendulum's torque arrow is not drawn by fusegym
    mine = gym.make(f"fusegym/{env_id}", render_mode="rgb_array")
    mine.reset(seed=0)
    mine.unwrapped.set_state(np.array(ref.unwrapped.state, dtype=np.float64))
    a, b = ref.render(), mine.render()
    assert a.shape == b.shape and b.dtype == np.uint8
    drawn_a, drawn_b = np.any(a < 250, axis=2), np.any(b < 250, axis=2)
    assert drawn_b.sum() > 0.5 * drawn_a.sum()
    assert (drawn_a & ~near(drawn_b)).sum() <= 0.03 * drawn_a.sum()
    assert (drawn_b & ~near(drawn_a)).sum() <= 0.03 * drawn_b.sum()


def test_vector_render_gives_frames_of_the_chosen_envs():
    envs = fusegym.make_vec("CartPole-v1", 20, seed=1, render_mode="rgb_array")
    envs.reset()
    assert envs.render().shape == (16, 400, 600, 3)
    frames = envs.render([3, 19])
    assert frames.shape == (2, 400, 600, 3) and not np.array_equal(frames[0], frames[1])
    assert fusegym.make_vec("CartPole-v1", 2).render() is None
