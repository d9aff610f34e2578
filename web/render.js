// Drawing of one env's internal state into a canvas cell. Pure rendering: geometry comes from
// the state view (`env.state`, feature-major) and the registry's parameter defaults; nothing
// here steps an env. An env without a drawing of its own gets bars of its observation.

const INK = '#1f2937';
const ACCENT = '#2563eb';
const WARM = '#dc2626';
const GOOD = '#16a34a';

/** The default of parameter `name` in registry entry `info`. */
function param(info, name, fallback) {
  const p = info.params.find((q) => q.name === name);
  return p ? p.default : fallback;
}

function cartpole(ctx, s, info, w, h) {
  const xt = param(info, 'x_threshold', 2.4);
  const len = param(info, 'length', 0.5) * 2;
  const scale = (w * 0.9) / (2 * xt);
  const ground = h * 0.72;
  ctx.strokeStyle = '#9ca3af';
  ctx.beginPath();
  ctx.moveTo(w * 0.05, ground);
  ctx.lineTo(w * 0.95, ground);
  ctx.stroke();
  const cx = w / 2 + s(0) * scale;
  const cw = Math.max(6, w * 0.12);
  const ch = Math.max(4, h * 0.08);
  ctx.fillStyle = INK;
  ctx.fillRect(cx - cw / 2, ground - ch / 2, cw, ch);
  const pl = Math.min(len * scale, h * 0.6);
  ctx.strokeStyle = '#b45309';
  ctx.lineWidth = Math.max(2, w * 0.025);
  ctx.beginPath();
  ctx.moveTo(cx, ground - ch / 2);
  ctx.lineTo(cx + pl * Math.sin(s(2)), ground - ch / 2 - pl * Math.cos(s(2)));
  ctx.stroke();
  ctx.lineWidth = 1;
}

function pendulum(ctx, s, info, w, h) {
  const cx = w / 2;
  const cy = h / 2;
  const r = Math.min(w, h) * 0.38;
  // theta = 0 is upright.
  const th = s(0);
  ctx.strokeStyle = WARM;
  ctx.lineWidth = Math.max(3, w * 0.05);
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(cx + r * Math.sin(th), cy - r * Math.cos(th));
  ctx.stroke();
  ctx.lineCap = 'butt';
  ctx.lineWidth = 1;
  ctx.fillStyle = INK;
  ctx.beginPath();
  ctx.arc(cx, cy, Math.max(2, w * 0.03), 0, 2 * Math.PI);
  ctx.fill();
}

function acrobot(ctx, s, info, w, h) {
  const l1 = param(info, 'link_length_1', 1);
  const l2 = param(info, 'link_length_2', 1);
  const scale = (Math.min(w, h) * 0.45) / (l1 + l2);
  const px = w / 2;
  const py = h / 2;
  // Angles from hanging straight down; the goal is the tip above `terminal_height` link lengths.
  const goal = py - param(info, 'terminal_height', 1) * scale;
  ctx.strokeStyle = GOOD;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(w * 0.1, goal);
  ctx.lineTo(w * 0.9, goal);
  ctx.stroke();
  ctx.setLineDash([]);
  const x1 = px + l1 * scale * Math.sin(s(0));
  const y1 = py + l1 * scale * Math.cos(s(0));
  const x2 = x1 + l2 * scale * Math.sin(s(0) + s(1));
  const y2 = y1 + l2 * scale * Math.cos(s(0) + s(1));
  ctx.lineWidth = Math.max(2, w * 0.04);
  ctx.lineCap = 'round';
  ctx.strokeStyle = INK;
  ctx.beginPath();
  ctx.moveTo(px, py);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  ctx.strokeStyle = ACCENT;
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
  ctx.lineCap = 'butt';
  ctx.lineWidth = 1;
}

