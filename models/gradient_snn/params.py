"""Parameters of the two gradient-trained tasks, declared once.

Both tasks train the same network with the same optimiser, so :class:`TrainingParams` declares
the network, training and validation parameters once; its defaults are the auto-encoder's
(Fig 2). :class:`AutoencodeParams` adds the auto-encoder's trials, :class:`XorParams` the XOR
timeline and sets the defaults of Fig 3 with :func:`other_default`.
"""

from typing import ClassVar

from brian2 import Quantity, ms, second

from models.common import ModelError, ModelParams, param, parameters
from models.gradient_snn.reference import Constants


@parameters
class TrainingParams(ModelParams):
    """The QIF network and its training by Adam on the exact gradient (both tasks)."""

    n_neurons: int = param(50, "QIF neurons", minimum=1)
    dt: Quantity = param(0.5 * ms, "Euler step of the NumPy network and of the Brian2 run",
                         unit="ms", above=0)
    tau_v: Quantity = param(10 * ms, "QIF time constant", unit="ms", above=0)
    tau_s: Quantity = param(20 * ms, "decay time of the synaptic activity s", unit="ms",
                            above=0)
    delta: float = param(0.5, "width in rad of the active zone around pi (the gate is "
                         "1/delta inside)", above=0)
    iterations: int = param(800, "Adam steps", minimum=0)
    batch_size: int = param(8, "fresh training trials per Adam step", minimum=1)
    lr: float = param(3e-3, "Adam learning rate", minimum=0)
    clip: float = param(1.0, "the global gradient norm is clipped to this (0: no clipping)",
                        minimum=0)
    current_weight: float = param(10.0, "weight of the cost on currents that make the Euler "
                                  "step overshoot (reference.current_cost)", minimum=0)
    u_scale: float = param(1.0, "initial input weights U ~ N(0, u_scale^2)", minimum=0)
    i0: float = param(-0.1, "initial bias current I0 (negative: quiet without input)")
    eval_every: int = param(25, "Adam steps between validation passes (the parameters with "
                            "the lowest validation loss are kept)", minimum=1)

    #: trials of the fixed validation batch
    VALIDATION_TRIALS: ClassVar[int] = 16

    def steps(self, q):
        """Whole Euler steps in the duration ``q``."""
        return int(round(float(q / self.dt)))

    def constants(self):
        """Step, time constants and gate as the plain floats of the NumPy network."""
        return Constants(dt=float(self.dt / second), tau_v=float(self.tau_v / second),
                         tau_s=float(self.tau_s / second), delta=self.delta)

    def trajectory_bytes(self, steps, trials):
        """Memory of the forward and backward passes over ``trials`` trials of ``steps``
        steps: s, v, I and dL/dI, float64, each (steps, trials, n_neurons)."""
        return 8 * 4 * steps * trials * self.n_neurons


def other_default(name, default):
    """The declaration of ``name`` in :class:`TrainingParams` with another default."""
    spec = TrainingParams.spec(name)
    return param(default, spec.doc, unit=spec.unit, kind=spec.kind, choices=spec.choices,
                 minimum=spec.minimum, maximum=spec.maximum, above=spec.above,
                 below=spec.below)


