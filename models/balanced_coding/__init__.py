"""Efficient balanced network learning its feedforward and recurrent weights.

Bourdoukan et al. (2012); Brendel et al. (2020), Algorithm 1, Fig 2. ``params.py`` declares the
parameters, ``network.py`` the Brian2 network (rules from ``rules.balanced``),
``experiment.py`` the phases (learn, evaluate, measure) and ``reference.py`` the NumPy loop of
Algorithm 1 that the network follows spike for spike.
"""

from models.balanced_coding.experiment import SUMMARY, run
from models.balanced_coding.params import Params
from models.common import Model

MODELS = (Model("balanced-coding", "efficient balanced network learning its weights "
                "(Brendel et al. 2020, Fig 2)", Params, run, SUMMARY),)
