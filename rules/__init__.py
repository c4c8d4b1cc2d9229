"""Learning rules as Brian2 code strings and small Synapses builders.

Rules never import ``models``; a model wires a rule's code into its own ``Synapses``.
"""
