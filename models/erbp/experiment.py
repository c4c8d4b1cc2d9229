"""The eRBP experiment: one simulation of the whole schedule, then errors and baselines.

Neftci, Augustine, Paul & Detorakis (Front. Neurosci. 2017). Samples follow each other without
reset; learning is off during the first ``settle`` of every sample and during tests. The whole
schedule (a test pass before learning, then per epoch the shuffled training set and a test
pass) is one simulation of one compiled project, driven by TimedArrays; the class of a test
sample is the output neuron with most spikes. Phases:

1. :func:`load_data`: the images (``analysis.datasets``), cut to ``n_train`` / ``n_test``;
2. :func:`draw_inputs`: the schedule, the TimedArray values, the initial and feedback weights;
3. :func:`learn_and_test`: the simulation, with a raster of the last training samples of the
   first epoch;
4. :func:`measure`: test error of every test pass, rates, weights, spikes and traces;
5. :func:`baselines`: NumPy rate networks of the same size trained by FA and BP
   (``reference.py``), the comparison the paper makes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from brian2 import SpikeMonitor, StateMonitor, second

from analysis.datasets import load_dataset
from analysis.io import RunResult
from models.common.device import Simulation
from models.common.errors import ModelError
from models.erbp.network import (NETWORK_PARAMETERS, brian_objects, build_network,
                                 forward_init)
from models.erbp.params import GATE_STEPS
from models.erbp.reference import train
from rules.erbp import random_feedback

NAME = "erbp"

#: metrics of the one-line summary
SUMMARY = ("test_error_initial", "test_error_erbp", "test_error_fa", "test_error_bp",
           "rate_hidden_hz", "epoch_wall_s")

#: the populations of the raster (the error neurons are split into err+ and err- later)
RASTER = ("input", "hidden", "output", "errors", "labels")


@dataclass
class Inputs:
    """Everything a run draws from its seed, and the arrays that drive the network."""

    kinds: np.ndarray  # (samples,) 0 = training, 1 = test
    index: np.ndarray  # (samples,) image shown, in the training or the test set
    images: np.ndarray  # (samples, n_in) pixel intensities
    labels: np.ndarray  # (samples, n_classes) 1 for the label unit that fires
    gate: np.ndarray  # (samples, 5) 1 where learning is on
    w_input_hidden: np.ndarray  # (n_in, n_hidden) initial weights
    w_hidden_output: np.ndarray  # (n_hidden, n_classes) initial weights
    g_hidden: np.ndarray  # (n_classes, n_hidden) random feedback to the hidden dendrites


@dataclass
class Data:
    """The images of a run: the first ``n_train`` / ``n_test`` of the data set's."""

    x_train: np.ndarray  # (n_train, n_features) float32 in [0, 1]
    y_train: np.ndarray  # (n_train,) class labels
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int  # of the whole data set (a few images may lack some classes)

    @property
    def n_features(self):
        return self.x_train.shape[1]


def load_data(p):
    """Phase 1: the training and test images the run uses."""
    full = load_dataset(p.dataset, p.data_dir or None)
    train_n, test_n = p.n_train or None, p.n_test or None
    data = Data(full.x_train[:train_n], full.y_train[:train_n], full.x_test[:test_n],
                full.y_test[:test_n], full.n_classes)
    if p.raster_samples > len(data.y_train) + len(data.y_test):
        raise ModelError(f"raster_samples must be at most the {len(data.y_train)} training "
                         f"and {len(data.y_test)} test samples of an epoch")
    return data


def schedule(rng, n_train, n_test, epochs):
    """Sample order of the whole run: a test pass, then per epoch a shuffled training pass and
    a test pass. Returns (kind, index) arrays; kind 0 = training, 1 = test."""
    kinds, index = [np.ones(n_test, int)], [np.arange(n_test)]
    for _ in range(epochs):
        kinds += [np.zeros(n_train, int), np.ones(n_test, int)]
        index += [rng.permutation(n_train), np.arange(n_test)]
    return np.concatenate(kinds), np.concatenate(index)


