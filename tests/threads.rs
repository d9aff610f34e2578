//! Many threads give exactly what one thread gives, for every env and thread count.

use fusegym::{make, ActionSpace, Actions, Threads, ENV_IDS};

fn bits(v: &fusegym::StepView<'_>) -> Vec<u32> {
    let mut out: Vec<u32> = v.obs.iter().chain(v.reward).map(|x| x.to_bits()).collect();
    out.extend(v.terminated.iter().chain(v.truncated).map(|&b| b as u32));
    out
}

#[test]
fn threads_match_one_thread_bit_for_bit() {
    let n = 5_000; // several 64-env chunks per thread, and a ragged tail
    for threads in [2, 3, 4] {
        let pool = Threads::new(threads).unwrap();
        for id in ENV_IDS {
            let mut one = make(id, n, 11).unwrap();
            let mut many = make(id, n, 11).unwrap();
            let space = one.action_space();
            let mut s = 12345u32;
            for t in 0..1_500 {
                let mut next = || {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    s >> 8
                };
                let (disc, cont): (Vec<u32>, Vec<f32>) = match space {
                    ActionSpace::Discrete { n: k } => ((0..n).map(|_| next() % k).collect(), vec![]),
                    ActionSpace::Box { dim, low, high } => {
                        (vec![], (0..dim * n).map(|j| low[j / n] + (high[j / n] - low[j / n]) * (next() as f32 / 16_777_216.0)).collect())
                    }
                };
                let acts = if space.is_discrete() { Actions::Discrete(&disc) } else { Actions::Continuous(&cont) };
                let a = bits(&one.step(acts).unwrap());
                let b = bits(&many.step_with(acts, &pool).unwrap());
                assert!(a == b, "{id}: {threads} threads differ from one at step {t}");
            }
            assert_eq!(one.state(), many.state(), "{id}");
        }
    }
}