@parameters
class AutoencodeParams(TrainingParams):
    """Auto-encoding a smooth random 2-D signal (Huh & Sejnowski 2018, Fig 2)."""

    trial: Quantity = param(500 * ms, "length of one training or test trial", unit="ms",
                            above=0)
    warmup: Quantity = param(100 * ms, "start of every trial left out of loss and NMSE (the "
                             "network starts from random phases and s = 0)", unit="ms",
                             minimum=0)
    smoothing: Quantity = param(100 * ms, "s.d. of the Gaussian that smooths the white-noise "
                                "signal", unit="ms", above=0)
    amplitude: float = param(1.0, "standard deviation of the signal", above=0)
    test_trials: int = param(16, "fresh test signals for the NMSE", minimum=1)
    brian2_trials: int = param(2, "of those, re-simulated in Brian2 on the device (0: none)",
                               minimum=0)

    QUICK: ClassVar[dict] = dict(iterations=40, n_neurons=20, test_trials=4)
    DURATION_HINT: ClassVar[str] = ("gradient-autoencode: the trial length is the parameter "
                                    "trial; use --set trial=500ms")

    def check(self):
        if not self.steps(self.warmup) < self.steps(self.trial):
            raise ModelError("warmup must be shorter than the trial (in whole steps of dt)")
        if self.brian2_trials > self.test_trials:
            raise ModelError("brian2_trials must be between 0 and test_trials")

    def recorded_bytes(self):
        """Training and validation batches, the test trials before and after training, and
        the Brian2 re-simulation."""
        trials = (self.batch_size + self.VALIDATION_TRIALS + 2 * self.test_trials
                  + self.brian2_trials)
        return self.trajectory_bytes(self.steps(self.trial), trials)


@parameters
class XorParams(TrainingParams):
    """Delayed-memory XOR (Huh & Sejnowski 2018, Fig 3): two pulses, a delay, a go cue."""

    n_neurons: int = other_default("n_neurons", 80)
    dt: Quantity = other_default("dt", 1 * ms)
    tau_s: Quantity = other_default("tau_s", 50 * ms)
    iterations: int = other_default("iterations", 300)
    batch_size: int = other_default("batch_size", 16)
    lr: float = other_default("lr", 5e-3)
    i0: float = other_default("i0", -0.5)
    eval_every: int = other_default("eval_every", 10)
    start: Quantity = param(50 * ms, "onset of the first pulse", unit="ms", minimum=0)
    pulse: Quantity = param(50 * ms, "length of each pulse and of the go cue", unit="ms",
                            above=0)
    delay: Quantity = param(300 * ms, "from the end of the first pulse to the second",
                            unit="ms", minimum=0)
    go_delay: Quantity = param(250 * ms, "from the end of the second pulse to the go cue",
                               unit="ms", minimum=0)
    response: Quantity = param(250 * ms, "response window after the go cue (the only part "
                               "scored)", unit="ms", above=0)
    amplitude: float = param(2.0, "height of the pulses and of the go cue")
    noise: float = param(0.1, "white-noise s.d. per step on both input channels", minimum=0)
    w_scale: float = param(0.3, "initial W ~ N(0, w_scale^2 / n_neurons) + self_excitation "
                           "on the diagonal", minimum=0)
    self_excitation: float = param(0.8, "initial self-coupling (puts each neuron near "
                                   "bistability)")
    i0_spread: float = param(0.2, "initial I0 ~ U(i0 - i0_spread, i0 + i0_spread)", minimum=0)
    test_per_condition: int = param(100, "fresh test trials per condition", minimum=1)
    brian2_per_condition: int = param(2, "of those, re-simulated in Brian2 on the device "
                                      "(0: none)", minimum=0)

    QUICK: ClassVar[dict] = dict(iterations=10, n_neurons=30, test_per_condition=5)
    DURATION_HINT: ClassVar[str] = ("gradient-xor: the trial length follows from the timeline "
                                    "(start, pulse, delay, go_delay, response); use --set")
    VALIDATION_TRIALS: ClassVar[int] = 64

    def check(self):
        if self.batch_size < 4:
            raise ModelError(f"gradient-xor needs batch_size at least 4 (each batch holds the "
                             f"4 conditions), not {self.batch_size}")
        if self.brian2_per_condition > self.test_per_condition:
            raise ModelError("brian2_per_condition must be between 0 and test_per_condition")

    def recorded_bytes(self):
        """Training and validation batches, the test trials before and after training, and
        the Brian2 re-simulation."""
        steps = self.steps(self.start + 3 * self.pulse + self.delay + self.go_delay
                           + self.response)
        trials = (self.batch_size + self.VALIDATION_TRIALS
                  + 4 * (2 * self.test_per_condition + self.brian2_per_condition))
        return self.trajectory_bytes(steps, trials)
