"""Parameters of the balanced-ei model, declared once (defaults: Fig 4 of the official code)."""

from typing import ClassVar

from brian2 import Quantity, ms, second

from models.common import ModelError, ModelParams, noise, param, parameters


@parameters
class Params(ModelParams):
    """An E/I network with Dale's law learning a balanced code, tested as in Fig 4.

    The learning runs in segments of ``segment``; checkpoints are kept after segments 1, 2,
    4, 8, ... and the last, and each is evaluated with frozen weights (decoders of E and I
    fitted on ``decoder_duration`` of input, coding error on ``error_trials`` seconds more).
    The test protocol of the paper runs before and after learning: constant input of
    ``test_amplitude`` in ``test_directions`` random directions, ``test_trials`` trials from
    rest each (before learning: a fifth of them).
    """

    duration: Quantity = param(800 * second, "learning time (the paper learns about "
                               "105,000 s)", unit="second", minimum=0)
    n_e: int = param(300, "excitatory neurons (a multiple of n_i)", minimum=1)
    n_i: int = param(75, "inhibitory neurons", minimum=1)
    n_inputs: int = param(3, "input dimensions", minimum=1)
    dt: Quantity = param(0.1 * ms, "time step (the algorithm is defined per step)", unit="ms",
                         above=0)
    lam: Quantity = param(50 / second, "leak of voltages and filtered spike trains",
                          unit="1/second", above=0)
    threshold: float = param(0.5, "spike threshold of both populations", above=0)
    mu: float = param(0.002, "quadratic rate cost", minimum=0)
    eps_f: float = param(1e-5, "learning rate of the Hebbian weights (F, W_EI)", minimum=0)
    eps_o: float = param(1e-4, "learning rate of the voltage-based weights (W_EE, W_IE, "
                         "W_II)", minimum=0)
    refractory_steps: int = param(10, "a neuron that fired may fire again after this many "
                                  "steps", minimum=0)
    sigma_v: float = param(0.002, "per-step s.d. of the voltage noise", minimum=0)
    sigma_t: float = param(0.02, "per-step s.d. of the threshold noise", minimum=0)
    rng: str = noise.rng_param()
    sigma_v_test: float = param(0.001, "voltage noise of the E neurons in the frozen-weight "
                                "runs (the official runnet.m; I neurons keep sigma_v)",
                                minimum=0)
    w_autapse: float = param(-0.02, "the fixed E autapse (it resets the voltage)")
    trace_leak_e: Quantity = param(300 / second, "leak of the input trace read by the F rule "
                                   "(6 lam)", unit="1/second", minimum=0)
    trace_leak_i: Quantity = param(50 / second, "leak of the E spike trace read by the E -> I "
                                   "rule (lam)", unit="1/second", minimum=0)
    tournament: int = param(0, "arbitration: 0 the one-pass judge, b > 0 the two-round "
                            "tournament in blocks of b neurons (same spikes)", minimum=0)
    input_amplitude: float = param(2000.0, "amplitude of the smoothed white-noise input")
    input_smoothing: Quantity = param(3 * ms, "s.d. of the Gaussian smoothing kernel",
                                      unit="ms", above=0)
    input_block: Quantity = param(100 * ms, "length of one independently drawn input block",
                                  unit="ms", above=0)
    segment: Quantity = param(50 * second, "learning runs in segments of this length (one "
                              "compiled project, resumable)", unit="second", above=0)
    decoder_duration: Quantity = param(4 * second, "input on which the decoders of a "
                                       "checkpoint are fitted", unit="second", above=0)
    error_trials: int = param(10, "seconds of input on which a checkpoint's coding error is "
                              "measured", minimum=1)
    test_amplitude: float = param(90.0, "amplitude of the constant input of the protocol")
    test_directions: int = param(20, "random input directions of the protocol", minimum=1)
    test_trials: int = param(50, "trials per direction after learning (a fifth before)",
                             minimum=1)
    test_trial_duration: Quantity = param(1 * second, "length of one protocol trial, from "
                                          "rest", unit="second", above=0)
    balance_tau: Quantity = param(10 * ms, "low-pass filter of the input currents for the "
                                  "E/I balance", unit="ms", above=0)
    checkpoint_dir: str = param("", "where checkpoint files go ('' for none; spikerules run "
                                "uses OUT/checkpoints)")
    resume: str = param("", "a checkpoint file to continue from (same seed and parameters)")

    QUICK: ClassVar[dict] = dict(duration=4 * second, segment=2 * second,
                                 decoder_duration=1 * second, error_trials=2,
                                 test_directions=4, test_trials=4)

    def steps(self, q):
        """Whole time steps in the duration ``q``."""
        return int(round(float(q / self.dt)))

    def check(self):
        seg_steps, learn_steps = self.steps(self.segment), self.steps(self.duration)
        if seg_steps < 1 or learn_steps % seg_steps:
            text = {name: self.spec(name).text(getattr(self, name))
                    for name in ("duration", "segment")}
            raise ModelError(f"duration ({text['duration']}) must be a whole number of "
                             f"segments ({text['segment']})")
        if self.n_e % self.n_i:
            raise ModelError(f"n_e ({self.n_e}) must be a multiple of n_i ({self.n_i})")
        if self.steps(self.input_block) < 1 or self.steps(self.test_trial_duration) < 1:
            raise ModelError("input_block and test_trial_duration need at least 1 step of dt")
        if self.steps(self.decoder_duration) < 2:
            raise ModelError("decoder_duration needs at least 2 steps of dt")

    def n_segments(self):
        """Learning segments in ``duration``."""
        return self.steps(self.duration) // self.steps(self.segment)

    def recorded_bytes(self):
        """Inputs, spikes, filtered rates, currents and checkpoint weights (an upper bound for
        the spikes: the arbitration lets at most one neuron per population fire per step)."""
        n, m = self.n_e + self.n_i, self.n_inputs
        seg = self.steps(self.segment) if self.n_segments() else 0
        evaluation = self.steps(self.decoder_duration) + self.error_trials * self.steps(
            1 * second)
        trial = self.steps(self.test_trial_duration)
        protocol = self.test_directions * (self.test_trials + max(1, self.test_trials // 5))
        spikes = 2 * 12 * (seg + evaluation + protocol * trial)
        inputs = 8 * m * (seg + 2 * evaluation)
        rates = 8 * evaluation * n  # filtered spike trains of the decoders
        bins = int(float(1 * ms / self.dt)) or 1
        currents = 8 * 4 * (evaluation + self.test_directions * trial) // bins * (n + m)
        checkpoints = self.n_segments().bit_length() + 2
        weights = 8 * checkpoints * (m * self.n_e + self.n_e ** 2 + 2 * self.n_e * self.n_i
                                     + self.n_i ** 2)
        return int(spikes + inputs + rates + currents + weights)
