"""Figures: results in, matplotlib figures out. One module per model (or family of models).

A figure module declares the runs it draws (``RUNS``, a tuple of :class:`Run`: plain data, no
model is imported here) and ``draw(results, title="") -> Figure``, where ``results`` maps each
run's label to an :class:`analysis.io.RunResult`. Figures never simulate: ``spikerules
figures NAME`` makes the runs first and writes their run directories; ``spikerules figures
NAME --from RUNDIR ...`` reads them back and only draws.
"""

from dataclasses import dataclass, field

#: figure name -> module
FIGURES = {
    "balanced-coding": "figures.balanced_coding",
    "balanced-ei": "figures.balanced_ei",
    "erbp": "figures.erbp",
    "gradient-snn": "figures.gradient_snn",
    "predictive-dynamics": "figures.predictive_dynamics",
    "rdd-alignment": "figures.rdd_alignment",
    "rdd-training": "figures.rdd_training",
    "scaling": "figures.scaling",
    "supervised-dynamics": "figures.supervised_dynamics",
}

#: former names that still work
ALIASES = {"balanced-learning": "balanced-coding"}


@dataclass(frozen=True)
class Run:
    """One run a figure draws.

    label : key of the run in ``draw``'s results; its run directory is ``run-LABEL`` (``run``
        when the label is empty) and its metrics go into the figure's metrics.json with
        ``prefix``.
    model : the model's name.
    settings : {parameter: text} that make this run what the figure needs; ``--from`` picks,
        for each run of the figure, a run directory of ``model`` with these values.
    full : extra settings of the full figure (``spikerules figures NAME``).
    quick : settings of ``--quick``: None runs the model's own ``--quick`` with ``settings``;
        a dict runs ``settings`` and these, without the model's quick preset.
    device : the target this run must have (None: the ``--device`` of the command); ``--from``
        then picks a run directory of that target.
    """

    label: str
    model: str
    settings: dict = field(default_factory=dict)
    full: dict = field(default_factory=dict)
    quick: dict | None = None
    prefix: str = ""
    device: str | None = None

    @property
    def directory(self):
        return f"run-{self.label}" if self.label else "run"
