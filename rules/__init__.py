"""Learning rules as Brian2 code strings and small Synapses builders.

Rules never import ``models``; a model wires a rule's code into its own ``Synapses``.
"""

import numpy as np


def connect_blocks(syn, n_pre, n_post, copies):
    """All pairs within each copy, row-major: index = (c * n_pre + i) * n_post + j.

    Explicit indices (standalone monitors need them); returns the (pre, post) arrays.
    """
    c, ii, jj = np.meshgrid(np.arange(copies), np.arange(n_pre), np.arange(n_post),
                            indexing="ij")
    pre, post = (c * n_pre + ii).ravel(), (c * n_post + jj).ravel()
    syn.connect(i=pre, j=post)
    return pre, post


def connect_all(syn):
    """All-to-all, presynaptic index major; returns the (pre, post) arrays."""
    return connect_blocks(syn, len(syn.source), len(syn.target), 1)
