"""At most one spike per time step, in generated code.

Algorithm 1 of Brendel et al. (2020) fires only the neuron with the largest (noisy) distance
to threshold in each time step; letting every neuron above threshold fire makes neurons
overshoot and ping-pong. ``network_operation`` is not available in standalone mode, so the
arbitration is done by Brian2 code that runs on every target:

1. ``run_regularly`` (slot ``thresholds``, order -2) draws each neuron's noisy score
   ``score = v - threshold - sigma_t * randn()``, so one noise draw serves every comparison;
2. an all-to-all ``Synapses`` counts, for each neuron, how many others have a larger score
   (a summed variable, moved to the ``thresholds`` slot, order -1, after the state update);
3. the threshold condition is ``score >= 0 and n_above < 0.5``.

Cost grows as N^2 per step: fine for tens to a few hundred neurons. For larger groups,
:func:`one_spike_per_step_tournament` finds the same neuron in N b + (N / b)^2 operations for
blocks of b neurons: neurons compete within blocks, each block's winner enters a small group
of block units, the block units compete, and the result goes back to the neurons.
"""

import numpy as np
from brian2 import NeuronGroup, Synapses, linked_var

from rules import quiet_order_warning

#: variables the neuron group must declare
NEURON_VARIABLES = """
score : 1
n_above : 1
"""

THRESHOLD = "score >= 0 and n_above < 0.5"

#: extra variable of a group that uses the tournament
TOURNAMENT_VARIABLES = """
block_above : 1
"""

#: threshold condition with the tournament
TOURNAMENT_THRESHOLD = "score >= 0 and n_above < 0.5 and block_above < 0.5"


