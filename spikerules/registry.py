"""The models and figures the command line knows, by name."""

import importlib

from spikerules import UsageError

#: model name -> package (a package may hold several models: see its MODELS)
MODEL_PACKAGES = {
    "balanced-coding": "models.balanced_coding",
    "balanced-ei": "models.balanced_ei",
    "erbp": "models.erbp",
    "gradient-autoencode": "models.gradient_snn",
    "gradient-xor": "models.gradient_snn",
    "predictive-dynamics": "models.predictive_dynamics",
    "rdd-alignment": "models.rdd",
    "rdd-training": "models.rdd",
    "supervised-dynamics": "models.supervised_dynamics",
}


def load_model(name):
    """The :class:`models.common.Model` record of ``name``; UsageError for an unknown name."""
    if name not in MODEL_PACKAGES:
        raise UsageError(f"unknown model '{name}'; accepted: {', '.join(MODEL_PACKAGES)}")
    package = importlib.import_module(MODEL_PACKAGES[name])
    return next(m for m in package.MODELS if m.name == name)


def load_figure(name):
    """(canonical name, figure module) of a figure name or alias."""
    from figures import ALIASES, FIGURES

    canonical = ALIASES.get(name, name)
    if canonical not in FIGURES:
        raise UsageError(f"unknown figure '{name}'; accepted: {', '.join(FIGURES)} "
                         f"(aliases: {', '.join(ALIASES)})")
    return canonical, importlib.import_module(FIGURES[canonical])
