// The benchmark's baseline: the same environments written in plain JavaScript the way a web
// developer would write them (one object per env, Math.sin/cos in float64, Math.random for
// resets, outputs gathered into typed arrays), from Gymnasium's published equations. Deliberately
// separate from fusegym: bench.html validates each one against fusegym's scalar wasm on a
// teacher-forced step before timing it. Reach3D-v1 (fusegym's own env) has no plain-JS version.

const uniform = (lo, hi) => lo + (hi - lo) * Math.random();
const clip = (x, lo, hi) => Math.min(Math.max(x, lo), hi);

class Batch {
  constructor(n, obsDim, maxSteps) {
    this.n = n;
    this.obsDim = obsDim;
    this.maxSteps = maxSteps;
    this.obs = new Float32Array(obsDim * n);
    this.reward = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.envs = [];
    for (let i = 0; i < n; i++) {
      const e = this.resetOne();
      e.steps = 0;
      this.envs.push(e);
      this.observe(e, i);
    }
  }
  /** Overwrites env i's state (teacher-forced validation). */
  setState(i, state, steps = 0) {
    Object.assign(this.envs[i], this.fromArray(state), { steps });
    this.observe(this.envs[i], i);
  }
  step(actions) {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const e = this.envs[i];
      const { reward, terminated } = this.stepOne(e, actions, i);
      e.steps++;
      const truncated = !terminated && this.maxSteps > 0 && e.steps >= this.maxSteps;
      this.reward[i] = reward;
      this.terminated[i] = terminated ? 1 : 0;
      this.truncated[i] = truncated ? 1 : 0;
      if (terminated || truncated) {
        const fresh = this.resetOne();
        fresh.steps = 0;
        this.envs[i] = fresh;
        this.observe(fresh, i);
      } else {
        this.observe(e, i);
      }
    }
  }
}

export class CartPole extends Batch {
  constructor(n) {
    super(n, 4, 500);
  }
  resetOne() {
    return { x: uniform(-0.05, 0.05), xDot: uniform(-0.05, 0.05), theta: uniform(-0.05, 0.05), thetaDot: uniform(-0.05, 0.05) };
  }
  fromArray(s) {
    return { x: s[0], xDot: s[1], theta: s[2], thetaDot: s[3] };
  }
  stepOne(e, actions, i) {
    const gravity = 9.8;
    const massCart = 1.0;
    const massPole = 0.1;
    const totalMass = massCart + massPole;
    const length = 0.5;
    const poleMassLength = massPole * length;
    const force = actions[i] === 1 ? 10 : -10;
    const tau = 0.02;
    const cos = Math.cos(e.theta);
    const sin = Math.sin(e.theta);
    const temp = (force + poleMassLength * e.thetaDot * e.thetaDot * sin) / totalMass;
    const thetaAcc = (gravity * sin - cos * temp) / (length * (4 / 3 - (massPole * cos * cos) / totalMass));
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / totalMass;
    e.x += tau * e.xDot;
    e.xDot += tau * xAcc;
    e.theta += tau * e.thetaDot;
    e.thetaDot += tau * thetaAcc;
    const terminated = e.x < -2.4 || e.x > 2.4 || e.theta < -(12 * 2 * Math.PI) / 360 || e.theta > (12 * 2 * Math.PI) / 360;
    return { reward: 1, terminated };
  }
  observe(e, i) {
    const n = this.n;
    this.obs[i] = e.x;
    this.obs[n + i] = e.xDot;
    this.obs[2 * n + i] = e.theta;
    this.obs[3 * n + i] = e.thetaDot;
  }
}

export class MountainCar extends Batch {
  constructor(n) {
    super(n, 2, 200);
  }
  resetOne() {
    return { position: uniform(-0.6, -0.4), velocity: 0 };
  }
  fromArray(s) {
    return { position: s[0], velocity: s[1] };
  }
  stepOne(e, actions, i) {
    e.velocity += (actions[i] - 1) * 0.001 + Math.cos(3 * e.position) * -0.0025;
    e.velocity = clip(e.velocity, -0.07, 0.07);
    e.position = clip(e.position + e.velocity, -1.2, 0.6);
    if (e.position === -1.2 && e.velocity < 0) e.velocity = 0;
    return { reward: -1, terminated: e.position >= 0.5 && e.velocity >= 0 };
  }
  observe(e, i) {
    this.obs[i] = e.position;
    this.obs[this.n + i] = e.velocity;
  }
}

export class MountainCarContinuous extends MountainCar {
  constructor(n) {
    super(n);
    this.maxSteps = 999;
  }
  stepOne(e, actions, i) {
    const a = actions[i];
    const force = clip(a, -1, 1);
    e.velocity += force * 0.0015 - 0.0025 * Math.cos(3 * e.position);
    e.velocity = clip(e.velocity, -0.07, 0.07);
    e.position = clip(e.position + e.velocity, -1.2, 0.6);
    if (e.position === -1.2 && e.velocity < 0) e.velocity = 0;
    const terminated = e.position >= 0.45 && e.velocity >= 0;
    return { reward: (terminated ? 100 : 0) - a * a * 0.1, terminated };
  }
}