def one_spike_per_step(neurons, *, score_expression, block_size=None, name=None,
                       when="thresholds", order=-2):
    """Add the arbitration to ``neurons``; returns the comparison ``Synapses``.

    ``score_expression`` is the noisy distance to threshold, e.g.
    ``"v - threshold - sigma_t * randn()"``. With ``block_size``, the group holds independent
    copies of a network of that many neurons, and each copy arbitrates on its own. The score
    is drawn at (``when``, ``order``) and compared at (``when``, ``order + 1``); the group's
    thresholder must come after both.
    """
    _draw_score(neurons, score_expression, when, order)
    n = len(neurons)
    block = block_size or n
    if n % block:
        raise ValueError(f"{n} neurons do not split into blocks of {block}")
    compare = Synapses(
        neurons,
        neurons,
        "n_above_post = int(score_pre > score_post) : 1 (summed)",
        name=name or f"{neurons.name}_arbitration",
    )
    ii, jj = np.nonzero(~np.eye(block, dtype=bool))
    offsets = block * np.arange(n // block)[:, None]
    compare.connect(i=(offsets + ii).ravel(), j=(offsets + jj).ravel())
    _schedule(compare, "n_above_post", when, order + 1)
    return compare


def _draw_score(neurons, score_expression, when, order):
    neurons.run_regularly(  # belongs to the group: it runs wherever the group runs
        f"score = {score_expression}", when=when, order=order, name=f"{neurons.name}_score")


def _schedule(syn, summed, when, order):
    """Move the updater of a summed variable to (``when``, ``order``)."""
    updater = syn.summed_updaters[summed]
    updater.when, updater.order = when, order


#: pre beats post: a larger value, or the same value and a lower index (as numpy's argmax)
BEATS = """
first : 1 (constant)
{target}_post = int({var}_pre > {var}_post or ({var}_pre == {var}_post and first > 0.5)) : 1 (summed)
"""


def one_spike_per_step_tournament(neurons, *, score_expression, block, when, order, name=None):
    """The arbitration of :func:`one_spike_per_step` in two rounds; returns the new objects.

    ``neurons`` needs ``score``, ``n_above`` and ``block_above`` (NEURON_VARIABLES and
    TOURNAMENT_VARIABLES) and the threshold TOURNAMENT_THRESHOLD. Round one: ``n_above``
    counts the larger scores within the neuron's block of ``block`` neurons, so each block has
    one winner. Round two: block units take their winner's score, count the blocks with a
    larger one, and send that count back as ``block_above``. The neuron that wins both rounds
    has the largest score of the group, as in the all-to-all version. Code runs at (``when``,
    ``order`` ... ``order + 4``); the thresholder must come after.
    """
    name = name or f"{neurons.name}_tournament"
    n = len(neurons)
    n_blocks = -(-n // block)
    _draw_score(neurons, score_expression, when, order)
    member = np.arange(n) // block
    within = Synapses(neurons, neurons, BEATS.format(var="score", target="n_above"),
                      name=f"{name}_within")
    ii, jj = np.nonzero((member[:, None] == member[None, :]) & ~np.eye(n, dtype=bool))
    within.connect(i=ii, j=jj)
    within.first = (ii < jj).astype(float)
    _schedule(within, "n_above_post", when, order + 1)
    if n_blocks == 1:  # one block: round one decides (block_above stays 0)
        return [within]
    blocks = NeuronGroup(n_blocks, "best : 1\nblocks_above : 1", name=f"{name}_blocks")
    # the winner of a block has n_above = 0: its score is the block's best
    up = Synapses(neurons, blocks, "best_post = score_pre * int(n_above_pre < 0.5) : 1 (summed)",
                  name=f"{name}_up")
    up.connect(i=np.arange(n), j=member)
    across = Synapses(blocks, blocks, BEATS.format(var="best", target="blocks_above"),
                      name=f"{name}_across")
    bi, bj = np.nonzero(~np.eye(n_blocks, dtype=bool))
    across.connect(i=bi, j=bj)
    across.first = (bi < bj).astype(float)
    down = Synapses(blocks, neurons, "block_above_post = blocks_above_pre : 1 (summed)",
                    name=f"{name}_down")
    down.connect(i=member, j=np.arange(n))
    for k, (syn, var) in enumerate(((up, "best_post"), (across, "blocks_above_post"),
                                    (down, "block_above_post"))):
        _schedule(syn, var, when, order + 2 + k)
    return [blocks, within, up, across, down]


#: variable, event and threshold of a group that uses :func:`one_spike_per_step_judge`
JUDGE_VARIABLES = """
score : 1
winner : integer (linked)
"""
JUDGE_EVENTS = {"candidate": "score >= 0"}
JUDGE_THRESHOLD = "score >= 0 and i == winner"

#: a candidate replaces the judge's winner if its score is larger, or equal with a lower index.
#: The candidate's index is ``i_pre``, not the synapse's ``i`` (the same number): Brian2 2.10's
#: Cython template of on_pre code counts the step's events in a loop variable named ``i``, and
#: code that reads ``i`` overwrites it, skipping candidates (see models.common.device)
JUDGE_ON_CANDIDATE = """
better = int(score_pre > best_post or (score_pre == best_post and i_pre < winner_post))
best_post = better * score_pre + (1 - better) * best_post
winner_post = better * i_pre + (1 - better) * winner_post
"""


def one_spike_per_step_judge(neurons, *, score_expression, block_size=None,
                             when="thresholds", order=-2, name=None):
    """The arbitration in O(N) per step; returns the new objects (judges and their synapses).

    Only neurons whose score is at least 0 take part: they emit a ``candidate`` event, and
    each candidate's score goes to a judge (one per copy of ``block_size`` neurons) that keeps
    the largest, ties going to the lower index as numpy's argmax. A neuron fires if it is its
    judge's winner. ``neurons`` must be built with ``events=dict(JUDGE_EVENTS)`` (a copy:
    Brian2 adds its 'spike' event to the dict it gets), declare
    JUDGE_VARIABLES and use JUDGE_THRESHOLD. Code runs at (``when``, ``order`` ...
    ``order + 2``); the thresholder must come after. Candidates are few in these networks
    (the score is a distance to threshold), so the work is one pass over the neurons.
    """
    # Brian2 warns that this code may depend on the order of the candidates: it does not
    # (the larger score wins, ties go to the lower index, in any order)
    quiet_order_warning("better := int((score_pre > best_post)")
    name = name or f"{neurons.name}_judge"
    n = len(neurons)
    block = block_size or n
    if n % block:
        raise ValueError(f"{n} neurons do not split into blocks of {block}")
    _draw_score(neurons, score_expression, when, order)
    judges = NeuronGroup(n // block, "best : 1\nwinner : integer", name=f"{name}s")
    judges.run_regularly("best = -1\nwinner = -1", when=when, order=order, name=f"{name}_clear")
    neurons.set_event_schedule("candidate", when=when, order=order + 1)
    collect = Synapses(neurons, judges, on_pre=JUDGE_ON_CANDIDATE, on_event="candidate",
                       name=f"{name}_collect")
    member = np.arange(n) // block
    collect.connect(i=np.arange(n), j=member)
    collect.pre.when, collect.pre.order = when, order + 2
    neurons.winner = linked_var(judges, "winner", index=member)
    return [judges, collect]