def draw_inputs(p, data):
    """The schedule, then the initial weights and the random feedback, from one generator."""
    rng = np.random.default_rng([p.seed, 7])
    kinds, index = schedule(rng, len(data.y_train), len(data.y_test), p.epochs)
    images = np.where(kinds[:, None] == 0, data.x_train[np.where(kinds == 0, index, 0)],
                      data.x_test[np.where(kinds == 1, index, 0)])
    labels = np.zeros((len(kinds), data.n_classes))
    train_rows = np.flatnonzero(kinds == 0)
    labels[train_rows, data.y_train[index[train_rows]]] = 1.0
    gate = np.repeat((kinds == 0).astype(float), GATE_STEPS).reshape(-1, GATE_STEPS)
    gate[:, :p.settle_steps()] = 0.0
    n_in = data.n_features
    w_input_hidden = p.weight_scale * forward_init(rng, n_in, p.n_hidden)
    w_hidden_output = p.weight_scale * forward_init(rng, p.n_hidden, data.n_classes)
    g_hidden = random_feedback(rng, data.n_classes, p.n_hidden)
    return Inputs(kinds, index, images, labels, gate, w_input_hidden, w_hidden_output, g_hidden)


def monitors(objs, n_hidden):
    """Output spikes (all), hidden spike count, and the raster monitors with a trace of U and
    Is of a few hidden neurons (switched on for the raster window only)."""
    mons = dict(output=SpikeMonitor(objs["output"], name="output_spikes"),
                hidden_count=SpikeMonitor(objs["hidden"], record=False, name="hidden_count"))
    mons["raster"] = {name: SpikeMonitor(objs[group], name=f"raster_{name}")
                      for name, group in zip(RASTER, ("inputs", "hidden", "output", "errors",
                                                      "label_units"))}
    mons["traces"] = StateMonitor(objs["hidden"], ["U", "Is"],
                                  record=np.arange(min(4, n_hidden)), name="hidden_traces")
    return mons


def run_schedule(sim, net, mons, namespace, *, before, window, after, progress):
    """``before`` with the raster monitors off, ``window`` with them on, ``after`` off (with
    progress lines if ``progress``)."""
    windowed = (*mons["raster"].values(), mons["traces"])
    for mon in windowed:
        mon.active = False
    sim.run(net, before, namespace=namespace)
    for mon in windowed:
        mon.active = True
    sim.run(net, window, namespace=namespace)
    for mon in windowed:
        mon.active = False
    sim.run(net, after, namespace=namespace, report="text" if progress else None,
            report_period=30 * second)


def learn_and_test(p, data, inputs, result):
    """Phase 3: build and run the network over the whole schedule; returns the recordings as
    plain arrays (None if only building)."""
    code = dict(sizes=(data.n_features, p.n_hidden, data.n_classes), n_train=len(data.y_train),
                n_test=len(data.y_test), epochs=p.epochs, dt=p.dt, sample=p.sample,
                refractory=p.refractory, raster=p.raster_samples)
    with Simulation(NAME, target=p.device, seed=p.seed, code_params=code,
                    build_only=p.build_only) as sim:
        objs = build_network(sim, images=inputs.images, labels=inputs.labels, gate=inputs.gate,
                             sample=p.sample, dt=p.dt, w_input_hidden=inputs.w_input_hidden,
                             w_hidden_output=inputs.w_hidden_output, g_hidden=inputs.g_hidden,
                             **{name: getattr(p, name) for name in NETWORK_PARAMETERS})
        mons = monitors(objs, p.n_hidden)
        net = sim.network(*brian_objects(objs), mons["output"], mons["hidden_count"],
                          *mons["raster"].values(), mons["traces"])
        # the raster: the last training samples of the first epoch (labels on, learning on)
        first_epoch_end = (len(data.y_test) + len(data.y_train)) * p.sample
        raster_start = first_epoch_end - p.raster_samples * p.sample
        total = len(inputs.kinds) * p.sample
        run_schedule(sim, net, mons, objs["namespace"], before=raster_start,
                     window=p.raster_samples * p.sample, after=total - first_epoch_end,
                     progress=float(total / second) > 100)
        sim.finish()
    result.timings = dict(sim.timings)
    result.metrics.update({k: float(v) for k, v in sim.timings.items()})
    if sim.build_only:
        return None
    return dict(
        w_final=(np.asarray(objs["w_input_hidden"].w[:]).reshape(inputs.w_input_hidden.shape),
                 np.asarray(objs["w_hidden_output"].w[:]).reshape(
                     inputs.w_hidden_output.shape)),
        output=(np.asarray(mons["output"].i[:]), np.asarray(mons["output"].t[:] / second)),
        hidden_spikes=int(mons["hidden_count"].num_spikes),
        raster={k: (np.asarray(m.i[:]), np.asarray(m.t[:] / second))
                for k, m in mons["raster"].items()},
        raster_window=(float(raster_start / second), float(first_epoch_end / second)),
        trace_t=np.asarray(mons["traces"].t[:] / second),
        trace_u=np.asarray(mons["traces"].U[:]).T, trace_is=np.asarray(mons["traces"].Is[:]).T,
    )


