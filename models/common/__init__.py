"""What the models share: the device layer, the one-spike-per-step arbitration, input signals,
target systems, parameter declarations and the error type.

- :mod:`models.common.device`: :class:`Simulation`, the one place that selects where Brian2
  runs (``runtime``, ``cpp``, ``cuda``) and caches compiled projects;
- :mod:`models.common.arbitration`: at most one spike per time step, in generated code;
- :mod:`models.common.signals` and :mod:`models.common.systems`: inputs and target systems;
- :mod:`models.common.params`: :func:`param`, :func:`parameters`, :class:`ModelParams`;
- :mod:`models.common.noise`: the fast counter-based Gaussian noise (``gauss``);
- :mod:`models.common.network_loop`: the C++ main loop without a clock read per step;
- :mod:`models.common.errors`: :class:`ModelError`, the one error type models raise.

A model package exposes ``MODELS``, a tuple of :class:`Model` records, one per task it runs.
"""

from dataclasses import dataclass
from typing import Callable

from analysis.io import RunResult
from models.common.errors import DeviceError, ModelError
from models.common.params import ModelParams, param, parameters

__all__ = ["DeviceError", "Model", "ModelError", "ModelParams", "RunResult", "param",
           "parameters"]


@dataclass(frozen=True)
class Model:
    """One runnable model: its name on the command line and what runs it."""

    name: str
    description: str
    params: type  # the model's ModelParams record
    run: Callable  # run(params) -> RunResult
    summary: tuple = ()  # metrics of the one-line summary of ``spikerules run``
