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

Cost grows as N^2 per step: fine for tens to a few hundred neurons.
"""

import numpy as np
from brian2 import Synapses

#: variables the neuron group must declare
NEURON_VARIABLES = """
score : 1
n_above : 1
"""

THRESHOLD = "score >= 0 and n_above < 0.5"


def one_spike_per_step(neurons, *, score_expression, block_size=None, name=None):
    """Add the arbitration to ``neurons``; returns the comparison ``Synapses``.

    ``score_expression`` is the noisy distance to threshold, e.g.
    ``"v - threshold - sigma_t * randn()"``. With ``block_size``, the group holds independent
    copies of a network of that many neurons, and each copy arbitrates on its own.
    """
    neurons.run_regularly(  # belongs to the group: it runs wherever the group runs
        f"score = {score_expression}", when="thresholds", order=-2,
        name=f"{neurons.name}_score",
    )
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
    updater = compare.summed_updaters["n_above_post"]
    updater.when = "thresholds"
    updater.order = -1
    return compare
