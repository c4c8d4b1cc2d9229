"""Spike-based inference of forward weights, and training with the feedback it learns.

Guerguiev, Kording & Richards (ICLR 2020), with STDWI (Ahmad et al. 2020) and the weight
mirror (Akrout et al. 2019) on the same network. Two models share one spiking network:

- ``rdd-alignment``: the network infers its random forward weights from spikes; the
  estimates are compared with W^T over time (``alignment.py``);
- ``rdd-training``: a rate network trained by SGD whose feedback matrices come from the
  spiking network's RDD phase before each epoch, against backprop and feedback alignment
  (``training.py``).

``params.py`` declares both models' parameters, ``network.py`` the Brian2 network of the
feedback phase (rules from ``rules.rdd``) and ``reference.py`` the NumPy loop that the network
follows spike for spike.
"""

from models.common import Model
from models.rdd import alignment, training
from models.rdd.params import AlignmentParams, TrainingParams

MODELS = (
    Model("rdd-alignment", "weight inference by RDD, STDWI and weight mirror vs FA "
          "(Guerguiev et al. 2020)", AlignmentParams, alignment.run, alignment.SUMMARY),
    Model("rdd-training", "training with BP, FA and RDD-learned feedback "
          "(Guerguiev et al. 2020)", TrainingParams, training.run, training.SUMMARY),
)
