"""The plain-array result every model returns."""

from dataclasses import dataclass, field

from analysis.io import write_run


@dataclass
class RunResult:
    """Arrays and numbers of one model run; nothing in here refers to Brian2 objects.

    spikes : population -> (neuron indices, spike times in s)
    traces, weights : name -> array (written to traces.npz / weights.npz)
    metrics : flat name -> number (metrics.json)
    schedule : list of phases {phase, checkpoint, start, stop} in s (schedule.json)
    """

    model: str
    params: dict
    metrics: dict = field(default_factory=dict)
    spikes: dict = field(default_factory=dict)
    traces: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    schedule: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    def write(self, directory, extra_params=None):
        params = dict(self.params, model=self.model, **(extra_params or {}))
        return write_run(
            directory,
            params=params,
            metrics=self.metrics,
            spikes=self.spikes,
            arrays={"traces": self.traces, "weights": self.weights, "schedule": self.schedule},
        )
