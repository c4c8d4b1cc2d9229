"""Predictive coding of a dynamical system with fast and slow connections (Boerlin et al. 2013).

A spiking network with fixed optimal weights tracks x(t) of dx/dt = A x + c(t), given only the
command c(t). ``params.py`` declares the parameters, ``network.py`` the equations, the optimal
weights and the Brian2 builder, ``experiment.py`` the phases (draw the inputs, simulate,
measure). No weight is learned, so there is no NumPy reference loop; the learning version is
the supervised-dynamics model.
"""

from models.common import Model
from models.predictive_dynamics.experiment import SUMMARY, run
from models.predictive_dynamics.params import Params

MODELS = (Model("predictive-dynamics", "spiking network tracking a damped oscillator "
                "(Boerlin et al. 2013)", Params, run, SUMMARY),)