def classification_errors(out_i, out_t, kinds, index, y_test, n_classes, sample_s):
    """Test error of every test pass: argmax of each test sample's output spike counts (a
    sample without output spikes counts as wrong)."""
    sample_of_spike = np.floor(out_t / sample_s + 1e-9).astype(int)
    counts = np.zeros((len(kinds), n_classes))
    np.add.at(counts, (sample_of_spike, out_i), 1)
    test_rows = np.flatnonzero(kinds == 1)
    n_test = len(y_test)
    errors = []
    for p in range(len(test_rows) // n_test):
        rows = test_rows[p * n_test:(p + 1) * n_test]
        c = counts[rows]
        predicted = np.where(c.sum(axis=1) > 0, c.argmax(axis=1), -1)
        errors.append(float(np.mean(predicted != y_test[index[rows]])))
    return np.array(errors)


def measure(p, data, inputs, out, result):
    """Phase 4: test errors over epochs, the hidden rate, weights, spikes and traces."""
    sample_s = float(p.sample / second)
    n_classes = data.n_classes
    errors = classification_errors(*out["output"], inputs.kinds, inputs.index, data.y_test,
                                   n_classes, sample_s)
    result.traces["epoch"] = np.arange(p.epochs + 1)
    result.traces["test_error_erbp"] = errors
    m = result.metrics
    m["test_error_initial"] = float(errors[0])
    m["test_error_erbp"] = float(errors[-1])
    m["test_error_erbp_best"] = float(errors.min())
    m["rate_hidden_hz"] = out["hidden_spikes"] / (p.n_hidden * len(inputs.kinds) * sample_s)
    if "run_s" in result.timings:
        m["epoch_wall_s"] = float(result.timings["run_s"]) / p.epochs  # the tests included
    for name, w0, w1 in zip(("input_hidden", "hidden_output"),
                            (inputs.w_input_hidden, inputs.w_hidden_output), out["w_final"]):
        result.weights[f"{name}_initial"] = w0
        result.weights[f"{name}_final"] = w1
    for k, (i, t) in out["raster"].items():
        if k == "errors":  # err+ and err- as two populations
            result.spikes["err_pos"] = (i[i < n_classes], t[i < n_classes])
            result.spikes["err_neg"] = (i[i >= n_classes] - n_classes, t[i >= n_classes])
        else:
            result.spikes[k] = (i, t)
    result.traces.update(raster_window=np.array(out["raster_window"]), trace_t=out["trace_t"],
                         trace_u=out["trace_u"], trace_is=out["trace_is"])


def baselines(p, data, result):
    """Phase 5: NumPy rate networks of the same size on the same training set: FA and BP."""
    for method in ("fa", "bp"):
        errors = train(data.x_train, data.y_train, data.x_test, data.y_test,
                       n_hidden=p.n_hidden, n_classes=data.n_classes, method=method,
                       seed=p.seed, epochs=p.baseline_epochs)
        result.traces[f"test_error_{method}"] = errors
        result.metrics[f"test_error_{method}"] = float(errors[-1])


def run(p):
    """Train an eRBP network and test it after every epoch (``p``: :class:`Params`)."""
    result = RunResult(model=NAME, params=p.to_json())
    data = load_data(p)
    inputs = draw_inputs(p, data)
    simulated = float(p.sample / second) * len(inputs.kinds)
    print(f"erbp: {data.n_features}-{p.n_hidden}-{data.n_classes}, {len(data.y_train)} "
          f"training and {len(data.y_test)} test samples, {p.epochs} epochs: {simulated:g} s "
          "simulated", file=sys.stderr, flush=True)
    out = learn_and_test(p, data, inputs, result)
    if out is not None:
        measure(p, data, inputs, out, result)
        baselines(p, data, result)
    return result
