"""The spiking network of the feedback phase: equations, weights, drive, builders, one run.

Guerguiev, Kording & Richards (ICLR 2020), "Spike-based causal inference for weight
alignment". Layers of leaky integrate-and-fire neurons, each layer l > 0 driven by the one
below through forward weights W_l (n_l x n_{l-1}). One layer at a time is *driven*: a random
``drive_fraction`` of its neurons (redrawn every ``block``) receives Poisson spikes at
``drive_rate``; the layers downstream of it follow through the forward weights; the layers
upstream are silent. Per neuron (Euler, time step dt):

    dv/dt = -g_L v + g_D (B - v)      v >= theta: spike, v <- v_reset, refractory
    du/dt = -g_L u + g_D (B - u)      the same drive, never reset (see rules/rdd.py)
    B = alpha p_drive                 in the driven layer
    B = sum_i W_hat[k, i] p_i         downstream of it (0 upstream)
    p(t) = sum_{k>=1} kappa(k dt) S(t - (k-1) dt),
    kappa(x) = (exp(-x/tau_L) - exp(-x/tau_s)) / (tau_L - tau_s)

The kernel is two exponential traces per neuron (in ms units, as in the authors' code).
Within a step the layers are updated in order (state update, threshold, transmission, reset,
scheduled by ``order`` in Brian2's 'groups' slot), so a spike reaches the next layer in the
step it is fired, with weight kappa(1), as in the authors' code; drive spikes count from the
step they arrive, and a neuron's own filtered spikes q (the signal upstream estimators read)
from the next step. The weight-inference rules of ``rules.rdd`` run on every pair of
consecutive layers; while layer l is driven, only the estimators of l -> l+1 learn (as in
the authors' schedule, each estimating layer is driven for an equal share of the run).

Two parameter sets (``network``, see ``params.PRESETS``):

``guerguiev``
    The authors' code: dt 1 ms, g_L 100/s, g_D 600/s, alpha 4, refractory 3 ms,
    W_hat = 0.2 n_in W / std(W) for random W (uniform, as PyTorch initialises it).
``ahmad``
    The 100 -> 10 network of Ahmad et al. (2020, STDWI): dt 0.25 ms, g_L = g_D = 1/(20 ms),
    alpha 12, no refractory period, W = 90 (0.5 N(0,1)/sqrt(0.2 n_in) + 1/(0.2 n_in)).

:func:`simulate_feedback` builds and runs it once; both RDD models (and ``spikerules bench``)
use it.
"""

from __future__ import annotations

import numpy as np
from brian2 import (Hz, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, defaultclock, ms,
                    second)

from models.common.device import Simulation
from models.common.errors import ModelError
from models.rdd.params import BLOCK, RULES, steps_per_block, whole_blocks
from rules import connect_all
from rules import rdd as rdd_rules

NEURON_EQUATIONS = (
    """
dv/dt = -g_L * v + g_D * (B - v) : 1
du/dt = -g_L * u + g_D * (B - u) : 1
B = alpha * (dL - dS) / kernel_norm * is_driven + (fL - fS) / kernel_norm * is_downstream : 1
q = (oL - oS) / kernel_norm : 1             # own filtered spikes: the downstream signal
is_driven = int(layer == driven_layer(t)) : 1
is_downstream = int(layer > driven_layer(t)) : 1
learning = is_driven * estimating : 1       # this neuron's estimators learn now
kernel_norm = (tau_L - tau_s) / ms : 1
dL : 1                                      # kernel traces of the Poisson drive,
dS : 1
fL : 1                                      # of the W_hat-weighted input spikes,
fS : 1
oL : 1                                      # and of the neuron's own spikes
oS : 1
n_drive : 1                                 # drive spikes in this step
next_drive : 1                              # the next step with drive spikes (a step count)
step : second (shared, constant)            # the time step (dt), for the block clock's code
layer : integer (shared, constant)
first_index : integer (shared, constant)    # of the layer's first neuron in drive_on
estimating : 1 (shared, constant)           # 1: the layer has a layer above it
g_L : 1/second (shared, constant)
g_D : 1/second (shared, constant)
alpha : 1 (shared, constant)
theta : 1 (shared, constant)
v_reset : 1 (shared, constant)
tau_L : second (shared, constant)
tau_s : second (shared, constant)
drive_rate : Hz (shared, constant)
"""
    + rdd_rules.RDD_NEURON
    + rdd_rules.STDWI_NEURON
    + rdd_rules.MIRROR_NEURON
)

