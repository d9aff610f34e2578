// Type-checked by scripts/test-web.sh (tsc --noEmit, strict) against ../js/index.d.ts; also
// the README's example, with types.
import { init, load, VecEnv, GpuVecEnv, webgpuSupported, type StepResult, type RolloutStats, type EnvInfo, type GpuState, type Trajectory } from '../js/index.js';

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
  const rec: Trajectory = env.rollout({ steps: 20, policy: 'random', record: true }).trajectory;
  const firstAction: number = rec.actions ? rec.actions[0] : -1; // [steps][actionDim][numEnvs]
  const lastReward: number = rec.rewards[19 * env.numEnvs + 0];
  env.free();

  const baseline = await load('baseline');
  const pend = new baseline.VecEnv('Pendulum-v1', 8, { autoreset: 'next-step', params: { g: [1, 2, 3, 4, 5, 6, 7, 8] } });
  pend.step(new Float32Array(8));
  const info: EnvInfo = pend.info;
  const lows: number[] = info.action.type === 'box' ? info.action.low : [];
  pend.free();
  console.log(ids, firstCartX, returns, episodes, lows, firstAction, lastReward);

  // WebGPU: every call that reads back is awaited.
  if (webgpuSupported()) {
    try {
      const gpu: GpuVecEnv = await GpuVecEnv.create('CartPole-v1', 65536, { seed: 7, autoreset: 'next-step' });
      const s: StepResult = await gpu.step(new Uint32Array(gpu.numEnvs).fill(1));
      const g: RolloutStats = await gpu.rollout({ steps: 256, policy: 'random' });
      const perEnv = { type: 'linear' as const, weights: new Float32Array(2 * gpu.obsDim * gpu.numEnvs), bias: new Float32Array(2 * gpu.numEnvs) };
      await gpu.rollout({ steps: 10, policy: perEnv });
      const { trajectory, rewardSum } = await gpu.rollout({ steps: 8, record: true });
      console.log(trajectory.obs.length, trajectory.actions === null, rewardSum[0]);
      const st: GpuState = await gpu.readState();
      console.log(gpu.adapter, gpu.adapterInfo.deviceType, s.reward[0], g.episodes[0], st.elapsed[0], gpu.busy);
      gpu.free();
    } catch (e) {
      console.log((e as Error).message); // "no WebGPU adapter: ..." where the browser gives none
    }
  }
}

void main();
