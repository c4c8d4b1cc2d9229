"""The E/I network of Algorithm 2 in Brian2: equations, initial weights, builders, one run.

Separate excitatory (E) and inhibitory (I) populations. E neurons receive the input through
feedforward weights F, excitation from E (W_EE >= 0) and inhibition from I (W_IE <= 0);
I neurons receive no input, only excitation from E (W_EI >= 0) and inhibition from I
(W_II <= 0). Every weight learns with the rules of ``rules.dale``; at most one neuron of each
population fires per step (``models.common.arbitration``), with a refractory period.

Schedule of one step (Brian2's ``groups`` slot, in this order; the NumPy loop of
``reference.py`` follows the same steps):

    input trace cbar_E, feedforward current F^T I
    V_E: leak, input, noise; then W_EE and W_IE of the previous step's spikes
    cbar_I (the E spike trace) takes the previous step's E spike
    E arbitration and threshold; on an E spike the F and W_EE rules
    V_I: leak, noise; then W_EI of this step's E spike and W_II of the previous I spike
    I arbitration and threshold; on an I spike the W_EI, W_II and W_IE rules
    resets (r += 1); the filtered spike trains r decay in the ``end`` slot

Matrices are [post, pre] (``w_ee``: E <- E, ``w_ie``: E <- I, ``w_ei``: I <- E, ``w_ii``:
I <- I); F is (inputs, N_E). :func:`simulate` passes the weights and the whole state in and
out through ``run_args``, so a learning segment continues the previous one exactly.
"""

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, defaultclock, second

from models.common import noise
from models.common.arbitration import (JUDGE_EVENTS, JUDGE_THRESHOLD, JUDGE_VARIABLES,
                                       NEURON_VARIABLES, TOURNAMENT_THRESHOLD,
                                       TOURNAMENT_VARIABLES, one_spike_per_step_judge,
                                       one_spike_per_step_tournament)
from models.common.errors import ModelError
from rules.balanced import feedforward_synapses
from rules.dale import dale_synapses

_SHARED = """
lam : 1/second (shared, constant)
threshold : 1 (shared, constant)
sigma_v : 1 (shared, constant)       # per-step s.d. of the voltage noise
sigma_t : 1 (shared, constant)       # per-step s.d. of the threshold noise
"""

#: ``{xi}`` and ``{key}``: white noise and its key (``models.common.noise``), per population
E_EQUATIONS = """
dv/dt = -lam * v + I_ff + sigma_v * {xi} / sqrt(dt) : 1
{key}I_ff : 1/second                      # F^T I, summed by the feedforward synapses
r : 1                                # filtered spike train
cbar_i : 1                           # this neuron's spike trace, read by the E -> I rule
spiked : 1                           # 1 in the step after a spike
trace_leak_i : 1/second (shared, constant)
""" + _SHARED

I_EQUATIONS = """
dv/dt = -lam * v + sigma_v * {xi} / sqrt(dt) : 1
{key}r : 1
""" + _SHARED

INPUT_EQUATIONS = """
I : 1/second                         # the input of this step, read once at its start
stimulus_now = stimulus(t, i) : 1/second  # = I (x reads it: the arithmetic order of before)
dx/dt = -trace_leak_e * x + stimulus_now : 1  # the input trace cbar_E of the feedforward rule
trace_leak_e : 1/second (shared, constant)
"""

#: noise streams of ``gauss`` per population: (voltage noise, threshold noise); the threshold
#: noise is drawn only near threshold (``noise.near``), the voltage noise for every neuron
STREAMS = dict(exc=(0, 1), inh=(2, 3))

#: orders in the 'groups' slot
ORDER = dict(inputs=-20, e=0, e_transmit=1, e_trace=2, e_arbitration=3, e_threshold=9,
             e_learn=10, i=20, i_transmit=21, i_arbitration=22, i_threshold=28,
             i_learn=29, i_reset=30, e_reset=31)  # r_E counts a spike after the I rules

#: the state carried from one segment to the next (group, variable)
STATE = (("exc", "v"), ("exc", "r"), ("exc", "cbar_i"), ("exc", "spiked"), ("exc", "lastspike"),
         ("inh", "v"), ("inh", "r"), ("inh", "lastspike"), ("inputs", "x"))