#: first thing in every step: kernel traces decay, drive spikes arrive
OWN_DECAY = """
oL *= exp(-dt / tau_L)
oS *= exp(-dt / tau_s)
"""
INPUT_DECAY = """
fL *= exp(-dt / tau_L)
fS *= exp(-dt / tau_s)
"""
DRIVE_DECAY = """
dL *= exp(-dt / tau_L)
dS *= exp(-dt / tau_s)
n_drive = 0
"""

# The Poisson drive, drawn only where it arrives. With lam = drive_rate dt, a driven neuron
# gets at least one drive spike in a step with probability 1 - exp(-lam); the steps between
# two such steps are geometric, floor(-log(U) / lam). In a step with drive, the first spike
# comes at T1 (in steps) with density ~ exp(-lam T1) on [0, 1), and the rest of the step holds
# poisson(lam (1 - T1)) more. So the counts are exactly those of poisson(lam) per step, and
# only the 20 % of one layer that is driven draws random numbers (the others never reach
# next_drive). At each block start every chosen neuron draws its first step with drive (the
# gaps have no memory, so drawing again is exact) and the others are set to NEVER. That code
# runs on the block clock, where dt is the block: hence ``step``, the time step.
DRIVE_BLOCK = """
first_drive = timestep(t, step) + floor(-log(1 - rand()) / (drive_rate * step))
driven = drive_on(t, i + first_index)
next_drive = driven * first_drive + (1 - driven) * NEVER
"""
#: next_drive of a neuron that is not driven
NEVER = 1e18
DRIVE_EVENT = "t_in_timesteps >= next_drive"
DRIVE_ARRIVES = """
n_drive = 1 + poisson(drive_rate * dt + log(1 - rand() * (1 - exp(-drive_rate * dt))))
dL += n_drive * exp(-dt / tau_L)
dS += n_drive * exp(-dt / tau_s)
next_drive += 1 + floor(-log(1 - rand()) / (drive_rate * dt))
"""

#: delivered in the step of the spike: the increments are the kernel one step on, kappa(1)
TRANSMIT = """
fL_post += w * exp(-dt / tau_L_post)
fS_post += w * exp(-dt / tau_s_post)
"""

#: a run prints progress lines from this many synapse-steps on (about a minute of C++)
PROGRESS_PAIR_STEPS = 1e10

#: the parts of an RDD estimator's state, in the names of ``simulate_feedback``'s dicts
RDD_PARTS = ("m_above", "c_above", "m_below", "c_below")

#: what is fixed in the model (not parameters): threshold and reset of v, the time constants of
#: the spike kernel kappa and of STDWI's traces, and the weight mirror's memory in blocks
CONSTANTS = dict(theta=1.0, v_reset=-1.0, tau_L=10 * ms, tau_s=3 * ms, tau_fast=20 * ms,
                 tau_slow=200 * ms, mirror_memory=100)


def layer_code(layer, n_layers, rules_used):
    """Start-of-step and reset code of one layer, with only what it and the rules need.

    Every layer but the last can be driven and has estimators towards the next layer; every
    layer but the first receives forward input and is read by the estimators below it.
    """
    upstream, downstream = layer < n_layers - 1, layer > 0
    start, reset = [OWN_DECAY], ["v = v_reset", "oL += 1", "oS += 1"]
    if upstream:
        start.append(DRIVE_DECAY)
    if downstream:
        start.append(INPUT_DECAY)
    if downstream and "rdd" in rules_used:
        start.append(rdd_rules.RDD_START)
    if upstream and "rdd" in rules_used:
        reset.append(rdd_rules.RDD_RESET)
    if upstream and "stdwi" in rules_used:
        start.append(rdd_rules.STDWI_START)
        reset.append(rdd_rules.STDWI_RESET)
    if "mirror" in rules_used:
        reset.append(rdd_rules.MIRROR_RESET)
    return "\n".join(start), "\n".join(reset)


# -- weights and drive ---------------------------------------------------------------------

def forward_weights(rng, sizes, network):
    """Random forward weights W_l (n_l x n_{l-1}) as the network's authors draw them."""
    out = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if network == "ahmad":
            k = 0.2 * n_in  # inputs active at a time
            out.append(90.0 * (0.5 / np.sqrt(k) * rng.standard_normal((n_out, n_in)) + 1 / k))
        else:
            bound = 1 / np.sqrt(n_in)
            out.append(rng.uniform(-bound, bound, (n_out, n_in)))
    return out


