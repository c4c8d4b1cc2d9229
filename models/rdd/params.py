"""Parameters of the two RDD models, declared once (Guerguiev, Kording & Richards 2020).

:class:`AlignmentParams` (``rdd-alignment``): the spiking network inferring its own forward
weights. Its ``network`` names a parameter set (:data:`PRESETS`) that gives the layer sizes,
time step, conductances, drive scaling and refractory period that are left at ``none``;
:meth:`AlignmentParams.resolved` fills them in, and the run records the values it used.

:class:`TrainingParams` (``rdd-training``): a rate network trained with backprop, feedback
alignment or the feedback that the spiking RDD phase learns.
"""

from typing import ClassVar

from brian2 import Hz, Quantity, ms, second

from analysis.datasets import DATASETS
from models.common import ModelError, ModelParams, param, parameters
from models.common.params import Spec

RULES = ("rdd", "stdwi", "mirror")
METHODS = ("bp", "fa", "rdd")

#: the Poisson drive is redrawn, and the weight mirror takes its counts, every block
BLOCK = 100 * ms

#: what each ``network`` sets, unless the parameter is given
PRESETS = {
    "guerguiev": dict(sizes="64,32", dt=1 * ms, g_L=100 / second, g_D=600 / second,
                      alpha=4.0, refractory=3 * ms),
    "ahmad": dict(sizes="100,10", dt=0.25 * ms, g_L=50 / second, g_D=50 / second,
                  alpha=12.0, refractory=0 * ms),
}


def parse_sizes(text, *, name="sizes", minimum=2):
    """'64,32' -> (64, 32); ModelError unless ``minimum`` or more positive sizes."""
    try:
        sizes = tuple(int(s) for s in str(text).replace(" ", "").split(",") if s)
    except ValueError:
        raise ModelError(f"{name} takes layer sizes like 64,32, not '{text}'") from None
    if len(sizes) < minimum or (sizes and min(sizes) < 1):
        count = "two" if minimum == 2 else "one"
        raise ModelError(f"{name} needs at least {count} positive layer "
                         f"size{'s' * (minimum > 1)}, got '{text}'")
    return sizes


def parse_subset(text, name, accepted):
    """'rdd,stdwi' -> ('rdd', 'stdwi'): a non-empty subset of ``accepted``, in the order
    given, each once; ModelError otherwise."""
    chosen = tuple(dict.fromkeys(r for r in str(text).replace(" ", "").split(",") if r))
    if not chosen or any(r not in accepted for r in chosen):
        raise ModelError(f"{name} takes a comma-separated subset of {','.join(accepted)}, "
                         f"not '{text}'")
    return chosen


def steps_per_block(dt, block=BLOCK):
    """Time steps in one block; ModelError unless the block is a whole number of them."""
    dt_s, block_s = float(dt / second), float(block / second)
    steps = int(round(block_s / dt_s))
    if abs(steps * dt_s - block_s) > 1e-9 * block_s:
        raise ModelError(f"block ({block}) must be a multiple of dt ({dt})")
    return steps


def whole_blocks(duration, block=BLOCK, name="duration"):
    """Blocks in ``duration`` (rounded); ModelError if that is none."""
    n_blocks = int(round(float(duration / block)))
    if n_blocks < 1:
        raise ModelError(f"{name} must be at least one block ({block})")
    return n_blocks


def _preset(name, doc, **declaration):
    """A parameter whose default (none) is the ``network`` preset's value, which the doc
    shows for each network (``declaration``: the unit or kind and bounds, as for param)."""
    unit = declaration.get("unit")
    spec = Spec(name, None, doc, "quantity" if unit else declaration["kind"], unit)
    given = "; ".join(f"{net} {spec.text(values[name])}" for net, values in PRESETS.items())
    return param(None, f"{doc} (none: the network's: {given})", **declaration)


