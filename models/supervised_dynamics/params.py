"""Parameters of the supervised-dynamics model, declared once (defaults: 600 s of learning a
damped oscillator with 80 neurons, as in the acceptance runs)."""

from typing import ClassVar

from brian2 import Quantity, ms, second

from models.common import ModelError, ModelParams, noise, param, parameters
from models.common.systems import parse_system

#: the named target systems this model learns (A in models.common.systems.SYSTEMS)
SYSTEM_NAMES = ("oscillator", "integrator")


@parameters
class Params(ModelParams):
    """A spiking network learning fast and slow weights that implement dx/dt = A x + c."""

    duration: Quantity = param(600 * second, "length of the learning phase", unit="second",
                               minimum=0)
    system: str = param("oscillator", "target system: oscillator (damped, A = [[-4.8, "
                        "-22.4], [40, 0]]/s), integrator (leaky, A = -I/s) or a matrix "
                        "'a11,a12;a21,a22' in 1/second")
    n_neurons: int = param(80, "network size", minimum=2)
    dt: Quantity = param(0.1 * ms, "time step", unit="ms", above=0)
    lam: Quantity = param(10 / second, "leak of voltages and filtered spike trains",
                          unit="1/second", above=0)
    mu: float = param(1e-6, "quadratic rate cost", minimum=0)
    encoder_norm: float = param(0.025, "|F_i|, length of every neuron's encoding vector "
                                "(random directions)", above=0)
    k_gain: Quantity = param(100 / second, "gain K of the error feedback during learning",
                             unit="1/second", minimum=0)
    eps_fast: float = param(1e-2, "rate of the voltage-based fast rule, per spike", minimum=0)
    beta: float = param(1.8, "scale of the voltage in the fast rule")
    eps_slow: Quantity = param(0.03 / second, "rate of the current-based slow rule",
                               unit="1/second", minimum=0)
    refractory: Quantity = param(2 * ms, "absolute refractory period", unit="ms", minimum=0)
    sigma_v: Quantity = param(0 / second**0.5, "voltage noise intensity (0: the dynamics are "
                              "deterministic)", unit="1/second**0.5", minimum=0)
    sigma_t: float = param(0.0, "per-step s.d. of threshold noise in the arbitration",
                           minimum=0)
    rng: str = noise.rng_param()
    target_rms: float = param(1.0, "the commands are scaled so that the target x has this RMS",
                              above=0)
    command_smoothing: Quantity = param(50 * ms, "s.d. of the Gaussian that smooths the "
                                        "white-noise command", unit="ms", above=0)
    command_dt: Quantity = param(1 * ms, "the command is sampled this often and held in "
                                 "between (a whole multiple of dt)", unit="ms", above=0)
    test_duration: Quantity = param(5 * second, "length of the autonomous (K = 0) tests "
                                    "before and after learning", unit="second", above=0)
    warmup: Quantity = param(100 * ms, "start of each test left out of the error", unit="ms",
                             minimum=0)
    initial: str = param("naive", "naive: Omega_f = its diagonal (the reset), Omega_s = 0; "
                         "optimal: both at their targets", choices=("naive", "optimal"))
    learn: bool = param(True, "0 freezes the weights during the learning phase (K stays on)")
    snapshots: int = param(50, "weight snapshots taken during learning", minimum=1)
    balance_tau: Quantity = param(10 * ms, "low-pass filter of the input currents for the "
                                  "E/I balance", unit="ms", above=0)

    QUICK: ClassVar[dict] = dict(duration=20 * second, test_duration=2 * second)

    def steps(self, q):
        """Whole time steps in the duration ``q``."""
        return int(round(float(q / self.dt)))

    def system_matrix(self):
        """The system matrix A (J, J) in 1/second."""
        return parse_system(self.system, SYSTEM_NAMES)

    def per_sample(self):
        """Time steps per command sample."""
        return int(round(float(self.command_dt / self.dt)))

    def check(self):
        self.system_matrix()  # ModelError for a system that is neither named nor a matrix
        per_sample, dt_s = self.per_sample(), float(self.dt / second)
        learn_steps, test_steps = self.steps(self.duration), self.steps(self.test_duration)
        if per_sample < 1 or abs(per_sample * dt_s - float(self.command_dt / second)) > 1e-12:
            raise ModelError("command_dt must be a whole multiple of dt")
        if learn_steps < per_sample or test_steps < 2 * per_sample:
            raise ModelError("duration and test_duration must span at least 2 command samples")
        if learn_steps % per_sample or test_steps % per_sample:
            raise ModelError("duration and test_duration must be multiples of command_dt")

    def recorded_bytes(self):
        """Commands, 1-ms traces of x and xhat, weight snapshots, the spikes (at most 100 Hz
        per neuron, a generous bound) and the input currents of one test (about ten arrays
        of test steps x (J + 2N))."""
        n, dims = self.n_neurons, len(self.system_matrix())
        total_s = float((self.duration + 2 * self.test_duration) / second)
        samples = total_s / float(self.command_dt / second)
        traces = 2 * dims * total_s * 1000
        snapshots = 2 * (self.snapshots + 4) * n * n
        currents = 10 * self.steps(self.test_duration) * (dims + 2 * n)
        spikes = 100.0 * n * total_s
        return int(8 * (3 * samples * dims + traces + snapshots + currents) + 12 * spikes)
