"""Event-driven random backpropagation (eRBP; Neftci, Augustine, Paul & Detorakis 2017).

A spiking classifier input -> hidden -> output learns online: every transmitted input spike
updates its weight by ``eta * U_post``, where the dendrite ``U`` integrates the spikes of error
neurons through fixed random feedback (``rules.erbp``); with ``p_syn`` below 1 the synapses are
stochastic (peRBP). ``params.py`` declares the parameters, ``network.py`` the Brian2 network,
``experiment.py`` the phases (schedule, learn and test, measure, baselines) and
``reference.py`` the NumPy rate networks trained by feedback alignment and by backprop that
the run reports beside eRBP.
"""

from models.common import Model
from models.erbp.experiment import SUMMARY, run
from models.erbp.params import Params

MODELS = (Model("erbp", "event-driven random backpropagation classifier (Neftci et al. 2017)",
                Params, run, SUMMARY),)
