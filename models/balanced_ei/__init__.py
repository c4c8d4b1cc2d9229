"""An E/I network obeying Dale's law that learns a balanced spike code.

Brendel et al. (2020), Algorithm 2, Fig 4. ``params.py`` declares the parameters,
``network.py`` the Brian2 network (rules from ``rules.dale`` and ``rules.balanced``),
``experiment.py`` the phases (learn in resumable segments, evaluate every checkpoint, the
constant-input protocol, measure), ``checkpoints.py`` the checkpoint files, ``measures.py``
the statistics of the test runs, and ``reference.py`` the NumPy loop of Algorithm 2 that the
network follows spike for spike.
"""

from models.balanced_ei.experiment import SUMMARY, run
from models.balanced_ei.params import Params
from models.common import Model

MODELS = (Model("balanced-ei", "E/I network with Dale's law learning a balanced code "
                "(Brendel et al. 2020, Fig 4)", Params, run, SUMMARY),)
