"""Weight-inference rules: each upstream neuron i learns an estimate of its effect on each
downstream neuron k, i.e. of the forward weight W[k, i], from spikes alone.

Three rules share one network (models/rdd/network.py) and one convention: synapse (i, k)
holds the estimate Y[i, k] of W^T, and every quantity is updated by generated code
(``on_pre``/``on_post`` pathways, custom events, ``run_regularly``), so the rules run on the
runtime, C++ and CUDA targets alike.

RDD (Guerguiev, Kording & Richards 2020)
    Regression discontinuity at the spike threshold. When neuron i's input drive ``u`` (its
    voltage without resets) comes within ``band`` of threshold, a window of ``window_steps``
    steps opens. At its end, the change of the downstream signal q_k (kernel-filtered spikes
    of k), ``dR = mean(q_k over the window) - q_k(at opening)``, is regressed on the largest
    drive ``u_max`` of the window, with one online line for windows in which i spiked and one
    for windows in which it almost spiked. The jump of the two lines at threshold is the
    causal effect ``beta = (m_above theta + c_above) - (m_below theta + c_below)``.

    Per-neuron window state (``timer``, ``u_max``, ``n_win``) lives in the neuron group; the
    window integral is a running sum ``Q`` of q in the downstream neuron, so no synapse is
    touched between window opening and window end.

STDWI (Ahmad et al. 2020)
    At each downstream spike: ``dY = eta [(x_fast - x_slow) - decay Y]`` with two presynaptic
    traces (time constants tau_fast < tau_slow, slow amplitude tau_fast / tau_slow).

Weight mirror (Akrout et al. 2019)
    Every ``block`` (100 ms): ``dY = eta [(n_post - <n_post>)(n_pre - <n_pre>) - decay Y]``
    with spike counts of the block and running mean counts as baselines.
"""

from brian2 import Synapses

from rules import connect_all


# -- RDD ---------------------------------------------------------------------------------

#: per-neuron state of the RDD estimator (both sides: upstream windows, downstream sum Q)
RDD_NEURON = """
timer : integer          # steps left in the current RDD window (0: no window)
u_max : 1                # largest input drive u during the window
n_win : integer          # spikes during the window
Q : 1                    # running sum of q over time steps (downstream side)
band : 1 (shared, constant)               # window opens when |theta - u| <= band
window_steps : integer (shared, constant) # window length in time steps
"""

#: added to the start-of-step code, after the kernel traces have decayed
RDD_START = "Q += q"

#: added to the reset: spikes in steps 2..window_steps of a window count
RDD_RESET = "n_win += int(timer > 1)"

#: end of every step, after the close pathway: advance the window clock, let u follow v
#: outside windows, and open a window where the drive is near threshold
RDD_BOOKKEEPING = """
timer = timer - int(timer > 0)
u = u * int(timer > 0) + v * int(timer == 0)
opening = int(timer == 0 and abs(theta - u) <= band)
u_max = opening * u + (1 - opening) * (u_max + (u - u_max) * int(u > u_max))
n_win = (1 - opening) * n_win
timer = timer + opening * window_steps
"""

#: custom events of the neuron group (checked in the 'end' slot, see rdd_window)
RDD_EVENTS = {
    "rdd_close": "timer == 1 and learning > 0",
    "rdd_open": "timer == window_steps",
}

RDD_SYNAPSE = """
m_above : 1
c_above : 1
m_below : 1
c_below : 1
beta : 1                 # (m_above theta + c_above) - (m_below theta + c_below)
Qs : 1                   # Q_post when the window opened
Rpre : 1                 # q_post when the window opened
eta_rdd : 1 (shared, constant)
"""

#: window opens: remember where the downstream signal stands
RDD_OPEN = """
Qs = Q_post
Rpre = q_post
"""

#: window ends: one step of least squares on the side of the threshold the window was on
RDD_CLOSE = """
dR = (Q_post - Qs) / window_steps_pre - Rpre
above = int(n_win_pre > 0)
err_above = m_above * u_max_pre + c_above - dR
err_below = m_below * u_max_pre + c_below - dR
m_above -= eta_rdd * err_above * u_max_pre * above
c_above -= eta_rdd * err_above * above
m_below -= eta_rdd * err_below * u_max_pre * (1 - above)
c_below -= eta_rdd * err_below * (1 - above)
beta = (m_above * theta_pre + c_above) - (m_below * theta_pre + c_below)
"""


