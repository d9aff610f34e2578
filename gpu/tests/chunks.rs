//! Chunked batches: a device with a binding limit lowered to 16 KiB (and, in a second device,
//! `max_buffer_size` lowered too, so regions spread over several buffers) must split a batch
//! into chunks and give bit for bit what the same batch gives unchunked on the adapter's own
//! limits: same shader, same adapter, and each chunk's RNG keys use global env indices. Every
//! autoreset mode, a discrete and a continuous env, per-env parameters with ranges redrawn at
//! every reset, host steps, rollouts (Random and a per-env Linear policy), and the readbacks.

mod support;

use fusegym_core::policy::linear_outputs;
use fusegym_core::{Autoreset, EnvConfig, ParamValue, Policy, ENVS};
use fusegym_gpu::{GpuContext, GpuError, GpuVecEnv};
use support::*;

/// Not a multiple of the 64-env chunk granularity: the last chunk is shorter.
const N: usize = 3000;
const STEPS: usize = 70;
const TIME_LIMIT: u32 = 25;
const BINDING: u64 = 16 << 10;

fn config(id: &str, mode: Autoreset) -> EnvConfig {
    let info = ENVS.iter().find(|e| e.id == id).unwrap();
    let d0 = info.params[0].default;
    let d1 = info.params[1].default;
    let column: Vec<f32> = (0..N).map(|i| d0 * (0.9 + 0.2 * (hash(i, 5, 1) >> 8) as f32 / 16_777_216.0)).collect();
    let (lo, hi) = if d1 < 0.0 { (1.1 * d1, 0.9 * d1) } else { (0.9 * d1, 1.1 * d1) };
    EnvConfig {
        autoreset: mode,
        max_episode_steps: Some(TIME_LIMIT),
        params: vec![
            (info.params[0].name.to_string(), ParamValue::PerEnv(column)),
            (info.params[1].name.to_string(), ParamValue::Range { low: lo, high: hi }),
        ],
        redraw_each_episode: true,
        ..EnvConfig::new(N, 21)
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn same_outputs(a: &GpuVecEnv, b: &GpuVecEnv, what: &str) {
    let (x, y) = (a.view(), b.view());
    assert_eq!(bits(&x.obs), bits(&y.obs), "{what}: observations");
    assert_eq!(bits(&x.reward), bits(&y.reward), "{what}: rewards");
    assert_eq!(x.terminated, y.terminated, "{what}: terminated");
    assert_eq!(x.truncated, y.truncated, "{what}: truncated");
    assert_eq!(x.has_final, y.has_final, "{what}: final observation present");
    assert_eq!(bits(&x.final_obs), bits(&y.final_obs), "{what}: final observations");
    assert_eq!(a.episodes().unwrap(), b.episodes().unwrap(), "{what}: episode counters");
    assert_eq!(a.elapsed().unwrap(), b.elapsed().unwrap(), "{what}: step counters");
    assert_eq!(bits(&a.state().unwrap()), bits(&b.state().unwrap()), "{what}: states");
    for i in [0, 1, 63, 64, 1500, N - 1] {
        assert_eq!(bits(&a.env_params(i).unwrap()), bits(&b.env_params(i).unwrap()), "{what}: parameters of env {i}");
    }
}

fn compare(whole: &GpuContext, small: &GpuContext, id: &str, mode: Autoreset) {
    let what = format!("{id} {mode:?}");
    let cfg = config(id, mode);
    let mut a = GpuVecEnv::new(whole, id, &cfg).unwrap();
    let mut b = GpuVecEnv::new(small, id, &cfg).unwrap();
    assert_eq!(a.chunks().len(), 1, "{what}: the adapter's own limits hold the batch in one chunk");
    assert!(b.chunks().len() > 1, "{what}: a 16 KiB binding limit must split the batch");
    assert_eq!(b.chunks().iter().map(|c| c.len).sum::<usize>(), N);
    same_outputs(&a, &b, &format!("{what} after reset"));
    for t in 0..STEPS {
        let actions = HostActions::at(a.action_space(), N, t);
        a.step(actions.as_actions()).unwrap();
        b.step(actions.as_actions()).unwrap();
        if t % 10 == 0 || t == STEPS - 1 {
            same_outputs(&a, &b, &format!("{what} step {t}"));
        }
    }
    let space = a.action_space();
    let (outputs, od) = (linear_outputs(space), a.obs_dim());
    let weights: Vec<f32> = (0..outputs * od * N).map(|j| (hash(j, 8, 9) >> 8) as f32 / 16_777_216.0 - 0.5).collect();
    let bias: Vec<f32> = (0..outputs * N).map(|j| ((hash(j, 6, 7) >> 8) as f32 / 16_777_216.0 - 0.5) * 0.1).collect();
    for (name, policy) in [("random", Policy::Random), ("linear per env", Policy::Linear { weights: &weights, bias: &bias })] {
        // 300 steps: a full 256-step dispatch and a partial one.
        let (x, y) = (a.rollout(300, policy).unwrap(), b.rollout(300, policy).unwrap());
        let w = format!("{what} rollout {name}");
        assert_eq!(x.episodes, y.episodes, "{w}: episodes");
        assert_eq!(x.length_sum, y.length_sum, "{w}: length sums");
        assert_eq!(
            x.reward_sum.iter().map(|r| r.to_bits()).collect::<Vec<_>>(),
            y.reward_sum.iter().map(|r| r.to_bits()).collect::<Vec<_>>(),
            "{w}: reward sums"
        );
        same_outputs(&a, &b, &w);
    }
}

#[test]
fn chunked_batches_match_unchunked_bit_for_bit() {
    let Some(whole) = support::context() else { return };
    let small = whole.with_limits(|l| l.max_storage_buffer_binding_size = BINDING).unwrap();
    for id in ["CartPole-v1", "Pendulum-v1"] {
        for mode in Autoreset::ALL {
            compare(&whole, &small, id, mode);
        }
    }
}

#[test]
fn regions_spread_over_several_buffers_when_one_cannot_hold_them() {
    let Some(whole) = support::context() else { return };
    // 40 KiB buffers hold two 16 KiB regions each: the batch's buffers must be split too.
    let small = whole
        .with_limits(|l| {
            l.max_storage_buffer_binding_size = BINDING;
            l.max_buffer_size = 40 << 10;
        })
        .unwrap();
    let id = "Acrobot-v1";
    for mode in Autoreset::ALL {
        let cfg = config(id, mode);
        let b = GpuVecEnv::new(&small, id, &cfg).unwrap();
        let obs_bytes = (2 * b.obs_dim() * N * 4) as u64;
        assert!(
            b.buffers().obs.size() < obs_bytes,
            "{mode:?}: the obs buffer ({} bytes) must hold only part of the batch",
            b.buffers().obs.size()
        );
        drop(b);
        compare(&whole, &small, id, mode);
    }
}

#[test]
fn a_limit_below_one_chunk_is_a_typed_error() {
    let Some(whole) = support::context() else { return };
    // 64 CartPole envs need 64 x 10 rows x 4 bytes = 2,560 bytes in their largest region.
    let tiny = whole.with_limits(|l| l.max_storage_buffer_binding_size = 1024).unwrap();
    match GpuVecEnv::new(&tiny, "CartPole-v1", &EnvConfig::new(N, 1)) {
        Err(GpuError::TooLarge { limit: 1024, limit_name: "max_storage_buffer_binding_size", .. }) => {}
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("expected TooLarge, got a batch"),
    }
}
