"""Learning rules as Brian2 code strings and small Synapses builders.

Rules never import ``models``; a model wires a rule's code into its own ``Synapses``.
"""

import logging

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


class _OrderWarningFilter(logging.Filter):
    def __init__(self, snippets):
        super().__init__()
        self.snippets = snippets

    def filter(self, record):
        message = record.getMessage()
        return not ("may depend on the order of execution" in message
                    and any(s in message for s in self.snippets))


def quiet_order_warning(snippet):
    """Silence Brian2's warning that synaptic code 'may depend on the order of execution'
    for code that contains ``snippet``: for code that reads and writes postsynaptic variables
    on purpose, where the caller has made sure (and says why) that the order is harmless or
    intended. Other code keeps the warning."""
    log = logging.getLogger("brian2.codegen.generators.base")
    for f in log.filters:
        if isinstance(f, _OrderWarningFilter):
            if snippet not in f.snippets:
                f.snippets.append(snippet)
            return
    log.addFilter(_OrderWarningFilter([snippet]))
