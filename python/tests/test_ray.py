"""The batch sharded over Ray actors equals the one-process batch bit for bit: on a local Ray and
on a two-node cluster simulated on this machine (``ray.cluster_utils.Cluster``). Skipped where
Ray is not installed (``scripts/test-python.sh --with-ray`` installs it; the test command does)."""

import numpy as np
import pytest

ray = pytest.importorskip("ray")
import fusegym  # noqa: E402
import fusegym.ray  # noqa: E402

N = 3000


def check_sharded_equals_unsplit():
    for mode in ("SAME_STEP", "NEXT_STEP"):
        sharded = fusegym.ray.make_vec("CartPole-v1", N, num_shards=2, seed=12, autoreset_mode=mode, actor_options={"num_cpus": 0.5})
        whole = fusegym.make_vec("CartPole-v1", N, seed=12, autoreset_mode=mode)
        a, _ = sharded.reset()
        b, _ = whole.reset()
        np.testing.assert_array_equal(a, b)
        rng = np.random.default_rng(0)
        ends = 0
        for _ in range(120):
            act = rng.integers(0, 2, N)
            x, y = sharded.step(act), whole.step(act)
            for u, v in zip(x[:4], y[:4]):
                np.testing.assert_array_equal(u, v)
            assert set(x[4]) == set(y[4])
            if "final_obs" in y[4]:
                np.testing.assert_array_equal(x[4]["_final_obs"], y[4]["_final_obs"])
                for i in np.flatnonzero(y[4]["_final_obs"]):
                    np.testing.assert_array_equal(x[4]["final_obs"][i], y[4]["final_obs"][i])
            ends += int((y[2] | y[3]).sum())
        s, w = sharded.rollout(400), whole.rollout(400)
        for key in ("reward_sum", "episodes", "length_sum"):
            np.testing.assert_array_equal(s[key], w[key])
        assert ends > 0 and s["episodes"].sum() > 0
        sharded.close()


def test_local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        check_sharded_equals_unsplit()
    finally:
        ray.shutdown()


def test_two_node_cluster():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        cluster.wait_for_nodes()
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        check_sharded_equals_unsplit()
    finally:
        ray.shutdown()
        cluster.shutdown()