@parameters
class AlignmentParams(ModelParams):
    """Inferring random forward weights from spikes: RDD, STDWI and the weight mirror, with
    fixed random feedback (FA) as the baseline."""

    duration: Quantity = param(60 * second, "simulated time, in whole 100-ms blocks; each "
                               "estimating layer is driven for an equal share", unit="second",
                               minimum=0)
    network: str = param("guerguiev", "parameter set: guerguiev (the RDD paper's network) or "
                         "ahmad (Ahmad et al.'s 100 -> 10 network); it sets the six parameters "
                         "below that are left at none", choices=tuple(PRESETS))
    sizes: str = _preset("sizes", "layer sizes, input first, e.g. 64,32 or 1600,384,192,10",
                         kind="str")
    dt: Quantity = _preset("dt", "time step", unit="ms", above=0)
    g_L: Quantity = _preset("g_L", "leak conductance", unit="1/second", minimum=0)
    g_D: Quantity = _preset("g_D", "conductance from the drive B to the soma", unit="1/second",
                            minimum=0)
    alpha: float = _preset("alpha", "scaling of the Poisson drive of the driven layer",
                           kind="float")
    refractory: Quantity = _preset("refractory", "refractory period", unit="ms", minimum=0)
    rules: str = param(",".join(RULES), "comma-separated subset of rdd, stdwi, mirror (FA "
                       "needs no simulation)")
    drive_rate: Quantity = param(200 * Hz, "Poisson rate of the drive", unit="Hz", above=0)
    drive_fraction: float = param(0.2, "fraction of the driven layer that gets the drive, "
                                  "redrawn every 100-ms block", minimum=0, maximum=1)
    band: float = param(0.1, "RDD: a window opens when the drive u is within band of the "
                        "threshold", minimum=0)
    window: Quantity = param(30 * ms, "RDD: window length", unit="ms", above=0)
    eta_rdd: float = param(0.001, "RDD: learning rate of the online regressions", minimum=0)
    eta_stdwi: float = param(1e-4, "STDWI: learning rate (tau_fast 20 ms, tau_slow 200 ms)",
                             minimum=0)
    decay_stdwi: float = param(0.1, "STDWI: decay of the estimate", minimum=0)
    eta_mirror: float = param(1e-4, "weight mirror: learning rate (per 100-ms block)",
                              minimum=0)
    decay_mirror: float = param(0.2, "weight mirror: decay of the estimate", minimum=0)
    snapshot_interval: Quantity = param(1 * second, "how often the estimates are recorded for "
                                        "the time course (0: the final ones only)",
                                        unit="second", minimum=0)

    QUICK: ClassVar[dict] = dict(duration=5 * second)

    def preset_value(self, name):
        """The value of ``name``: as given, or the network's when left at none."""
        value = getattr(self, name)
        return PRESETS[self.network][name] if value is None else value

    def resolved(self):
        """This record with the network's values in place of every none."""
        return self.replace(**{name: value for name, value in PRESETS[self.network].items()
                               if getattr(self, name) is None})

    def feedback_keywords(self):
        """The network, drive and rule keywords of ``network.simulate_feedback`` (with the
        preset's values where this record leaves them at none), and the target."""
        p = self.resolved()
        names = ("network", "dt", "g_L", "g_D", "alpha", "refractory", "drive_rate",
                 "drive_fraction", "band", "window", "eta_rdd", "eta_stdwi", "decay_stdwi",
                 "eta_mirror", "decay_mirror", "device", "build_only")
        return {name: getattr(p, name) for name in names}

    @property
    def layer_sizes(self):
        return parse_sizes(self.preset_value("sizes"))

    @property
    def rule_names(self):
        return parse_subset(self.rules, "rules", RULES)

    def check(self):
        parse_sizes(self.preset_value("sizes"))
        rules = parse_subset(self.rules, "rules", RULES)
        dt = self.preset_value("dt")
        steps_per_block(dt)
        whole_blocks(self.duration)
        if "rdd" in rules and int(round(float(self.window / dt))) < 1:
            raise ModelError(f"window ({self.spec('window').text(self.window)}) must be at "
                             f"least one time step ({self.spec('dt').text(dt)})")

    def recorded_bytes(self):
        """Spikes (at most 300 Hz per neuron, a generous bound), the drive schedule and the
        recorded estimates."""
        return sum(self.memory_parts()[k] for k in ("recorded estimates", "spikes and drive"))

    def memory_parts(self):
        """Bytes of the recorded estimates, the spikes and drive schedule, the network in
        the simulation, and the weights and final estimates Python holds.

        Per synapse (pair of neurons in consecutive layers) the C++ simulation holds its
        variables, indices, spike queues and the loaded connection arrays: measured 165 bytes
        for the forward pathway with the RDD estimator at 10,000 -> 2,500 (both dominate);
        STDWI and the mirror are counted by their variables. Each recorded estimate is one
        number per pair and snapshot, in the simulation and once in Python.
        """
        sizes, duration_s = self.layer_sizes, float(self.duration / second)
        pairs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        interval = float(self.snapshot_interval / second)
        snapshots = duration_s / interval + 2 if interval > 0 else 1
        rules = self.rule_names
        spikes = 300.0 * duration_s * sum(sizes)
        schedule = whole_blocks(self.duration) * sum(sizes)
        per_pair = dict(forward=50, rdd=115, stdwi=40, mirror=48)
        network = pairs * (per_pair["forward"] + sum(per_pair[r] for r in rules))
        # W, W_hat, the FA matrix and each rule's final estimate and feedback
        python = 8 * pairs * (3 + 6 * ("rdd" in rules) + 2 * (len(rules) - ("rdd" in rules)))
        return {"recorded estimates": int(2 * 8 * snapshots * pairs * len(rules)),
                "spikes and drive": int(12 * spikes + 8 * schedule),
                "network": int(network), "weights and final estimates": int(python)}


