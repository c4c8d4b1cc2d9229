"""One module per paper figure; ``spikerules figures`` regenerates them all.

Each figure module has ``make(out_dir, quick, device) -> list of written paths``: it runs the
models it needs, draws a PNG and writes the numbers it shows to a ``metrics.json``.
"""


def _balanced_learning(**kwargs):
    from figures.balanced_learning import make

    return make(**kwargs)


def _balanced_ei(**kwargs):
    from figures.balanced_ei import make

    return make(**kwargs)


def _erbp(**kwargs):
    from figures.erbp import make

    return make(**kwargs)


def _gradient_snn(**kwargs):
    from figures.gradient_snn import make

    return make(**kwargs)


def _predictive_dynamics(**kwargs):
    from figures.predictive_dynamics import make

    return make(**kwargs)


def _rdd_alignment(**kwargs):
    from figures.rdd_alignment import make

    return make(**kwargs)


def _rdd_training(**kwargs):
    from figures.rdd_training import make

    return make(**kwargs)


def _supervised_dynamics(**kwargs):
    from figures.supervised_dynamics import make

    return make(**kwargs)


#: name -> (make function, description)
FIGURES = {
    "balanced-learning": (_balanced_learning,
                          "learning an efficient balanced code (Brendel et al. 2020 Fig 2)"),
    "balanced-ei": (_balanced_ei,
                    "E/I network with Dale's law: learning, Poisson-like statistics, balance "
                    "(Brendel et al. 2020 Fig 4)"),
    "erbp": (_erbp, "event-driven random backpropagation on digits, eRBP and peRBP "
                    "(Neftci et al. 2017)"),
    "gradient-snn": (_gradient_snn, "auto-encoding and delayed XOR in QIF networks trained by "
                                    "exact gradient (Huh & Sejnowski 2018)"),
    "predictive-dynamics": (_predictive_dynamics,
                            "tracking a damped oscillator (Boerlin et al. 2013)"),
    "rdd-alignment": (_rdd_alignment,
                      "weight inference: RDD, STDWI, weight mirror, FA (Guerguiev et al. 2020)"),
    "rdd-training": (_rdd_training,
                     "training with BP, FA and RDD feedback on digits (Guerguiev et al. 2020)"),
    "supervised-dynamics": (_supervised_dynamics,
                            "learning an oscillator and an integrator with fast and slow "
                            "connections (Bourdoukan & Deneve 2015)"),
}