export class Pendulum extends Batch {
  constructor(n) {
    super(n, 3, 200);
  }
  resetOne() {
    return { theta: uniform(-Math.PI, Math.PI), thetaDot: uniform(-1, 1) };
  }
  fromArray(s) {
    return { theta: s[0], thetaDot: s[1] };
  }
  stepOne(e, actions, i) {
    const g = 10;
    const m = 1;
    const l = 1;
    const dt = 0.05;
    const u = clip(actions[i], -2, 2);
    const th = ((((e.theta + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
    const cost = th * th + 0.1 * e.thetaDot * e.thetaDot + 0.001 * u * u;
    const newThetaDot = clip(e.thetaDot + ((3 * g) / (2 * l) * Math.sin(e.theta) + (3 / (m * l * l)) * u) * dt, -8, 8);
    e.theta += newThetaDot * dt;
    e.thetaDot = newThetaDot;
    return { reward: -cost, terminated: false };
  }
  observe(e, i) {
    const n = this.n;
    this.obs[i] = Math.cos(e.theta);
    this.obs[n + i] = Math.sin(e.theta);
    this.obs[2 * n + i] = e.thetaDot;
  }
}

export class Acrobot extends Batch {
  constructor(n) {
    super(n, 6, 500);
  }
  resetOne() {
    return { t1: uniform(-0.1, 0.1), t2: uniform(-0.1, 0.1), d1: uniform(-0.1, 0.1), d2: uniform(-0.1, 0.1) };
  }
  fromArray(s) {
    return { t1: s[0], t2: s[1], d1: s[2], d2: s[3] };
  }
  /** Derivatives of [t1, t2, d1, d2] under torque a ("book" dynamics, unit masses and lengths). */
  static deriv(s, a) {
    const m1 = 1;
    const m2 = 1;
    const l1 = 1;
    const lc1 = 0.5;
    const lc2 = 0.5;
    const i1 = 1;
    const i2 = 1;
    const g = 9.8;
    const [t1, t2, d1v, d2v] = s;
    const d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * Math.cos(t2)) + i1 + i2;
    const d2 = m2 * (lc2 * lc2 + l1 * lc2 * Math.cos(t2)) + i2;
    const phi2 = m2 * lc2 * g * Math.cos(t1 + t2 - Math.PI / 2);
    const phi1 = -m2 * l1 * lc2 * d2v * d2v * Math.sin(t2) - 2 * m2 * l1 * lc2 * d2v * d1v * Math.sin(t2) +
      (m1 * lc1 + m2 * l1) * g * Math.cos(t1 - Math.PI / 2) + phi2;
    const dd2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * d1v * d1v * Math.sin(t2) - phi2) / (m2 * lc2 * lc2 + i2 - (d2 * d2) / d1);
    const dd1 = -(d2 * dd2 + phi1) / d1;
    return [d1v, d2v, dd1, dd2];
  }
  stepOne(e, actions, i) {
    const torque = actions[i] - 1;
    const dt = 0.2;
    const s0 = [e.t1, e.t2, e.d1, e.d2];
    const k1 = Acrobot.deriv(s0, torque);
    const k2 = Acrobot.deriv(s0.map((x, j) => x + (dt / 2) * k1[j]), torque);
    const k3 = Acrobot.deriv(s0.map((x, j) => x + (dt / 2) * k2[j]), torque);
    const k4 = Acrobot.deriv(s0.map((x, j) => x + dt * k3[j]), torque);
    const s = s0.map((x, j) => x + (dt / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]));
    const wrap = (x) => {
      while (x > Math.PI) x -= 2 * Math.PI;
      while (x < -Math.PI) x += 2 * Math.PI;
      return x;
    };
    e.t1 = wrap(s[0]);
    e.t2 = wrap(s[1]);
    e.d1 = clip(s[2], -4 * Math.PI, 4 * Math.PI);
    e.d2 = clip(s[3], -9 * Math.PI, 9 * Math.PI);
    const terminated = -Math.cos(e.t1) - Math.cos(e.t2 + e.t1) > 1;
    return { reward: terminated ? 0 : -1, terminated };
  }
  observe(e, i) {
    const n = this.n;
    this.obs[i] = Math.cos(e.t1);
    this.obs[n + i] = Math.sin(e.t1);
    this.obs[2 * n + i] = Math.cos(e.t2);
    this.obs[3 * n + i] = Math.sin(e.t2);
    this.obs[4 * n + i] = e.d1;
    this.obs[5 * n + i] = e.d2;
  }
}

/** Plain-JS versions by env id. */
export const PLAIN_JS = {
  'CartPole-v1': CartPole,
  'MountainCar-v0': MountainCar,
  'MountainCarContinuous-v0': MountainCarContinuous,
  'Pendulum-v1': Pendulum,
  'Acrobot-v1': Acrobot,
};
