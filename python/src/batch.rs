//! [`Batch`]: one batch of envs as the Python layer (`fusegym/vector.py`) drives it. Actions
//! that are a plain `ndarray` of the expected shape are read in place, converted and checked in
//! one pass (`step_array`, `actions.rs`); anything else arrives in a staging buffer Python fills
//! with one `np.copyto` (`step`). Outputs are the engine's own buffers, which Python views
//! without a copy, or fresh arrays filled here (`outputs_copy`). Every call checks its input
//! through the core's checks and raises the core's message.
//!
//! Threads: the batch sits behind a mutex taken with `try_lock`, so a second Python thread that
//! calls into a batch while another is inside (the GIL is released while big batches step) gets
//! a `RuntimeError` instead of a data race or a deadlock.

use crate::buffer::{Buffer, Elem, Storage};
use crate::engine::{Engine, Stats};
use crate::ndarray::{self, Dtype};
use crate::{actions, error, memory, outputs};
use fusegym::registry::EnvInfo;
use fusegym::{policy::linear_outputs, ActionSpace, Actions, Autoreset, EnvConfig, ParamValue, Policy, SimdPath, Threads, Trajectory};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Below this many envs a step takes less time than releasing and retaking the GIL.
const DETACH_MIN_ENVS: usize = 2048;

/// The state behind the lock.
struct Inner {
    engine: Engine,
    /// Discrete actions as Python staged them (`int64`), checked and narrowed into `act_u32`.
    act_i64: Vec<i64>,
    /// The discrete actions the core steps.
    act_u32: Vec<u32>,
    /// Continuous actions, `[action_dim][n]`.
    act_f32: Vec<f32>,
    /// A linear policy's weights and biases, filled by Python before `rollout`.
    policy_w: Vec<f32>,
    policy_b: Vec<f32>,
}

/// A batch of `num_envs` envs of one id (private: `fusegym.make_vec` wraps it).
#[pyclass(module = "fusegym._native", frozen)]
pub struct Batch {
    inner: Mutex<Option<Inner>>,
    info: &'static EnvInfo,
    n: usize,
    mode: Autoreset,
    space: ActionSpace,
    /// Arrays alive over this batch's memory.
    views: AtomicUsize,
    closed: AtomicBool,
    path: String,
}

fn parse_mode(name: &str) -> PyResult<Autoreset> {
    Autoreset::from_name(name)
        .ok_or_else(|| error::value(format!("unknown autoreset mode {name:?}; expected SAME_STEP, NEXT_STEP or DISABLED")))
}

impl Batch {
    pub fn view_opened(&self) {
        self.views.fetch_add(1, Ordering::AcqRel);
    }
    pub fn view_closed(&self) {
        self.views.fetch_sub(1, Ordering::AcqRel);
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, Option<Inner>>> {
        let guard = match self.inner.try_lock() {
            Ok(g) => g,
            Err(TryLockError::WouldBlock) => {
                return Err(PyRuntimeError::new_err(format!(
                    "this {} batch is in use by another thread: one batch takes one call at a time (give each thread its own batch)",
                    self.info.id
                )))
            }
            Err(TryLockError::Poisoned(_)) => {
                return Err(PyRuntimeError::new_err("this batch failed inside an earlier call and can no longer be used"))
            }
        };
        if self.closed.load(Ordering::Acquire) {
            return Err(PyRuntimeError::new_err(format!("this {} batch is closed", self.info.id)));
        }
        Ok(guard)
    }

    /// Runs `f` on the open batch, without the GIL when the batch is big.
    fn with<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut Inner) -> PyResult<T> + Send) -> PyResult<T> {
        let mut guard = self.lock()?;
        let inner = guard.as_mut().expect("an open batch has its engine");
        self.detached_if_big(py, || f(inner))
    }

    fn detached_if_big<T: Send>(&self, py: Python<'_>, f: impl FnOnce() -> T + Send) -> T {
        if self.n >= DETACH_MIN_ENVS {
            py.detach(f)
        } else {
            f()
        }
    }

    fn obs_dim(&self) -> usize {
        self.info.obs_names.len()
    }

    fn action_dim(&self) -> usize {
        self.space.dim()
    }
}

