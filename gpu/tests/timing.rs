//! Device timing: where the adapter offers timestamp queries, the GPU time of a timed call is
//! positive and no longer than the wall clock around its submission and wait; where it does
//! not, timing cannot be turned on and no device time is reported.

mod support;

use fusegym_core::{EnvConfig, Policy};
use fusegym_gpu::GpuVecEnv;
use std::time::Instant;

#[test]
fn device_time_lies_inside_the_wall_clock_or_is_absent() {
    let Some(ctx) = support::context() else { return };
    let mut env = GpuVecEnv::new(&ctx, "CartPole-v1", &EnvConfig::new(65_536, 3)).unwrap();
    let on = env.enable_device_timing();
    assert_eq!(on, ctx.timestamps, "timing is on exactly where the device has timestamp queries");
    eprintln!("timestamp queries: {}", if on { "offered" } else { "not offered (wall clock only)" });
    for rollout in [false, true] {
        let t0 = Instant::now();
        if rollout {
            env.submit_rollout(300, Policy::Random).unwrap();
        } else {
            env.step_device_many(16);
        }
        env.context().wait().unwrap();
        let wall = t0.elapsed().as_secs_f64();
        let device = env.last_device_time().unwrap();
        if on {
            let d = device.expect("a timed call reports its device time");
            assert!(d > 0.0 && d <= wall * 1.01, "rollout={rollout}: device {d} s, wall {wall} s");
            eprintln!("rollout={rollout}: device {d:.4} s, wall {wall:.4} s");
        } else {
            assert_eq!(device, None);
        }
        // Read once: a second read has nothing pending.
        assert_eq!(env.last_device_time().unwrap(), None);
    }
}
