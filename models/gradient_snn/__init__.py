"""Gradient descent for spiking networks (Huh & Sejnowski 2018), two tasks of one network.

Quadratic integrate-and-fire neurons with gated, differentiable synapses; U, W, O and I0 are
trained in NumPy by Adam on the exact gradient of the Euler-discretised network, then the
trained network runs in Brian2. ``params.py`` declares the parameters of both tasks,
``reference.py`` the NumPy network (forward Euler, exact gradient, Adam), ``network.py`` its
Brian2 equations and builder, ``experiment.py`` the phases both tasks share, and
``autoencode.py`` and ``xor.py`` the tasks (Figs 2 and 3).
"""

from models.common import Model
from models.gradient_snn import autoencode, xor
from models.gradient_snn.params import AutoencodeParams, XorParams

MODELS = (
    Model("gradient-autoencode", "QIF network auto-encoding a 2-D signal, trained by exact "
          "gradient (Huh & Sejnowski 2018)", AutoencodeParams, autoencode.run,
          autoencode.SUMMARY),
    Model("gradient-xor", "QIF network solving a delayed-memory XOR, trained by exact gradient "
          "(Huh & Sejnowski 2018)", XorParams, xor.run, xor.SUMMARY),
)