def effective_weights(w, network):
    """The weights the spiking layer uses: W_hat = 0.2 n_in W / std(W) (guerguiev)."""
    if network == "ahmad":
        return np.asarray(w, dtype=float)
    return 0.2 * w.shape[1] * w / np.std(w)


def drive_schedule(rng, sizes, n_blocks, fraction):
    """Which layer is driven in each block and which neurons get Poisson input.

    Each layer that has a layer above it is driven for an equal share of the blocks, in order.
    Returns (driven_layer (n_blocks,), drive_on (n_blocks, sum(sizes)) of 0/1).
    """
    n_estimating = len(sizes) - 1
    driven = np.minimum(np.arange(n_blocks) * n_estimating // max(n_blocks, 1),
                        n_estimating - 1)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    drive_on = np.zeros((n_blocks, offsets[-1]))
    for b, layer in enumerate(driven):
        n = sizes[layer]
        chosen = rng.choice(n, int(round(fraction * n)), replace=False)
        drive_on[b, offsets[layer] + chosen] = 1.0
    return driven.astype(float), drive_on


def initial_estimates(rng, sizes, initial=None):
    """Estimator states to start from: those given, and for STDWI and the mirror small random
    values where none is given (RDD starts from zero). Names: ``rdd{l}_m_above`` ...,
    ``stdwi{l}``, ``mirror{l}``, each (n_l, n_{l+1})."""
    initial = dict(initial or {})
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for rule in ("stdwi", "mirror"):
            initial.setdefault(f"{rule}{l}", 0.001 * (rng.uniform(size=(n_in, n_out)) - 0.5))
    return initial


def rdd_feedback(beta, y_fa):
    """The authors' feedback matrix: beta rescaled to the spread of the FA matrix it replaces.

    Y = Y_FA where beta == 0 (no window yet), else beta std(Y_FA) / std(beta[beta != 0]).
    """
    y = np.array(y_fa, dtype=float, copy=True)
    mask = beta != 0
    if mask.sum() > 1 and np.std(beta[mask]) > 0:
        y[mask] = beta[mask] * np.std(y_fa) / np.std(beta[mask])
    return y


# -- builders ------------------------------------------------------------------------------

def build_layers(sim, sizes, rules_used, *, refractory, block_clock, dt, constants):
    """One NeuronGroup per layer, with its start-of-step code, drive and rule machinery.

    ``constants``: the shared parameters of every layer ({'g_L': ..., 'band': ...}).
    Returns (groups, objects to run: the groups and their operations).
    """
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    groups, objects = [], []
    for l, n in enumerate(sizes):
        start_code, reset_code = layer_code(l, len(sizes), rules_used)
        driveable = l < len(sizes) - 1
        windows = driveable and "rdd" in rules_used
        events = dict(rdd_rules.RDD_EVENTS) if windows else {}
        if driveable:
            events["drive"] = DRIVE_EVENT
        g = NeuronGroup(n, NEURON_EQUATIONS, threshold="v >= theta", reset=reset_code,
                        refractory=refractory, method="euler", events=events or None,
                        name=f"layer{l}")  # (a copy: Brian2 adds 'spike' to the dict)
        for name, value in constants.items():
            setattr(g, name, value)
        g.layer = l
        g.first_index = offsets[l]
        g.step = dt
        g.next_drive = NEVER
        g.estimating = float(driveable)
        g.v = constants["v_reset"]
        g.u = constants["v_reset"]
        # layer by layer within the step: update, threshold, transmit, reset; so a
        # spike reaches the next layer in the step it is fired (as in the authors' code)
        g.state_updater.order = 10 * l
        g.thresholder["spike"].when, g.thresholder["spike"].order = "groups", 10 * l + 1
        g.resetter["spike"].when, g.resetter["spike"].order = "groups", 10 * l + 3
        objects += [g, g.run_regularly(start_code, when="start", order=0,
                                       name=f"layer{l}_start")]
        if driveable:  # block start: who is driven; then each step: drive arrives
            objects.append(g.run_regularly(DRIVE_BLOCK, clock=block_clock, when="start",
                                           order=-1, name=f"layer{l}_drive_block"))
            g.set_event_schedule("drive", when="start", order=2)
            g.run_on_event("drive", DRIVE_ARRIVES, when="start", order=3)
        if windows:
            objects.append(rdd_rules.rdd_window(g))
        if "mirror" in rules_used:
            objects.append(rdd_rules.mirror_block(g, clock=block_clock))
        groups.append(g)
    return groups, objects


