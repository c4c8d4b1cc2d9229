"""Supervised learning of a linear dynamical system with fast and slow connections.

Bourdoukan & Denève (NIPS 2015), "Enforcing balance allows local supervised learning in spiking
recurrent networks", reconstructed from the paper's equations (no code was published): a
spiking network learns, while its readout error is fed back, the fast and slow recurrent
weights that make it produce dx/dt = A x + c from the command c alone. ``params.py`` declares
the parameters, ``network.py`` the equations and the Brian2 builder (rules from
``rules.balanced`` and ``rules.supervised``), ``experiment.py`` the phases (test, learn, test)
and ``reference.py`` the NumPy loop that the network follows spike for spike.
"""

from models.common import Model
from models.supervised_dynamics.experiment import SUMMARY, run
from models.supervised_dynamics.params import Params

MODELS = (Model("supervised-dynamics", "learning a dynamical system with fast and slow "
                "connections (Bourdoukan & Deneve 2015)", Params, run, SUMMARY),)