@parameters
class TrainingParams(ModelParams):
    """Training a rate network by SGD with errors sent back through W^T (bp), fixed random
    matrices (fa) or the feedback the spiking RDD phase learns before each epoch (rdd)."""

    dataset: str = param("digits", "data set: digits (bundled with scikit-learn), or mnist, "
                         "fashion-mnist, cifar10, svhn from --data-dir", choices=DATASETS)
    data_dir: str = param("", "directory of the data files (nothing is downloaded)")
    hidden: str = param("64,32", "hidden layer sizes, e.g. 64,32")
    epochs: int = param(20, "training epochs", minimum=1)
    batch_size: int = param(32, "SGD minibatch size", minimum=1)
    lr: float = param(0.01, "SGD learning rate", minimum=0)
    momentum: float = param(0.9, "SGD momentum", minimum=0, below=1)
    feedback_time: Quantity = param(30 * second, "simulated time of the spiking feedback "
                                    "phase before each epoch (rdd)", unit="second", minimum=0)
    n_seeds: int = param(3, "runs with seeds seed .. seed + n_seeds - 1; the metrics are "
                         "their means", minimum=1)
    methods: str = param(",".join(METHODS), "comma-separated subset of bp (backprop), fa "
                         "(feedback alignment) and rdd")

    QUICK: ClassVar[dict] = dict(epochs=3, feedback_time=4 * second, n_seeds=1)
    DURATION_HINT: ClassVar[str] = ("rdd-training takes no --duration: use --set epochs=N for "
                                    "the training and --set feedback_time=30s for the spiking "
                                    "phase before each epoch")

    @property
    def hidden_sizes(self):
        return parse_sizes(self.hidden, name="hidden", minimum=1)

    @property
    def method_names(self):
        return parse_subset(self.methods, "methods", METHODS)

    def check(self):
        parse_sizes(self.hidden, name="hidden", minimum=1)
        if "rdd" in parse_subset(self.methods, "methods", METHODS):
            whole_blocks(self.feedback_time, name="feedback_time")
        elif self.build_only:
            raise ModelError("build_only compiles the spiking feedback phase: methods must "
                             "include rdd")

    def recorded_bytes(self):
        """The spikes and drive schedule of one feedback phase (at most 300 Hz per neuron)."""
        if "rdd" not in self.method_names:
            return 0
        neurons = sum(self.hidden_sizes) + 10  # and the output layer (10 classes)
        feedback_s = float(self.feedback_time / second)
        return int(12 * 300.0 * feedback_s * neurons
                   + 8 * whole_blocks(self.feedback_time) * neurons)