function mountainCar(ctx, s, info, w, h) {
  const lo = param(info, 'min_position', -1.2);
  const hi = param(info, 'max_position', 0.6);
  const goal = param(info, 'goal_position', 0.5);
  // The hill of Gymnasium's rendering: height sin(3x) (the force term of the dynamics is cos(3x)).
  const X = (x) => ((x - lo) / (hi - lo)) * w * 0.9 + w * 0.05;
  const Y = (x) => h * 0.85 - (Math.sin(3 * x) * 0.45 + 0.55) * h * 0.7;
  ctx.strokeStyle = '#6b7280';
  ctx.beginPath();
  for (let k = 0; k <= 40; k++) {
    const x = lo + ((hi - lo) * k) / 40;
    if (k === 0) ctx.moveTo(X(x), Y(x));
    else ctx.lineTo(X(x), Y(x));
  }
  ctx.stroke();
  ctx.strokeStyle = GOOD;
  ctx.beginPath();
  ctx.moveTo(X(goal), Y(goal));
  ctx.lineTo(X(goal), Y(goal) - h * 0.15);
  ctx.stroke();
  ctx.fillStyle = ACCENT;
  ctx.beginPath();
  ctx.arc(X(s(0)), Y(s(0)) - Math.max(2, w * 0.03), Math.max(2.5, w * 0.04), 0, 2 * Math.PI);
  ctx.fill();
}

function reach3d(ctx, s, info, w, h) {
  const half = param(info, 'arena_half_width', 5);
  const z0 = param(info, 'ground_z', 0);
  const z1 = param(info, 'ceiling_z', 5);
  const size = Math.min(w, h) * 0.9;
  const ox = (w - size) / 2;
  const oy = (h - size) / 2;
  const X = (x) => ox + ((x + half) / (2 * half)) * size;
  const Y = (y) => oy + ((half - y) / (2 * half)) * size;
  const Z = (z) => Math.min(1, Math.max(0, (z - z0) / (z1 - z0)));
  ctx.strokeStyle = '#d1d5db';
  ctx.strokeRect(ox, oy, size, size);
  // Seen from above; height as the size of the disc and the shade of its fill.
  const gz = Z(s(8));
  ctx.strokeStyle = GOOD;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(X(s(6)), Y(s(7)), 2 + gz * size * 0.06, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.lineWidth = 1;
  const z = Z(s(2));
  ctx.fillStyle = `hsl(220, 80%, ${70 - 40 * z}%)`;
  ctx.beginPath();
  ctx.arc(X(s(0)), Y(s(1)), 2 + z * size * 0.06, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = INK;
  ctx.fillRect(ox + size + 2 > w ? w - 3 : ox + size + 1, oy + size * (1 - z), 2, size * z);
}

function bars(ctx, s, info, w, h, obs) {
  const d = info.observation.shape[0];
  const bw = w / d;
  for (let k = 0; k < d; k++) {
    const v = Math.max(-1, Math.min(1, obs(k)));
    ctx.fillStyle = v >= 0 ? ACCENT : WARM;
    ctx.fillRect(k * bw + 1, h / 2 - (v * h) / 2, bw - 2, (v * h) / 2);
  }
}

const DRAW = {
  'CartPole-v1': cartpole,
  'Pendulum-v1': pendulum,
  'Acrobot-v1': acrobot,
  'MountainCar-v0': mountainCar,
  'MountainCarContinuous-v0': mountainCar,
  'Reach3D-v1': reach3d,
};

/**
 * Draws envs `0 .. cells - 1` of `env` in a grid of `cols` columns on `ctx` (canvas size w x h),
 * marking envs whose episode just ended.
 */
export function drawGrid(ctx, env, cols, cells, w, h) {
  const info = env.info;
  const n = env.numEnvs;
  const state = env.state;
  const obs = env.obs;
  const done = env.terminated;
  const trunc = env.truncated;
  const rows = Math.ceil(cells / cols);
  const cw = w / cols;
  const ch = h / rows;
  const draw = DRAW[info.id] ?? bars;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, h);
  for (let c = 0; c < cells && c < n; c++) {
    const x = (c % cols) * cw;
    const y = Math.floor(c / cols) * ch;
    ctx.save();
    ctx.translate(x, y);
    ctx.beginPath();
    ctx.rect(0, 0, cw, ch);
    ctx.clip();
    if (done[c] || trunc[c]) {
      ctx.fillStyle = done[c] ? '#fee2e2' : '#fef3c7';
      ctx.fillRect(0, 0, cw, ch);
    }
    draw(ctx, (k) => state[k * n + c], info, cw, ch, (k) => obs[k * n + c]);
    ctx.strokeStyle = '#e5e7eb';
    ctx.strokeRect(0.5, 0.5, cw - 1, ch - 1);
    ctx.restore();
  }
}