WEIGHTS = ("f", "w_ee", "w_ie", "w_ei", "w_ii")

#: the parameters :func:`build_network` takes from the model's parameter record
RULE_PARAMETERS = ("dt", "lam", "threshold", "mu", "eps_f", "eps_o", "refractory_steps",
                   "sigma_v", "sigma_t", "w_autapse", "trace_leak_e", "trace_leak_i",
                   "tournament", "rng")


def initial_weights(rng, n_inputs, n_e, n_i, *, w_autapse):
    """Initial weights of the official code; matrices are [post, pre], F is (inputs, N_E).

    F: random unit columns; W_EE = w_autapse I; W_II = -0.5 I; W_EI = 0.5 [I I ... I]
    (each I neuron starts with N_E / N_I E inputs); W_IE = -0.3 [I I ... I]^T.
    """
    if n_e % n_i:
        raise ModelError(f"n_e ({n_e}) must be a multiple of n_i ({n_i})")
    f = rng.standard_normal((n_inputs, n_e))
    f /= np.linalg.norm(f, axis=0, keepdims=True)
    tiles = np.tile(np.eye(n_i), (1, n_e // n_i))  # (N_I, N_E)
    return dict(f=f, w_ee=w_autapse * np.eye(n_e), w_ie=-0.3 * tiles.T, w_ei=0.5 * tiles,
                w_ii=-0.5 * np.eye(n_i))


def weight_shapes(n_inputs, n_e, n_i):
    """{name: shape} of the five weight matrices."""
    return dict(f=(n_inputs, n_e), w_ee=(n_e, n_e), w_ie=(n_e, n_i), w_ei=(n_i, n_e),
                w_ii=(n_i, n_i))


def build_network(sim, *, n_inputs, n_e, n_i, dt, lam, threshold, mu, eps_f, eps_o,
                  refractory_steps, sigma_v, sigma_t, w_autapse, trace_leak_e, trace_leak_i,
                  stimulus_values, stimulus_dt, tournament, sigma_v_exc=None, rng="fast",
                  feedforward=feedforward_synapses, recurrent=dale_synapses):
    """The Brian2 objects of Algorithm 2; returns a dict of them (and 'stimulus').

    ``stimulus_values`` (samples, inputs) in 1/second, each held for ``stimulus_dt``.
    ``sigma_v_exc``: another voltage noise for the E population (None: ``sigma_v``).
    ``feedforward`` and ``recurrent`` build the plastic pathways (default: the rules of
    ``rules.balanced`` and ``rules.dale``; another rule is a builder with the same signature).
    ``rng`` picks the noise generator (``models.common.noise``).
    """
    defaultclock.dt = dt
    stimulus = sim.timed_array(stimulus_values * Hz, dt=stimulus_dt, name="stimulus")
    inputs = NeuronGroup(n_inputs, INPUT_EQUATIONS, method="euler", order=ORDER["inputs"],
                         name="inputs")
    inputs.trace_leak_e = trace_leak_e
    # once per input unit, not once per feedforward synapse (they sum w_ff * I_pre)
    inputs.run_regularly("I = stimulus_now", when="start", name="inputs_read")
    groups = {}
    for pop, n, eqs, first in (("exc", n_e, E_EQUATIONS, "e"), ("inh", n_i, I_EQUATIONS, "i")):
        sigma = sigma_v_exc if pop == "exc" and sigma_v_exc is not None else sigma_v
        voltage_noise, _ = STREAMS[pop]
        eqs = noise.equations(eqs, rng, voltage_noise)
        groups[pop] = _population(pop, n, eqs, first, tournament, dt, refractory_steps,
                                  lam=lam, threshold=threshold, sigma_t=sigma_t, sigma_v=sigma)
        noise.prepare(sim, groups[pop], rng, voltage_noise)
    exc, inh = groups["exc"], groups["inh"]
    exc.trace_leak_i = trace_leak_i
    exc.run_regularly("cbar_i = (1 - trace_leak_i * dt) * cbar_i + spiked\nspiked = 0",
                      when="groups", order=ORDER["e_trace"], name="exc_spike_trace")
    arbitration = []
    for pop, first in (("exc", "e"), ("inh", "i")):
        draw = noise.near(rng, STREAMS[pop][1], "v - threshold", "sigma_t")
        score = f"v - threshold - sigma_t * {draw}"
        where = dict(score_expression=score, when="groups", order=ORDER[f"{first}_arbitration"])
        if tournament:
            arbitration += one_spike_per_step_tournament(groups[pop], block=tournament, **where)
        else:
            arbitration += one_spike_per_step_judge(groups[pop], **where)
    ff = feedforward(inputs, exc, eps_f=eps_f, alpha=1.0, name="syn_ff")
    ff.post.when, ff.post.order = "groups", ORDER["e_learn"]
    rates = dict(eps_o=eps_o, eps_f=eps_f, mu=mu)
    syn = {}
    for kind, pre, post, transmit, learn in (("ee", exc, exc, "e_transmit", "e_learn"),
                                             ("ie", inh, exc, "e_transmit", "i_learn"),
                                             ("ei", exc, inh, "i_transmit", "i_learn"),
                                             ("ii", inh, inh, "i_transmit", "i_learn")):
        extra = dict(w_autapse=w_autapse) if kind == "ee" else {}
        syn[f"syn_{kind}"] = recurrent(pre, post, kind, transmit_order=ORDER[transmit],
                                       learn_order=ORDER[learn], **rates, **extra)
    return dict(stimulus=stimulus, inputs=inputs, exc=exc, inh=inh, ff=ff,
                arbitration=arbitration, **syn)


def _population(pop, n, equations, first, tournament, dt, refractory_steps, **values):
    """One population: threshold by arbitration, refractory period, resets and rate decay
    at their places in the step; ``values`` are its shared constants."""
    if tournament:  # the judge (O(N) per step) or, with a block size, the tournament
        variables = NEURON_VARIABLES + TOURNAMENT_VARIABLES
        condition, events = TOURNAMENT_THRESHOLD, {}
    else:
        variables, condition, events = JUDGE_VARIABLES, JUDGE_THRESHOLD, JUDGE_EVENTS
    g = NeuronGroup(n, equations + variables, threshold=condition, events=dict(events),
                    reset="r += 1\nspiked = 1" if pop == "exc" else "r += 1",
                    refractory=(refractory_steps + 1) * dt, method="euler",
                    order=ORDER[first], name=pop)
    g.thresholder["spike"].when, g.thresholder["spike"].order = (
        "groups", ORDER[f"{first}_threshold"])
    g.resetter["spike"].when, g.resetter["spike"].order = "groups", ORDER[f"{first}_reset"]
    g.lam, g.threshold, g.sigma_t = values["lam"], values["threshold"], values["sigma_t"]
    g.sigma_v = values["sigma_v"]
    g.run_regularly("r = (1 - lam * dt) * r", when="end", name=f"{pop}_rate_decay")
    return g


def weights_to_synapses(weights):
    """{'f', 'w_ee', ...} matrices -> synapse-ordered arrays (presynaptic index major)."""
    return dict(f=np.ascontiguousarray(weights["f"]).ravel(),
                **{k: np.ascontiguousarray(weights[k].T).ravel()
                   for k in ("w_ee", "w_ie", "w_ei", "w_ii")})


def synapses_to_weights(values, n_inputs, n_e, n_i):
    """The inverse of :func:`weights_to_synapses`."""
    shapes = weight_shapes(n_inputs, n_e, n_i)
    out = dict(f=np.asarray(values["f"]).reshape(shapes["f"]))
    for k in ("w_ee", "w_ie", "w_ei", "w_ii"):
        out[k] = np.asarray(values[k]).reshape(shapes[k][::-1]).T
    return out


def set_weights(sim, objs, weights):
    """Weights (and plasticity) of a built network, through run_args on standalone targets."""
    flat = weights_to_synapses(weights)
    sim.set_values(objs["ff"].w_ff, flat["f"])
    for k in ("ee", "ie", "ei", "ii"):
        sim.set_values(getattr(objs[f"syn_{k}"], f"w_{k}"), flat[f"w_{k}"])


def read_weights(objs, n_inputs, n_e, n_i):
    """The five weight matrices of a network after its run."""
    values = dict(f=objs["ff"].w_ff[:],
                  **{f"w_{k}": getattr(objs[f"syn_{k}"], f"w_{k}")[:]
                     for k in ("ee", "ie", "ei", "ii")})
    return synapses_to_weights(values, n_inputs, n_e, n_i)


def simulate(*, sim, weights, stimulus, stimulus_steps=1, learn=True, state=None,
             trial_steps=None, duration=None, **network):
    """One simulation; returns spikes, weights, the end state and the Brian2 objects (None
    when only building).

    ``stimulus`` (samples, inputs) in 1/second, each sample held for ``stimulus_steps`` time
    steps; ``state`` {(group, var): array} continues a previous segment (None: from rest).
    With ``trial_steps``, V and r of both populations return to 0 at the start of every trial.
    ``duration``: run this long (default: the whole stimulus).
    ``network``: the keywords of :func:`build_network` (``RULE_PARAMETERS``, ``sigma_v_exc``).
    On cpp, :func:`simulate_again` then runs the same network with other values.
    """
    n_inputs, n_e = weights["f"].shape
    n_i = weights["w_ii"].shape[0]
    dt = network["dt"]
    objs = build_network(sim, n_inputs=n_inputs, n_e=n_e, n_i=n_i, stimulus_values=stimulus,
                         stimulus_dt=stimulus_steps * dt, **network)
    if trial_steps is not None:
        trial_clock = sim.clock(trial_steps * dt, name="trial_clock")
        for pop in ("exc", "inh"):
            objs[pop].run_regularly("v = 0\nr = 0", when="start", clock=trial_clock,
                                    name=f"{pop}_trial_reset")
    _set_inputs(sim, objs, weights, state)
    for key in ("ff", "syn_ee", "syn_ie", "syn_ei", "syn_ii"):
        objs[key].plastic = int(learn)
    objs["monitors"] = dict(exc=SpikeMonitor(objs["exc"], name="spikes_exc"),
                            inh=SpikeMonitor(objs["inh"], name="spikes_inh"))
    net = sim.network(*[o for k, o in objs.items()
                        if k not in ("stimulus", "arbitration", "monitors")],
                      *objs["arbitration"], *objs["monitors"].values())
    if duration is None:
        duration = len(stimulus) * stimulus_steps * dt
    sim.run(net, duration, namespace={"stimulus": objs["stimulus"]},
            report="text" if duration >= 60 * second else None)
    sim.finish()
    if sim.build_only:
        return None
    return dict(_outputs(objs, n_inputs, n_e, n_i), objects=objs)


def simulate_again(sim, objs, *, seed, weights, stimulus, state=None, duration=None):
    """cpp: the network that :func:`simulate` built in ``sim`` (its ``objects``) run again,
    nothing rebuilt, with ``seed`` and new weights, input (as many samples) and state, for
    ``duration`` (default: as long as before). Returns as :func:`simulate`."""
    _set_inputs(sim, objs, weights, state)
    sim.set_values(objs["stimulus"], stimulus * Hz)
    sim.rerun(seed, duration)
    n_inputs, n_e = weights["f"].shape
    return dict(_outputs(objs, n_inputs, n_e, weights["w_ii"].shape[0]), objects=objs)


def _set_inputs(sim, objs, weights, state):
    set_weights(sim, objs, weights)
    if state is not None:
        for (group, var), values in state.items():
            unit = second if var == "lastspike" else 1
            sim.set_values(getattr(objs[group], var), np.asarray(values) * unit)


def _outputs(objs, n_inputs, n_e, n_i):
    spikes = {pop: (np.asarray(m.i[:], dtype=np.int32), np.asarray(m.t[:] / second))
              for pop, m in objs["monitors"].items()}
    return dict(spikes=spikes, weights=read_weights(objs, n_inputs, n_e, n_i),
                state=read_state(objs))


def read_state(objs):
    """{(group, var): array} of ``STATE`` after a run (``lastspike`` in s)."""
    end_state = {}
    for group, var in STATE:
        values = getattr(objs[group], var)[:]
        end_state[(group, var)] = np.asarray(values / second if var == "lastspike" else values)
    return end_state