def rdd_window(neurons, *, clock=None):
    """Schedule the window machinery of ``neurons`` in the 'end' slot of each step.

    Order: 0 close events, 1 close pathways (synapses, see rdd_synapses), 2 bookkeeping,
    3 open events, 4 open pathways. Returns the bookkeeping ``run_regularly`` object.
    """
    neurons.set_event_schedule("rdd_close", when="end", order=0)
    neurons.set_event_schedule("rdd_open", when="end", order=3)
    return neurons.run_regularly(RDD_BOOKKEEPING, when="end", order=2, clock=clock,
                                 name=f"{neurons.name}_rdd_window")


def rdd_synapses(pre, post, *, eta, name):
    """All-to-all RDD estimators ``pre -> post`` (synapse (i, k), presynaptic index major)."""
    syn = Synapses(pre, post, model=RDD_SYNAPSE,
                   on_pre={"open": RDD_OPEN, "close": RDD_CLOSE},
                   on_event={"open": "rdd_open", "close": "rdd_close"},
                   name=name)
    connect_all(syn)
    syn.close.when, syn.close.order = "end", 1
    syn.open.when, syn.open.order = "end", 4
    syn.eta_rdd = eta
    return syn


# -- STDWI -------------------------------------------------------------------------------

STDWI_NEURON = """
x_fast : 1
x_slow : 1
tau_fast : second (shared, constant)
tau_slow : second (shared, constant)
"""

STDWI_START = """
x_fast *= exp(-dt / tau_fast)
x_slow *= exp(-dt / tau_slow)
"""

STDWI_RESET = """
x_fast += 1
x_slow += tau_fast / tau_slow
"""

STDWI_SYNAPSE = """
y_stdwi : 1
eta_stdwi : 1 (shared, constant)
decay_stdwi : 1 (shared, constant)
"""

STDWI_ON_POST = "y_stdwi += eta_stdwi * ((x_fast_pre - x_slow_pre) - decay_stdwi * y_stdwi)"


def stdwi_synapses(pre, post, *, eta, decay, name):
    syn = Synapses(pre, post, model=STDWI_SYNAPSE, on_post=STDWI_ON_POST, name=name)
    connect_all(syn)
    syn.eta_stdwi = eta
    syn.decay_stdwi = decay
    return syn


# -- weight mirror -----------------------------------------------------------------------

MIRROR_NEURON = """
count : 1               # spikes in the current block
baseline : 1            # running mean of the block counts
blocks : 1              # blocks seen (the mean is exact until mirror_memory blocks)
mirror_memory : 1 (shared, constant)
"""

MIRROR_RESET = "count += 1"

#: neuron side, at the start of each block after the synapses: update baselines, new block
MIRROR_BLOCK = """
started = int(t > 0 * second)
blocks += started
baseline += started * (count - baseline) / clip(blocks, 1, mirror_memory)
count = 0
"""

MIRROR_SYNAPSE = """
y_mirror : 1
eta_mirror : 1 (shared, constant)
decay_mirror : 1 (shared, constant)
"""

#: synapse side, at the start of each block, before the baselines take in the block
#: (skipped until one block has given baselines)
MIRROR_UPDATE = (
    "y_mirror += int(blocks_pre > 0) * eta_mirror * ("
    "(count_post - baseline_post) * (count_pre - baseline_pre) - decay_mirror * y_mirror)"
)


def mirror_block(neurons, *, clock):
    """The neuron side of the mirror: runs at the start of each block (``clock``)."""
    return neurons.run_regularly(MIRROR_BLOCK, when="start", order=1, clock=clock,
                                 name=f"{neurons.name}_mirror_block")


def mirror_synapses(pre, post, *, eta, decay, clock, name):
    syn = Synapses(pre, post, model=MIRROR_SYNAPSE, name=name)
    connect_all(syn)
    syn.eta_mirror = eta
    syn.decay_mirror = decay
    syn.run_regularly(MIRROR_UPDATE, when="start", order=0, clock=clock,
                      name=f"{name}_update")
    return syn
