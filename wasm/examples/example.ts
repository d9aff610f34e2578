// Type-checked by scripts/test-web.sh (tsc --noEmit, strict) against ../js/index.d.ts; also
// the README's example, with types.
import { init, load, VecEnv, type StepResult, type RolloutStats, type EnvInfo } from '../js/index.js';

async function main(): Promise<void> {
  const mod = await init(); // simd128 build where the engine has it, else baseline
  const ids: string[] = mod.envIds;
  const env = new VecEnv('CartPole-v1', 4096, { seed: 42, params: { length: { low: 0.3, high: 0.9 } } });
  const r: StepResult = env.step(new Int32Array(env.numEnvs).fill(1));
  const firstCartX: number = r.obs[0 * env.numEnvs + 0];
  const stats: RolloutStats = env.rollout({ steps: 500, policy: 'random' });
  const returns: number = stats.rewardSum[0];
  const episodes: bigint = stats.episodes[0];
  const w = new Float32Array(2 * env.obsDim);
  env.rollout({ steps: 10, policy: { type: 'linear', weights: w, bias: [0, 0] } });
  env.free();

  const baseline = await load('baseline');
  const pend = new baseline.VecEnv('Pendulum-v1', 8, { autoreset: 'next-step', params: { g: [1, 2, 3, 4, 5, 6, 7, 8] } });
  pend.step(new Float32Array(8));
  const info: EnvInfo = pend.info;
  const lows: number[] = info.action.type === 'box' ? info.action.low : [];
  pend.free();
  console.log(ids, firstCartX, returns, episodes, lows);
}

void main();