/// A discrete action outside `0..n` (`actions.rs` found it), as the core words it.
fn out_of_range(env: &'static str, (index, value): (usize, i64), n: u32) -> PyErr {
    error::core(fusegym::Error::ActionOutOfRange { env, index, value, n })
}

impl Inner {
    /// One step with the actions in `act_u32` or `act_f32`.
    fn step(&mut self, space: ActionSpace, mode: Autoreset) -> PyResult<()> {
        let actions = if space.is_discrete() { Actions::Discrete(&self.act_u32) } else { Actions::Continuous(&self.act_f32) };
        self.engine.step(actions)?;
        if mode == Autoreset::SameStep {
            // Brings the dense final observations up to date (only the finished envs' entries).
            self.engine.final_obs_dense()?;
        }
        Ok(())
    }
}

#[pymethods]
impl Batch {
    /// Builds a batch: `params` is a list of `(name, kind, value)` with kind `"shared"` (a
    /// float), `"per_env"` (a list of `num_envs` floats) or `"range"` (`(low, high)`).
    #[new]
    #[pyo3(signature = (env_id, num_envs, seed, autoreset, params, redraw_each_episode, max_episode_steps, env_offset, backend, threads))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        env_id: &str,
        num_envs: usize,
        seed: u64,
        autoreset: &str,
        params: Vec<(String, String, Bound<'_, PyAny>)>,
        redraw_each_episode: bool,
        max_episode_steps: Option<u32>,
        env_offset: u32,
        backend: &str,
        threads: usize,
    ) -> PyResult<Batch> {
        let info = fusegym::info(env_id).map_err(error::core)?;
        let mode = parse_mode(autoreset)?;
        let mut config =
            EnvConfig { env_offset, autoreset: mode, redraw_each_episode, max_episode_steps, ..EnvConfig::new(num_envs, seed) };
        for (name, kind, value) in params {
            let v = match kind.as_str() {
                "shared" => ParamValue::Shared(value.extract()?),
                "per_env" => ParamValue::PerEnv(value.extract()?),
                "range" => {
                    let (low, high): (f32, f32) = value.extract()?;
                    ParamValue::Range { low, high }
                }
                other => return Err(error::value(format!("unknown parameter kind {other:?}"))),
            };
            config.params.push((name, v));
        }
        // The configuration's own errors first (they name the problem better than a size).
        (info.check_config)(&config).map_err(error::core)?;
        let ad = (info.action_space)().dim();
        let staging = num_envs.checked_mul(ad * 16);
        let bytes = info.batch_bytes(num_envs).zip(staging).and_then(|(a, b)| a.checked_add(b));
        memory::check(&format!("{env_id} x {num_envs} envs"), bytes)?;
        let engine = py.detach(|| -> PyResult<Engine> {
            if backend == "gpu" {
                return Engine::gpu(env_id, &config);
            }
            let mut env = fusegym::make_with(env_id, &config).map_err(error::core)?;
            let threads = match backend {
                "scalar" => {
                    env.set_simd_path(SimdPath::Scalar).map_err(error::core)?;
                    None
                }
                "simd" => None,
                "threads" => Some(Threads::new(threads).map_err(|e| PyRuntimeError::new_err(e.to_string()))?),
                other => return Err(error::value(format!("unknown backend {other:?}; expected auto, scalar, simd, threads or gpu"))),
            };
            if mode == Autoreset::SameStep {
                // Allocated now, so its address is fixed before Python views it.
                env.final_obs_dense().map_err(error::core)?;
            }
            Ok(Engine::Cpu { env, threads })
        })?;
        let space = engine.action_space();
        let path = engine.path();
        let discrete = space.is_discrete();
        let inner = Inner {
            engine,
            act_i64: memory::zeroed("actions", if discrete { num_envs } else { 0 })?,
            act_u32: memory::zeroed("actions", if discrete { num_envs } else { 0 })?,
            act_f32: memory::zeroed("actions", if discrete { 0 } else { num_envs * ad })?,
            policy_w: Vec::new(),
            policy_b: Vec::new(),
        };
        Ok(Batch {
            inner: Mutex::new(Some(inner)),
            info,
            n: num_envs,
            mode,
            space,
            views: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            path,
        })
    }

