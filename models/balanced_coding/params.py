"""Parameters of the balanced-coding model, declared once (defaults: Fig 2 of the official code)."""

from typing import ClassVar

from brian2 import Quantity, ms, second

from models.common import ModelError, ModelParams, noise, param, parameters
from models.common.params import MAX_STEPS


@parameters
class Params(ModelParams):
    """Learning an efficient balanced spike code of a 2-D smoothed-noise signal."""

    duration: Quantity = param(500 * second, "learning time (the paper learns 14,000 s)",
                               unit="second", minimum=0)
    n_neurons: int = param(20, "network size N (--set N=... works too)", minimum=2)
    n_inputs: int = param(2, "input dimensions", minimum=1)
    dt: Quantity = param(1 * ms, "time step (the algorithm is defined per step)", unit="ms",
                         above=0)
    lam: Quantity = param(50 / second, "leak of voltages, input trace and filtered spike "
                          "trains", unit="1/second", above=0)
    threshold: float = param(0.5, "spike threshold T", above=0)
    sigma_v: float = param(1e-3, "per-step s.d. of the voltage noise", minimum=0)
    sigma_t: float = param(1e-2, "per-step s.d. of the threshold noise", minimum=0)
    rng: str = noise.rng_param()
    eps_o: float = param(1e-3, "learning rate of the recurrent (voltage-based) weights",
                         minimum=0)
    eps_f: float = param(1e-4, "learning rate of the feedforward (Hebbian) weights", minimum=0)
    alpha: float = param(0.18, "scaling of the feedforward fixed point")
    beta: float = param(1 / 0.9, "scaling of the recurrent fixed point")
    mu: float = param(0.02 / 0.9, "quadratic rate cost", minimum=0)
    input_amplitude: float = param(2000.0, "amplitude A of the smoothed white-noise input")
    input_smoothing: Quantity = param(30 * ms, "s.d. of the Gaussian smoothing kernel",
                                      unit="ms", above=0)
    input_block: Quantity = param(1 * second, "length of one independently drawn input block",
                                  unit="second", above=0)
    input_cycle: Quantity = param(2000 * second, "the learning input is drawn for at most "
                                  "this long and then repeated", unit="second", above=0)
    learn: bool = param(True, "0: the non-learning base network, Omega = -F^T F - mu I")
    recurrence: str = param("dense", "dense: the N x N matrix Omega (learning needs it); "
                            "lowrank (learn=0 only): -F^T F - mu I through an M-dimensional "
                            "read-out, memory and work O(N M)", choices=("dense", "lowrank"))
    input_seed: int = param(None, "none: the inputs follow the weights in the seed's stream; "
                            "a number: the inputs come from a stream of their own, the same "
                            "for every network size", kind="int", minimum=0)
    first_checkpoint: Quantity = param(128 * ms, "first evaluation after the initial one; "
                                       "then doubling", unit="ms", above=0)
    decoder_duration: Quantity = param(50 * second, "run on which the decoder is fitted",
                                       unit="second", above=0)
    decoder_input_scale: float = param(0.3, "input scale of the decoder run", above=0)
    test_duration: Quantity = param(10 * second, "length of one test trial at full amplitude",
                                    unit="second", above=0)
    test_trials: int = param(10, "test trials per checkpoint", minimum=1)
    raster_window: Quantity = param(2 * second, "spikes are recorded in the first and last "
                                    "window of learning", unit="second", minimum=0)
    progress: bool = param(True, "print progress lines on long learning runs")

    QUICK: ClassVar[dict] = dict(duration=20 * second, decoder_duration=10 * second,
                                 test_duration=5 * second, test_trials=4)
    ALIASES: ClassVar[dict] = dict(N="n_neurons")

    def steps(self, q):
        """Whole time steps in the duration ``q``."""
        return int(round(float(q / self.dt)))

    def check(self):
        if self.steps(self.decoder_duration) < 2 or self.steps(self.test_duration) < 2:
            raise ModelError("decoder_duration and test_duration need at least 2 steps of dt")
        if self.learn and self.steps(self.duration) < 1:
            raise ModelError("learning needs a positive duration (or --set learn=0)")
        if self.steps(self.input_block) < 1:
            raise ModelError("input_block needs at least 1 step of dt")
        if self.recurrence == "lowrank" and self.learn:
            raise ModelError("recurrence=lowrank holds the frozen optimal weights only: add "
                             "--set learn=0 (learning needs recurrence=dense)")

    def checkpoint_steps(self, total=None):
        """Steps of the evaluated checkpoints: 0, then powers of two from
        ``first_checkpoint`` on (as the official code), then the end of learning (``total``
        steps; default: the duration)."""
        if not self.learn:
            return [0]
        total = self.steps(self.duration) if total is None else total
        first = self.steps(self.first_checkpoint)
        steps, p = [0], 1
        while p < first:
            p *= 2
        while p < total:
            steps.append(p)
            p *= 2
        if total > 0:
            steps.append(total)
        return steps

    def max_checkpoints(self):
        """Checkpoints of the longest run the step counter allows (26 at the defaults)."""
        return len(self.checkpoint_steps(total=MAX_STEPS))

    def recorded_bytes(self):
        """Inputs, weights of every evaluated copy and snapshot, and the spikes (estimate)."""
        m, n = self.n_inputs, self.n_neurons
        k = self.max_checkpoints()  # the evaluation may hold that many (experiment.evaluate)
        learn_s = float(self.duration / second) if self.learn else 0.0
        first = float(self.first_checkpoint / second)
        snapshots = min(learn_s / first, 128) + learn_s / (128 * first) + 2
        steps = (min(self.steps(self.input_cycle), self.steps(self.duration))
                 + self.steps(self.decoder_duration)
                 + self.steps(self.test_duration) * self.test_trials)
        eval_s = max(float(self.decoder_duration / second),
                     float(self.test_duration / second) * self.test_trials)
        # at most 100 Hz per neuron (a generous bound) and one spike per step in each copy
        spikes = 2 * k * min(n * 100.0 * eval_s, self.steps(eval_s * second))
        square = n * n if self.recurrence == "dense" else 0
        weights = (m * n + square) * (2 * k + snapshots + 1)
        return int(8 * (2 * steps * m + weights) + 12 * spikes)
