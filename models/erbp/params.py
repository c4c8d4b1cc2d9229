"""Parameters of the eRBP classifier, declared once (defaults: Neftci et al. 2017, on digits)."""

from typing import ClassVar

from brian2 import Hz, Quantity, ms, second

from models.common import ModelError, ModelParams, param, parameters

#: data set -> (features, classes, training images, test images), known without loading it
DATA_SHAPES = {"digits": (64, 10, 1348, 449), "mnist": (784, 10, 60000, 10000),
               "fashion-mnist": (784, 10, 60000, 10000)}

#: the learning gate is a TimedArray with this many values per sample (settle is a multiple)
GATE_STEPS = 5


@parameters
class Params(ModelParams):
    """A spiking input -> hidden -> output classifier trained online by eRBP (rules.erbp)."""

    dataset: str = param("digits", "scikit-learn's bundled 8x8 digits, or IDX files in "
                         "data_dir", choices=tuple(DATA_SHAPES))
    data_dir: str = param("", "directory of the IDX files (mnist, fashion-mnist)")
    n_hidden: int = param(100, "hidden neurons", minimum=1)
    epochs: int = param(15, "passes over the training set", minimum=1)
    n_train: int = param(0, "use only the first n training images (0: all)", minimum=0)
    n_test: int = param(0, "use only the first n test images (0: all)", minimum=0)
    sample: Quantity = param(250 * ms, "presentation time of one image", unit="ms", above=0)
    settle: Quantity = param(50 * ms, "learning is off at the start of each sample (a "
                             "multiple of sample / 5)", unit="ms", minimum=0)
    dt: Quantity = param(0.1 * ms, "time step", unit="ms", above=0)
    tau_m: Quantity = param(1 * ms, "membrane time constant", unit="ms", above=0)
    tau_syn: Quantity = param(4 * ms, "synaptic current time constant", unit="ms", above=0)
    tau_u: Quantity = param(5 * ms, "dendrite (error compartment) time constant", unit="ms",
                            above=0)
    theta: float = param(0.1, "firing threshold (reset to 0)")
    refractory: Quantity = param(3.9 * ms, "refractory period", unit="ms", minimum=0)
    input_rate: Quantity = param(200 * Hz, "Poisson rate of a pixel of full intensity",
                                 unit="Hz", minimum=0)
    label_rate: Quantity = param(200 * Hz, "rate of the true class's label unit during "
                                 "training", unit="Hz", minimum=0)
    eta: float = param(5e-5, "learning rate")
    b_min: float = param(-1.15, "lower edge of the learning gate on Is")
    b_max: float = param(1.15, "upper edge of the learning gate on Is")
    p_syn: float = param(1.0, "transmission probability in (0, 1] (1: eRBP; below 1: peRBP)")
    w_err: float = param(0.09, "weight of label and output spikes onto the error neurons")
    theta_err: float = param(0.1, "threshold of the error neurons", above=0)
    g_out: float = param(1.0, "error -> output dendrite weight (hidden feedback is random)")
    weight_scale: float = param(0.15, "factor on the U(+-sqrt(7 / (n_in + n_out))) initial "
                                "weights", minimum=0)
    baseline_epochs: int = param(30, "epochs of the NumPy FA and BP networks of the same size",
                                 minimum=0)
    raster_samples: int = param(2, "samples recorded for the raster (the last of the first "
                                "epoch)", minimum=1)

    QUICK: ClassVar[dict] = dict(epochs=1, n_train=300, n_test=100, baseline_epochs=5)
    DURATION_HINT: ClassVar[str] = ("erbp: the run length follows from epochs; use --set "
                                    "epochs=N")

    def check(self):
        if not 0 < self.p_syn <= 1:
            raise ModelError(f"p_syn must be in (0, 1], got {self.p_syn}")
        if not self.b_min < self.b_max:
            raise ModelError(f"b_min must be below b_max, got {self.b_min} and {self.b_max}")
        if self.dataset != "digits" and not self.data_dir:
            raise ModelError(f"data set '{self.dataset}' needs --data-dir (a directory of its "
                             "IDX files; nothing is downloaded)")
        if self.settle > self.sample or abs(self.settle_steps() * float(
                self.sample / GATE_STEPS) - float(self.settle)) > 1e-9:
            raise ModelError("settle must be a multiple of sample / 5 and at most sample "
                             "(e.g. 50 ms of 250 ms)")
        gate_dt = float(self.sample / GATE_STEPS / self.dt)
        if abs(gate_dt - round(gate_dt)) > 1e-6:
            raise ModelError(f"sample / 5 must be a whole number of dt steps, not {gate_dt:g}")

    def settle_steps(self):
        """Values of the learning gate (fifths of a sample) that are off at a sample's start."""
        return int(round(float(self.settle / self.sample) * GATE_STEPS))

    def sizes(self):
        """(features, classes, training images, test images) that the run will use."""
        n_in, n_classes, n_train, n_test = DATA_SHAPES[self.dataset]
        return (n_in, n_classes, min(self.n_train or n_train, n_train),
                min(self.n_test or n_test, n_test))

    def recorded_bytes(self):
        """The input arrays of the whole schedule and the output spikes, at a generous 100 Hz
        per output neuron (estimate). A pixel of a sample takes about 28 bytes: the float32
        images and their float32 pieces while they are assembled, a float64 copy for Brian2
        and its placeholder of the same size (C++ standalone)."""
        n_in, n_classes, n_train, n_test = self.sizes()
        samples = n_test + self.epochs * (n_train + n_test)
        inputs = samples * (28 * n_in + 16 * (n_classes + GATE_STEPS))
        spikes = n_classes * 100.0 * samples * float(self.sample / second)
        return int(inputs + 12 * spikes)
