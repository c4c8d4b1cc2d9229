"""The eRBP network in Brian2: equations, initial weights and the builder.

Neurons of the hidden and output layers (dimensionless; dt 0.1 ms in the paper's setting)::

    tau_m dV/dt = -V + Is        threshold theta, reset V = 0, refractory period
    tau_syn dIs/dt = -Is         jumps by w on each transmitted input spike
    tau_u dU/dt = -U             the dendrite: jumps by +-g on each error spike

Inputs are Poisson units with rates proportional to the pixels of the image shown
(``pixels(t, i)``); label units fire for the true class during training (``labels(t, i)``).
Two populations of error neurons (err+ for label > output, err- for output > label) integrate
label and output spikes and drive the dendrites: one-to-one onto the outputs, through a fixed
random matrix onto the hidden neurons. The learning synapses are ``rules.erbp``'s: on every
transmitted input spike ``w += eta * U_post`` while ``b_min < Is_post < b_max`` and the gate
``learning(t)`` is 1.
"""

import numpy as np
from brian2 import NeuronGroup, defaultclock

from models.erbp.params import GATE_STEPS
from rules.erbp import (ERBP_NEURON, ERROR_NEURON, ERROR_RESET, ERROR_THRESHOLD, erbp_synapses,
                        error_synapses, feedback_synapses, signed_feedback)

NEURON = """
dV/dt = (-V + Is) / tau_m : 1 (unless refractory)
tau_m : second (shared, constant)
theta : 1 (shared, constant)
""" + ERBP_NEURON

INPUT = """
rate = input_rate * pixels(t, i) : Hz
input_rate : Hz (shared, constant)
"""

LABEL = """
rate = label_rate * labels(t, i) : Hz
label_rate : Hz (shared, constant)
"""

#: the parameters :func:`build_network` takes from the model's parameter record
NETWORK_PARAMETERS = ("tau_m", "tau_syn", "tau_u", "theta", "refractory", "input_rate",
                      "label_rate", "eta", "b_min", "b_max", "p_syn", "w_err", "theta_err",
                      "g_out")


def forward_init(rng, n_in, n_out):
    """U(+-sqrt(7 / (n_in + n_out))), (n_in, n_out) in synapse order."""
    limit = np.sqrt(7.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out))


def build_network(sim, *, images, labels, gate, sample, dt, w_input_hidden, w_hidden_output,
                  g_hidden, tau_m, tau_syn, tau_u, theta, refractory, input_rate, label_rate,
                  eta, b_min, b_max, p_syn, w_err, theta_err, g_out,
                  learning_synapses=erbp_synapses):
    """Brian2 objects of the classifier, driven sample by sample by three TimedArrays.

    ``images`` (samples, n_in) are pixel intensities in [0, 1]; ``labels`` (samples,
    n_classes) 1 for the label unit that fires; ``gate`` (samples x 5) 1 where learning is on.
    ``w_input_hidden`` (n_in, n_hidden), ``w_hidden_output`` (n_hidden, n_classes) are the
    initial weights, ``g_hidden`` (n_classes, n_hidden) the random feedback.
    ``learning_synapses`` builds the two plastic pathways (default: ``rules.erbp``; another
    rule is a builder with the same signature). Returns a dict of the objects; its entry
    ``namespace`` is what every run needs.
    """
    n_in, n_hidden = w_input_hidden.shape
    n_classes = w_hidden_output.shape[1]
    defaultclock.dt = dt
    namespace = {"pixels": sim.timed_array(np.asarray(images, dtype=float), dt=sample,
                                           name="pixels"),
                 "labels": sim.timed_array(labels, dt=sample, name="labels"),
                 "learning": sim.timed_array(np.ravel(gate), dt=sample / GATE_STEPS,
                                             name="learning")}
    inputs = NeuronGroup(n_in, INPUT, threshold="rand() < rate * dt", name="inputs")
    label_units = NeuronGroup(n_classes, LABEL, threshold="rand() < rate * dt",
                              name="label_units")
    inputs.input_rate = input_rate
    label_units.label_rate = label_rate
    layers = {}
    for name, n in (("hidden", n_hidden), ("output", n_classes)):
        g = NeuronGroup(n, NEURON, threshold="V > theta", reset="V = 0",
                        refractory=refractory, method="exact", name=name)
        g.tau_m, g.tau_syn, g.tau_u, g.theta = tau_m, tau_syn, tau_u, theta
        layers[name] = g
    hidden, output = layers["hidden"], layers["output"]
    # err+ of every class, then err- of every class
    errors = NeuronGroup(2 * n_classes, ERROR_NEURON, threshold=ERROR_THRESHOLD,
                         reset=ERROR_RESET, name="errors")
    errors.theta_err = theta_err
    rule = dict(eta=eta, b_min=b_min, b_max=b_max, p_syn=p_syn)
    syn_ih = learning_synapses(inputs, hidden, name="w_input_hidden", **rule)
    syn_ho = learning_synapses(hidden, output, name="w_hidden_output", **rule)
    sim.set_values(syn_ih.w, w_input_hidden.ravel())
    sim.set_values(syn_ho.w, w_hidden_output.ravel())
    label_errors = error_synapses(label_units, errors, sign=1, weight=w_err, name="label_errors")
    output_errors = error_synapses(output, errors, sign=-1, weight=w_err, name="output_errors")
    fb_hidden, g_h = feedback_synapses(errors, hidden, weights=signed_feedback(g_hidden),
                                       name="feedback_hidden")
    fb_output, _ = feedback_synapses(errors, output,
                                     weights=signed_feedback(g_out * np.eye(n_classes)),
                                     name="feedback_output")
    sim.set_values(fb_hidden.g, g_h)
    return dict(namespace=namespace, inputs=inputs, label_units=label_units, hidden=hidden,
                output=output, errors=errors, w_input_hidden=syn_ih, w_hidden_output=syn_ho,
                label_errors=label_errors, output_errors=output_errors,
                feedback_hidden=fb_hidden, feedback_output=fb_output)


def brian_objects(objs):
    """The Brian2 objects of :func:`build_network`'s dict (everything but the namespace)."""
    return [o for k, o in objs.items() if k != "namespace"]