def forward_synapses(sim, pre, post, w_hat, l):
    """All-to-all transmission ``pre -> post`` with weights W_hat (n_post, n_pre), scheduled
    between the two layers' thresholds and resets."""
    syn = Synapses(pre, post, "w : 1", on_pre=TRANSMIT, name=f"forward{l}")
    connect_all(syn)
    syn.pre.when, syn.pre.order = "groups", 10 * l + 2
    sim.set_values(syn.w, w_hat.T.ravel())
    return syn


def estimators(sim, pre, post, l, rules_used, *, initial, block_clock, eta_rdd, eta_stdwi,
               decay_stdwi, eta_mirror, decay_mirror):
    """The chosen rules' estimators of the weights ``pre -> post`` (layer pair ``l``), started
    from ``initial``. Returns [(name, l, synapses, estimate variable)]."""
    out = []
    if "rdd" in rules_used:
        syn = rdd_rules.rdd_synapses(pre, post, eta=eta_rdd, name=f"rdd{l}")
        for var in RDD_PARTS:
            start = initial.get(f"rdd{l}_{var}")
            if start is not None:
                sim.set_values(getattr(syn, var), np.ravel(start))
        out.append((f"rdd{l}", l, syn, "beta"))
    if "stdwi" in rules_used:
        syn = rdd_rules.stdwi_synapses(pre, post, eta=eta_stdwi, decay=decay_stdwi,
                                       name=f"stdwi{l}")
        sim.set_values(syn.y_stdwi, np.ravel(initial[f"stdwi{l}"]))
        out.append((f"stdwi{l}", l, syn, "y_stdwi"))
    if "mirror" in rules_used:
        syn = rdd_rules.mirror_synapses(pre, post, eta=eta_mirror, decay=decay_mirror,
                                        clock=block_clock, name=f"mirror{l}")
        sim.set_values(syn.y_mirror, np.ravel(initial[f"mirror{l}"]))
        out.append((f"mirror{l}", l, syn, "y_mirror"))
    return out


def monitors(sim, groups, estimated, sizes, *, snapshot_interval, record_drive):
    """Spikes of every layer; the estimates every ``snapshot_interval`` (None or 0: not
    recorded); the drive counts of every step (``record_drive``). Returns three of them:
    [SpikeMonitor per layer], {estimator name: StateMonitor}, [StateMonitor per layer]."""
    spikes = [SpikeMonitor(g, name=f"spikes{l}") for l, g in enumerate(groups)]
    snapshots = {}
    if snapshot_interval is not None and float(snapshot_interval / second) > 0:
        snap_clock = sim.clock(snapshot_interval, name="snapshot_clock")
        for name, l, syn, var in estimated:
            record = np.arange(sizes[l] * sizes[l + 1])  # standalone needs the indices
            snapshots[name] = StateMonitor(syn, var, record=record, clock=snap_clock,
                                           name=f"{name}_snapshots")
    drive = []
    if record_drive:
        drive = [StateMonitor(g, "n_drive", record=True, when="start", order=4,
                              name=f"drive{l}") for l, g in enumerate(groups)]
    return spikes, snapshots, drive


# -- one run -------------------------------------------------------------------------------

