"""RGB frames of single envs, drawn as Gymnasium's classic-control envs draw them (same canvas
sizes, shapes, colours and scales), with numpy alone: no pygame, no display.

Each drawing works in Gymnasium's own coordinates (y up after its final flip) on a small
rasterizer: filled convex polygons, filled circles and one-pixel lines, without anti-aliasing.
Pendulum's torque arrow (a bitmap in Gymnasium) is left out. Reach3D, fusegym's own env, is drawn
from above: the arena, the goal (green) and the point mass (blue, larger when higher).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)


class Canvas:
    """A ``height x width`` RGB image drawn in y-up pixel coordinates."""

    def __init__(self, width: int, height: int):
        self.w, self.h = width, height
        self.img = np.full((height, width, 3), 255, dtype=np.uint8)
        # Pixel centres, y up.
        self.ys, self.xs = np.mgrid[0:height, 0:width].astype(np.float64)

    def _paint(self, x0: float, x1: float, y0: float, y1: float, inside: Callable[[np.ndarray, np.ndarray], np.ndarray], color: Color) -> None:
        c0, c1 = max(int(math.floor(x0)), 0), min(int(math.ceil(x1)) + 1, self.w)
        r0, r1 = max(int(math.floor(y0)), 0), min(int(math.ceil(y1)) + 1, self.h)
        if c0 >= c1 or r0 >= r1:
            return
        xs, ys = self.xs[r0:r1, c0:c1], self.ys[r0:r1, c0:c1]
        self.img[r0:r1, c0:c1][inside(xs, ys)] = color

    def polygon(self, points: Sequence[tuple[float, float]], color: Color) -> None:
        """A filled convex polygon."""
        p = np.asarray(points, dtype=np.float64)
        # Orientation-independent half-plane test: every edge sees the pixel on the same side.
        area = np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1])
        sign = 1.0 if area >= 0 else -1.0

        def inside(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
            ok = np.ones(xs.shape, dtype=bool)
            for (ax, ay), (bx, by) in zip(p, np.roll(p, -1, axis=0)):
                ok &= sign * ((bx - ax) * (ys - ay) - (by - ay) * (xs - ax)) >= -0.5 * math.hypot(bx - ax, by - ay)
            return ok

        self._paint(p[:, 0].min(), p[:, 0].max(), p[:, 1].min(), p[:, 1].max(), inside, color)

    def circle(self, cx: float, cy: float, r: float, color: Color) -> None:
        """A filled circle."""
        self._paint(cx - r, cx + r, cy - r, cy + r, lambda xs, ys: (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r + 0.25, color)

    def line(self, x0: float, y0: float, x1: float, y1: float, color: Color) -> None:
        """A one-pixel line."""
        k = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        xs = np.rint(np.linspace(x0, x1, k + 1)).astype(int)
        ys = np.rint(np.linspace(y0, y1, k + 1)).astype(int)
        ok = (xs >= 0) & (xs < self.w) & (ys >= 0) & (ys < self.h)
        self.img[ys[ok], xs[ok]] = color

    def frame(self) -> np.ndarray:
        """The image as Gymnasium returns it: row 0 at the top."""
        return np.ascontiguousarray(self.img[::-1])


def _rotate(points: Sequence[tuple[float, float]], angle: float, dx: float, dy: float) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    return [(x * c - y * s + dx, x * s + y * c + dy) for x, y in points]


def _box(l: float, r: float, t: float, b: float) -> list[tuple[float, float]]:
    return [(l, b), (l, t), (r, t), (r, b)]


def cartpole(s: Sequence[float], p: Mapping[str, float]) -> np.ndarray:
    width, height = 600, 400
    cv = Canvas(width, height)
    scale = width / (p["x_threshold"] * 2)
    polewidth, polelen = 10.0, scale * (2 * p["length"])
    cartwidth, cartheight = 50.0, 30.0
    cartx, carty = s[0] * scale + width / 2.0, 100.0
    axleoffset = cartheight / 4.0
    cv.polygon([(x + cartx, y + carty) for x, y in _box(-cartwidth / 2, cartwidth / 2, cartheight / 2, -cartheight / 2)], BLACK)
    pole = _box(-polewidth / 2, polewidth / 2, polelen - polewidth / 2, -polewidth / 2)
    cv.polygon(_rotate(pole, -s[2], cartx, carty + axleoffset), (202, 152, 101))
    cv.circle(cartx, carty + axleoffset, int(polewidth / 2), (129, 132, 203))
    cv.line(0, carty, width, carty, BLACK)
    return cv.frame()


def pendulum(s: Sequence[float], p: Mapping[str, float]) -> np.ndarray:
    dim = 500
    cv = Canvas(dim, dim)
    scale = dim / (2.2 * 2)
    offset = dim // 2
    rod_length, rod_width = 1 * scale, 0.2 * scale
    red = (204, 77, 77)
    angle = s[0] + math.pi / 2
    cv.polygon(_rotate(_box(0, rod_length, rod_width / 2, -rod_width / 2), angle, offset, offset), red)
    cv.circle(offset, offset, int(rod_width / 2), red)
    end = _rotate([(rod_length, 0.0)], angle, offset, offset)[0]
    cv.circle(int(end[0]), int(end[1]), int(rod_width / 2), red)
    cv.circle(offset, offset, int(0.05 * scale), BLACK)
    return cv.frame()


def _mountain_height(x: np.ndarray | float) -> np.ndarray | float:
    return np.sin(3 * x) * 0.45 + 0.55


def mountain_car(s: Sequence[float], p: Mapping[str, float]) -> np.ndarray:
    width, height = 600, 400
    cv = Canvas(width, height)
    lo, hi = p["min_position"], p["max_position"]
    scale = width / (hi - lo)
    carwidth, carheight, clearance = 40, 20, 10
    xs = np.linspace(lo, hi, 100)
    ys = _mountain_height(xs)
    pts = list(zip((xs - lo) * scale, ys * scale))
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        cv.line(x0, y0, x1, y1, BLACK)
    pos = float(s[0])
    angle = math.cos(3 * pos)
    base_x, base_y = (pos - lo) * scale, clearance + float(_mountain_height(pos)) * scale
    cv.polygon(_rotate(_box(-carwidth / 2, carwidth / 2, carheight, 0), angle, base_x, base_y), BLACK)
    for wx, wy in _rotate([(carwidth / 4, 0.0), (-carwidth / 4, 0.0)], angle, base_x, base_y):
        cv.circle(int(wx), int(wy), int(carheight / 2.5), (128, 128, 128))
    flagx = int((p["goal_position"] - lo) * scale)
    flagy1 = int(float(_mountain_height(p["goal_position"])) * scale)
    flagy2 = flagy1 + 50
    cv.line(flagx, flagy1, flagx, flagy2, BLACK)
    cv.polygon([(flagx, flagy2), (flagx, flagy2 - 10), (flagx + 25, flagy2 - 5)], (204, 204, 0))
    return cv.frame()


def acrobot(s: Sequence[float], p: Mapping[str, float]) -> np.ndarray:
    dim = 500
    cv = Canvas(dim, dim)
    l1, l2 = p["link_length_1"], p["link_length_2"]
    scale = dim / ((l1 + l2 + 0.2) * 2)
    offset = dim / 2
    p1 = (-l1 * math.cos(s[0]) * scale, l1 * math.sin(s[0]) * scale)
    joints = [(0.0, 0.0), (p1[1], p1[0])]
    thetas = [s[0] - math.pi / 2, s[0] + s[1] - math.pi / 2]
    cv.line(-2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset, BLACK)
    for (x, y), th, length in zip(joints, thetas, [l1 * scale, l2 * scale]):
        x, y = x + offset, y + offset
        cv.polygon(_rotate(_box(0, length, 0.1 * scale, -0.1 * scale), th, x, y), (0, 204, 204))
        cv.circle(int(x), int(y), int(0.1 * scale), (204, 204, 0))
    return cv.frame()


def reach3d(s: Sequence[float], p: Mapping[str, float]) -> np.ndarray:
    dim = 400
    cv = Canvas(dim, dim)
    half = p["arena_half_width"]
    scale = (dim - 40) / (2 * half)
    to_px = lambda v: 20 + (v + half) * scale  # noqa: E731
    for a, b, c, d in [(-half, -half, half, -half), (half, -half, half, half), (half, half, -half, half), (-half, half, -half, -half)]:
        cv.line(to_px(a), to_px(b), to_px(c), to_px(d), BLACK)
    ground, ceiling = p["ground_z"], p["ceiling_z"]
    height = lambda z: (z - ground) / max(ceiling - ground, 1e-9)  # noqa: E731
    x, y, z, gx, gy, gz = s[0], s[1], s[2], s[6], s[7], s[8]
    cv.circle(to_px(gx), to_px(gy), 6 + 10 * height(gz), (60, 180, 75))
    cv.circle(to_px(x), to_px(y), 4 + 10 * height(z), (0, 90, 200))
    return cv.frame()


_DRAW = {
    "CartPole-v1": (cartpole, 50),
    "Pendulum-v1": (pendulum, 30),
    "MountainCar-v0": (mountain_car, 30),
    "MountainCarContinuous-v0": (mountain_car, 30),
    "Acrobot-v1": (acrobot, 15),
    "Reach3D-v1": (reach3d, 30),
}


def fps(env_id: str) -> int:
    """Gymnasium's ``metadata["render_fps"]`` of the env."""
    return _DRAW[env_id][1]


def frame(env_id: str, state: Sequence[float], params: Mapping[str, float]) -> np.ndarray:
    """One env's frame, ``(height, width, 3)`` ``uint8``, from its state and parameters."""
    return _DRAW[env_id][0]([float(v) for v in state], params)