    #[getter]
    fn env_id(&self) -> &'static str {
        self.info.id
    }
    #[getter]
    fn num_envs(&self) -> usize {
        self.n
    }
    /// The code path that steps the batch (`avx2-f32x8`, `wide-f32x4 x 2 threads`, `gpu: ...`).
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }
    #[getter]
    fn autoreset(&self) -> &'static str {
        self.mode.gymnasium_name()
    }
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
    /// `("discrete", n)` or `("box", low, high)`.
    #[getter]
    fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.space {
            ActionSpace::Discrete { n } => ("discrete", n).into_pyobject(py).map(|t| t.into_any()),
            ActionSpace::Box { dim, low, high } => {
                ("box", low[..dim].to_vec(), high[..dim].to_vec()).into_pyobject(py).map(|t| t.into_any())
            }
        }
    }
    /// `(low, high)` of the observation space under the batch's shared parameters.
    #[getter]
    fn observation_space(&self) -> PyResult<(Vec<f32>, Vec<f32>)> {
        let g = self.lock()?;
        let s = match &g.as_ref().expect("open").engine {
            Engine::Cpu { env, .. } => env.observation_space(),
            Engine::Gpu { .. } => (self.info.observation_space)(),
        };
        Ok((s.low[..s.dim].to_vec(), s.high[..s.dim].to_vec()))
    }
    #[getter]
    fn max_episode_steps(&self) -> PyResult<u32> {
        let g = self.lock()?;
        Ok(match &g.as_ref().expect("open").engine {
            Engine::Cpu { env, .. } => env.max_episode_steps(),
            Engine::Gpu { .. } => (self.info.max_episode_steps)(),
        })
    }

    /// Views of the outputs and of the action staging buffer: `(obs, reward, terminated,
    /// truncated, actions, final_obs)`; `final_obs` is `None` outside same-step mode. Each keeps
    /// the batch alive; their memory is rewritten by every step.
    fn views(slf: Bound<'_, Self>) -> PyResult<Vec<Option<Buffer>>> {
        let this = slf.get();
        let (n, od, ad) = (this.n, this.obs_dim(), this.action_dim());
        let mut g = this.lock()?;
        let inner = g.as_mut().expect("open");
        let a = inner.engine.addresses();
        let act = if this.space.is_discrete() {
            (inner.act_i64.as_ptr() as usize, Elem::I64)
        } else {
            (inner.act_f32.as_ptr() as usize, Elem::F32)
        };
        let fin = if this.mode == Autoreset::SameStep { Some(inner.engine.final_obs_dense()?) } else { None };
        drop(g);
        let owner = || slf.clone().unbind();
        let mut out = vec![
            Some(Buffer::view(owner(), a.obs, Elem::F32, vec![n, od], vec![1, n])),
            Some(Buffer::view(owner(), a.reward, Elem::F32, vec![n], vec![1])),
            Some(Buffer::view(owner(), a.terminated, Elem::Bool, vec![n], vec![1])),
            Some(Buffer::view(owner(), a.truncated, Elem::Bool, vec![n], vec![1])),
        ];
        out.push(Some(if this.space.is_discrete() {
            Buffer::view(owner(), act.0, act.1, vec![n], vec![1])
        } else {
            Buffer::view(owner(), act.0, act.1, vec![n, ad], vec![1, n])
        }));
        out.push(fin.map(|addr| Buffer::view(owner(), addr, Elem::F32, vec![n, od], vec![1, n])));
        Ok(out)
    }

    /// One step with the actions in the staging buffer.
    fn step(&self, py: Python<'_>) -> PyResult<()> {
        let (space, id, mode) = (self.space, self.info.id, self.mode);
        self.with(py, |inner| {
            if let ActionSpace::Discrete { n } = space {
                actions::narrow(&inner.act_i64, &mut inner.act_u32, n).map_err(|bad| out_of_range(id, bad, n))?;
            }
            inner.step(space, mode)
        })
    }

    /// One step with `actions` read in place when they are an `ndarray` of the action space's
    /// batch shape and a dtype `actions.rs` reads (the per-call fast path); false, without
    /// stepping, for anything else, which Python then checks and stages (`step`).
    fn step_array(&self, py: Python<'_>, actions: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(array) = ndarray::read(actions) else { return Ok(false) };
        let mut guard = self.lock()?;
        let inner = guard.as_mut().expect("an open batch has its engine");
        // Read under the GIL: no Python code can reshape or free the array meanwhile.
        match self.space {
            ActionSpace::Discrete { n } => match actions::discrete(&array, &mut inner.act_u32, n) {
                None => return Ok(false),
                Some(read) => read.map_err(|bad| out_of_range(self.info.id, bad, n))?,
            },
            ActionSpace::Box { dim, .. } => {
                if !actions::continuous(&array, &mut inner.act_f32, self.n, dim) {
                    return Ok(false);
                }
            }
        }
        let (space, mode) = (self.space, self.mode);
        self.detached_if_big(py, || inner.step(space, mode))?;
        Ok(true)
    }

    /// Fresh arrays of the last step's outputs, `(obs, rewards, terminated, truncated)` as
    /// Gymnasium's vector envs return them (`outputs.rs`); `None` where arrays are not written
    /// in place (`ndarray.rs`: Python copies them with numpy then).
    fn outputs_copy<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let (n, od) = (self.n, self.obs_dim());
        let Some((obs, obs_at)) = ndarray::empty(py, &[n, od], Dtype::F32)? else { return Ok(None) };
        let fresh = |dtype| ndarray::empty(py, &[n], dtype).map(|a| a.expect("arrays are written in place: the first one was"));
        let ((rew, rew_at), (term, term_at), (trunc, trunc_at)) = (fresh(Dtype::F64)?, fresh(Dtype::Bool)?, fresh(Dtype::Bool)?);
        // Addresses cross into the detached closure as numbers: the arrays are new, and only
        // this call holds them until it returns them.
        let at = [obs_at, rew_at, term_at, trunc_at].map(|p| p as usize);
        self.with(py, |inner| {
            let (o, r, te, tr) = inner.engine.outputs();
            // SAFETY: each address starts a new, C-contiguous, writeable array of the length
            // given, of the type written (`ndarray::empty`), which nothing else references.
            unsafe {
                outputs::transpose(o, n, od, std::slice::from_raw_parts_mut(at[0] as *mut f32, n * od));
                outputs::widen(r, std::slice::from_raw_parts_mut(at[1] as *mut f64, n));
                std::slice::from_raw_parts_mut(at[2] as *mut u8, n).copy_from_slice(te);
                std::slice::from_raw_parts_mut(at[3] as *mut u8, n).copy_from_slice(tr);
            }
            Ok(())
        })?;
        Ok(Some(PyTuple::new(py, [obs, rew, term, trunc])?))
    }

    /// Episode 0 of every env under `seed` (parameters drawn from ranges are drawn again).
    fn reset_with_seed(&self, py: Python<'_>, seed: u64) -> PyResult<()> {
        self.with(py, |inner| inner.engine.reset_with_seed(seed))
    }

    /// The next episode of the envs where `mask` is true.
    fn reset_envs(&self, py: Python<'_>, mask: Vec<bool>) -> PyResult<()> {
        self.with(py, |inner| inner.engine.reset_envs(&mask))
    }

    /// Overwrites env `i`'s state (Gymnasium's `env.unwrapped.state = ...`) and step count, and
    /// recomputes its observation.
    #[pyo3(signature = (i, state, elapsed = 0))]
    fn set_env_state(&self, py: Python<'_>, i: usize, state: Vec<f32>, elapsed: u32) -> PyResult<()> {
        self.with(py, |inner| inner.engine.set_env_state(i, &state, elapsed))
    }

    fn env_state(&self, py: Python<'_>, i: usize) -> PyResult<Vec<f32>> {
        let n = self.n;
        self.with(py, |inner| inner.engine.env_state(i, n))
    }

    /// Env `i`'s value of every parameter field, in declaration order.
    fn env_params(&self, py: Python<'_>, i: usize) -> PyResult<Vec<f32>> {
        self.with(py, |inner| inner.engine.env_params(i))
    }

    /// Every env's parameters, `(num_envs, fields)`.
    fn params_table(&self, py: Python<'_>) -> PyResult<Buffer> {
        let (n, fields) = (self.n, self.info.params.len());
        let table = self.with(py, |inner| {
            let mut t = memory::zeroed::<f32>("parameter table", n * fields)?;
            for i in 0..n {
                t[i * fields..(i + 1) * fields].copy_from_slice(&inner.engine.env_params(i)?);
            }
            Ok(t)
        })?;
        Ok(Buffer::owned_c(Storage::F32(table), vec![n, fields]))
    }

    fn episodes(&self, py: Python<'_>) -> PyResult<Vec<u32>> {
        self.with(py, |inner| inner.engine.episodes())
    }

    fn elapsed(&self, py: Python<'_>) -> PyResult<Vec<u32>> {
        self.with(py, |inner| inner.engine.elapsed())
    }

    /// Staging views for a linear policy: weights and biases, shared (`(outputs, obs_dim)`,
    /// `(outputs,)`) or per env (`(num_envs, outputs, obs_dim)`, `(num_envs, outputs)`).
    fn policy_views(slf: Bound<'_, Self>, per_env: bool) -> PyResult<(Buffer, Buffer)> {
        let this = slf.get();
        let (n, od, out) = (this.n, this.obs_dim(), linear_outputs(this.space));
        let copies = if per_env { n } else { 1 };
        let (w, b) = {
            let mut g = this.lock()?;
            let inner = g.as_mut().expect("open");
            let wlen = out.checked_mul(od).and_then(|x| x.checked_mul(copies));
            let wlen = wlen.ok_or_else(|| error::value("policy weights: size overflows"))?;
            inner.policy_w = memory::zeroed("linear policy weights", wlen)?;
            inner.policy_b = memory::zeroed("linear policy biases", out * copies)?;
            (inner.policy_w.as_ptr() as usize, inner.policy_b.as_ptr() as usize)
        };
        let owner = || slf.clone().unbind();
        Ok(if per_env {
            // Feature-major like every batch buffer: weights [out][obs][n], biases [out][n].
            (
                Buffer::view(owner(), w, Elem::F32, vec![n, out, od], vec![1, od * n, n]),
                Buffer::view(owner(), b, Elem::F32, vec![n, out], vec![1, n]),
            )
        } else {
            (Buffer::view(owner(), w, Elem::F32, vec![out, od], vec![od, 1]), Buffer::view(owner(), b, Elem::F32, vec![out], vec![1]))
        })
    }

    /// `steps` steps inside the fused loop with `policy` (`"random"`, `"constant"` with
    /// `constant` values, `"linear"` with the weights written into `policy_views`). Returns the
    /// per-env statistics, and with `record` the trajectory.
    #[pyo3(signature = (steps, policy, constant = None, per_env = false, record = false))]
    fn rollout<'py>(
        &self,
        py: Python<'py>,
        steps: usize,
        policy: &str,
        constant: Option<Vec<f32>>,
        per_env: bool,
        record: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (n, od, ad) = (self.n, self.obs_dim(), self.action_dim());
        let kind = policy.to_string();
        let mut rec = None;
        if record {
            let len = |rows: usize| {
                steps.checked_mul(rows).and_then(|x| x.checked_mul(n)).ok_or_else(|| error::value("rollout record: size overflows"))
            };
            let (floats, flags) = (len(od + ad + 1)?, len(2)?);
            let total = floats.checked_mul(4).and_then(|b| b.checked_add(flags));
            memory::check(&format!("rollout(record=True) of {steps} steps x {n} envs"), total)?;
            rec = Some((
                memory::zeroed::<f32>("recorded observations", len(od)?)?,
                memory::zeroed::<f32>("recorded actions", len(ad)?)?,
                memory::zeroed::<f32>("recorded rewards", len(1)?)?,
                memory::zeroed::<u8>("recorded terminations", len(1)?)?,
                memory::zeroed::<u8>("recorded truncations", len(1)?)?,
            ));
        }
        let (stats, rec) = self.with(py, |inner| {
            let Inner { engine, policy_w, policy_b, .. } = inner;
            let policy = match kind.as_str() {
                "random" => Policy::Random,
                "constant" => Policy::Constant(constant.as_deref().unwrap_or(&[])),
                "linear" => {
                    let (wl, bl) = (policy_w.len(), policy_b.len());
                    let expect_b = linear_outputs(engine.action_space()) * if per_env { n } else { 1 };
                    if bl != expect_b || wl != expect_b * od {
                        return Err(error::value("linear policy: call policy_views with the same per_env first"));
                    }
                    Policy::Linear { weights: policy_w, bias: policy_b }
                }
                other => return Err(error::value(format!("unknown policy {other:?}; expected random, constant or linear"))),
            };
            let mut rec = rec;
            let trajectory =
                rec.as_mut().map(|(o, a, r, te, tr)| Trajectory { obs: o, actions: a, rewards: r, terminated: te, truncated: tr });
            let stats: Stats = engine.rollout(steps, policy, trajectory)?;
            Ok((stats, rec))
        })?;
        let d = PyDict::new(py);
        d.set_item("reward_sum", Buffer::owned_c(Storage::F64(stats.reward_sum), vec![n]))?;
        d.set_item("episodes", Buffer::owned_c(Storage::U64(stats.episodes), vec![n]))?;
        d.set_item("length_sum", Buffer::owned_c(Storage::U64(stats.length_sum), vec![n]))?;
        if let Some((o, a, r, te, tr)) = rec {
            // [steps][component][n] seen as (steps, n, component).
            d.set_item("obs", Buffer::owned(Storage::F32(o), vec![steps, n, od], vec![od * n, 1, n]))?;
            d.set_item("actions", Buffer::owned(Storage::F32(a), vec![steps, n, ad], vec![ad * n, 1, n]))?;
            d.set_item("rewards", Buffer::owned_c(Storage::F32(r), vec![steps, n]))?;
            d.set_item("terminated", Buffer::owned_c(Storage::U8(te), vec![steps, n]).as_bool())?;
            d.set_item("truncated", Buffer::owned_c(Storage::U8(tr), vec![steps, n]).as_bool())?;
        }
        Ok(d)
    }

    /// Frees the batch's memory once no array views it (views kept past `close` stay readable,
    /// with the last values); every later call raises.
    fn close(&self) -> PyResult<()> {
        let mut g = match self.inner.try_lock() {
            Ok(g) => g,
            Err(TryLockError::WouldBlock) => return Err(PyRuntimeError::new_err("close() while another thread is inside this batch")),
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
        };
        self.closed.store(true, Ordering::Release);
        if self.views.load(Ordering::Acquire) == 0 {
            *g = None;
        }
        Ok(())
    }
}