def simulate_feedback(*, weights, duration, seed, device, rules_used, network, dt, g_L, g_D,
                      alpha, refractory, drive_rate, drive_fraction, band, window, eta_rdd,
                      eta_stdwi, decay_stdwi, eta_mirror, decay_mirror, initial=None,
                      snapshot_interval=None, record_drive=False, build_only=False,
                      progress=True, block=BLOCK):
    """Run the feedback phase once; the workhorse of both RDD models.

    ``weights``: forward weights W_l (n_l x n_{l-1}) as drawn (rescaled here as the network
    prescribes). The network, drive and rule keywords are those of an ``AlignmentParams``
    record (:meth:`models.rdd.params.AlignmentParams.feedback_keywords` gives them);
    :data:`CONSTANTS` are fixed. ``initial``: estimator states to start from (see :func:`initial_estimates`).
    ``duration`` is rounded to whole blocks. Returns a dict of plain arrays: ``spikes``
    [(neuron indices, times in s) per layer], ``final`` (estimator states, same names),
    ``snapshots`` (name -> (T, n_in, n_out)), ``snapshot_t``, ``drive`` (if recorded),
    ``drive_on``, ``driven_layer``, ``initial``, ``timings``.
    """
    sizes = tuple([weights[0].shape[1]] + [w.shape[0] for w in weights])
    steps_per_block(dt, block)
    if not float(drive_rate / Hz) > 0:
        raise ModelError(f"drive_rate must be positive, not {drive_rate}")
    n_blocks = whole_blocks(duration, block)
    rng = np.random.default_rng(seed)
    driven, drive_on = drive_schedule(rng, sizes, n_blocks, drive_fraction)
    initial = initial_estimates(rng, sizes, initial)
    snap = float(snapshot_interval / second) if snapshot_interval is not None else 0.0
    steps = n_blocks * steps_per_block(dt, block)
    pairs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    # progress lines on long simulated times, and on large networks (minutes for a few s)
    end_s = n_blocks * float(block / second)
    report = progress and (end_s >= 20 or pairs * steps >= PROGRESS_PAIR_STEPS)
    sim = Simulation("rdd-network", target=device, seed=seed, build_only=build_only,
                     code_params=dict(sizes=sizes, rules=rules_used, dt=dt, n_blocks=n_blocks,
                                      block=block, refractory=refractory, snapshot=snap,
                                      record_drive=record_drive,
                                      # (absent when short: the cache keys of before)
                                      **({"progress": True} if report and end_s < 20
                                         else {})))
    constants = dict(CONSTANTS, g_L=g_L, g_D=g_D, alpha=alpha, drive_rate=drive_rate, band=band,
                     window_steps=int(round(float(window / dt))))
    rates = dict(eta_rdd=eta_rdd, eta_stdwi=eta_stdwi, decay_stdwi=decay_stdwi,
                 eta_mirror=eta_mirror, decay_mirror=decay_mirror)
    out = {"sizes": sizes, "timings": sim.timings, "initial": initial}
    with sim:
        defaultclock.dt = dt
        schedule = {"driven_layer": sim.timed_array(driven, dt=block, name="driven_layer"),
                    "drive_on": sim.timed_array(drive_on, dt=block, name="drive_on"),
                    "NEVER": NEVER}
        block_clock = sim.clock(block, name="block_clock")
        groups, objects = build_layers(sim, sizes, rules_used, refractory=refractory,
                                       block_clock=block_clock, dt=dt, constants=constants)
        forward, estimated = [], []
        for l, w in enumerate(weights):
            pre, post = groups[l], groups[l + 1]
            forward.append(forward_synapses(sim, pre, post, effective_weights(w, network), l))
            estimated += estimators(sim, pre, post, l, rules_used, initial=initial,
                                    block_clock=block_clock, **rates)
        recorded = monitors(sim, groups, estimated, sizes, snapshot_interval=snapshot_interval,
                            record_drive=record_drive)
        spikes, snapshots, drive = recorded
        net = sim.network(*objects, *forward, *[syn for _, _, syn, _ in estimated], *spikes,
                          *snapshots.values(), *drive)
        sim.run(net, n_blocks * block, namespace=schedule, report="text" if report else None)
        sim.finish()
        if build_only:
            return out
        out.update(collect(estimated, *recorded, sizes=sizes, end_s=end_s))
        out["drive_on"], out["driven_layer"] = drive_on, driven
    return out


def collect(estimated, spikes, snapshots, drive, *, sizes, end_s):
    """The arrays of a finished run (see :func:`simulate_feedback`): spikes, final estimates,
    their time course (the recorded states and the final one), the drive counts."""
    out = {"spikes": [(np.asarray(m.i[:], dtype=np.int32), np.asarray(m.t[:] / second))
                      for m in spikes]}
    final = {}
    for name, l, syn, var in estimated:
        shape = (sizes[l], sizes[l + 1])
        if name.startswith("rdd"):
            for part in (*RDD_PARTS, "beta"):
                final[f"{name}_{part}"] = np.asarray(getattr(syn, part)[:]).reshape(shape)
        else:
            final[name] = np.asarray(getattr(syn, var)[:]).reshape(shape)
    out["final"] = final
    if snapshots:
        t_snap = np.asarray(next(iter(snapshots.values())).t[:] / second)
        out["snapshot_t"] = np.append(t_snap, end_s)
        out["snapshots"] = {}
        for name, l, _, var in estimated:
            series = np.asarray(getattr(snapshots[name], var)[:]).T
            last = final[f"{name}_beta" if name.startswith("rdd") else name]
            # a list of views of the recorded array and the final state: no copy of the
            # recording (T x n_l x n_l+1 numbers: gigabytes for the largest networks)
            out["snapshots"][name] = [*series.reshape((-1, sizes[l], sizes[l + 1])), last]
    if drive:  # (steps, all neurons)
        out["drive"] = np.hstack([np.asarray(m.n_drive[:]).T for m in drive])
    return out
