"""Parameters of the predictive-dynamics model, declared once (defaults: a Fig 4-like run of
Boerlin et al. 2013 on a damped oscillator)."""

from typing import ClassVar

from brian2 import Quantity, ms, second

from models.common import ModelError, ModelParams, noise, param, parameters

#: the target systems this model tracks (A in models.common.systems.SYSTEMS)
SYSTEM_NAMES = ("oscillator", "differentiator")


@parameters
class Params(ModelParams):
    """A spiking network with fixed optimal fast and slow weights tracking dx/dt = A x + c."""

    duration: Quantity = param(10 * second, "simulated time", unit="second", minimum=0)
    system: str = param("oscillator", "target system dx/dt = A x + c (oscillator: damped, "
                        "4.7 Hz; differentiator: leaky)", choices=SYSTEM_NAMES)
    n_neurons: int = param(100, "network size", minimum=2)
    dt: Quantity = param(0.1 * ms, "time step", unit="ms", above=0)
    lam_d: Quantity = param(10 / second, "leak of the readout (filtered spike trains)",
                            unit="1/second", above=0)
    lam_v: Quantity = param(20 / second, "leak of the membrane voltages", unit="1/second",
                            above=0)
    mu: float = param(1e-6, "quadratic rate cost", minimum=0)
    nu: float = param(1e-5, "linear rate cost", minimum=0)
    gamma_norm: float = param(0.03, "length of each neuron's decoding vector Gamma_i "
                              "(random directions)", above=0)
    sigma_v: Quantity = param(1e-3 / second**0.5, "voltage noise intensity",
                              unit="1/second**0.5", minimum=0)
    rng: str = noise.rng_param()
    command_amplitude: Quantity = param(20 / second, "amplitude of each command pulse",
                                        unit="1/second")
    pulse_interval: Quantity = param(1 * second, "a command pulse in a random direction "
                                     "every this long", unit="second", above=0)
    pulse_width: Quantity = param(50 * ms, "length of one command pulse", unit="ms", above=0)
    warmup: Quantity = param(100 * ms, "initial time left out of the tracking error",
                             unit="ms", minimum=0)

    QUICK: ClassVar[dict] = dict(duration=2 * second)

    def steps(self, q):
        """Whole time steps in the duration ``q``."""
        return int(round(float(q / self.dt)))

    def check(self):
        if self.steps(self.duration) < 10:
            raise ModelError("duration must be at least 10 time steps of dt")

    def recorded_bytes(self):
        """Spike counts and filtered spike trains at every step (the readout), command, target
        and readout trajectories, and the spikes (at most 100 Hz per neuron: a generous
        bound)."""
        steps, n, dims = self.steps(self.duration), self.n_neurons, 2
        spikes = 100.0 * n * float(self.duration / second)
        return int(8 * steps * (2 * n + 4 * dims) + 12 * spikes)
