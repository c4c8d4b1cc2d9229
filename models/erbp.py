"""Event-driven random backpropagation (eRBP; Neftci, Augustine, Paul & Detorakis 2017).

A spiking classifier input -> hidden -> output trained online by ``rules.erbp``: every
transmitted input spike updates its weight by ``eta * U_post`` where ``U`` is the dendritic
compartment that integrates error spikes through fixed random feedback. Neurons (dt 0.1 ms):

    tau_m dV/dt = -V + Is    (threshold theta, reset 0, refractory 3.9 ms)
    tau_syn dIs/dt = -Is     (jumps by w on each input spike)
    tau_u dU/dt = -U         (jumps by +-g on each error spike)

Inputs are Poisson spike trains with rates proportional to pixel intensities; label units fire
for the true class during training only; two populations of error neurons (err+ for label >
output, err- for output > label) integrate label and output spikes without leak, clamped at
0. Samples follow each other without reset; learning is off during the first ``settle``
(50 ms) of every sample and during tests. The whole schedule (a test before learning, then
per epoch the shuffled training set and the test set) is one simulation of one compiled
project, driven by TimedArrays; the class of a test sample is the output neuron with most
spikes. A NumPy rate network of the same size trained by feedback alignment and by backprop on
the same training set gives the comparison the paper makes.
"""

from __future__ import annotations

import sys

import numpy as np
from brian2 import (Hz, NeuronGroup, SpikeMonitor, StateMonitor, defaultclock, ms, second)

from analysis.datasets import load_dataset
from models.device import Simulation
from models.registry import ParameterError
from models.result import RunResult
from rules.erbp import (ERBP_NEURON, ERROR_NEURON, ERROR_RESET, ERROR_THRESHOLD, erbp_synapses,
                        error_synapses, feedback_synapses, random_feedback, signed_feedback)

NAME = "erbp"
DESCRIPTION = "event-driven random backpropagation classifier (Neftci et al. 2017)"
QUICK = dict(epochs=1, n_train=300, n_test=100, baseline_epochs=5)
SUMMARY = ("test_error_initial", "test_error_erbp", "test_error_fa", "test_error_bp",
           "rate_hidden_hz", "epoch_wall_s")

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


def schedule(rng, n_train, n_test, epochs):
    """Sample order of the whole run: a test pass, then per epoch a shuffled training pass and
    a test pass. Returns (kind, index) arrays; kind 0 = training, 1 = test."""
    kinds, index = [np.ones(n_test, int)], [np.arange(n_test)]
    for _ in range(epochs):
        kinds += [np.zeros(n_train, int), np.ones(n_test, int)]
        index += [rng.permutation(n_train), np.arange(n_test)]
    return np.concatenate(kinds), np.concatenate(index)


def forward_init(rng, n_in, n_out):
    """U(+-sqrt(7 / (n_in + n_out))), (n_in, n_out) in synapse order."""
    limit = np.sqrt(7.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out))


def simulate(*, sim, x_train, y_train, x_test, y_test, n_hidden, epochs, seed, sample, settle,
             dt, tau_m, tau_syn, tau_u, theta, refractory, input_rate, label_rate, eta, b_min,
             b_max, p_syn, w_err, theta_err, g_out, weight_scale, raster_samples):
    """Build and run the network over the whole schedule; returns plain arrays."""
    rng = np.random.default_rng([seed, 7])
    n_in, n_classes = x_train.shape[1], int(max(y_train.max(), y_test.max())) + 1
    kinds, index = schedule(rng, len(y_train), len(y_test), epochs)
    images = np.where(kinds[:, None] == 0, x_train[np.where(kinds == 0, index, 0)],
                      x_test[np.where(kinds == 1, index, 0)])
    labels = np.zeros((len(kinds), n_classes))
    train_rows = np.flatnonzero(kinds == 0)
    labels[train_rows, y_train[index[train_rows]]] = 1.0
    settle_steps = int(round(float(settle / sample) * 5))  # gate in fifths of a sample
    if abs(settle_steps * float(sample / 5) - float(settle)) > 1e-9:
        raise ParameterError("settle must be a multiple of sample / 5 (e.g. 50 ms of 250 ms)")
    gate = np.repeat((kinds == 0).astype(float), 5).reshape(-1, 5)
    gate[:, :settle_steps] = 0.0

    defaultclock.dt = dt
    pixels = sim.timed_array(np.asarray(images, dtype=float), dt=sample, name="pixels")
    label_ta = sim.timed_array(labels, dt=sample, name="labels")
    learning = sim.timed_array(gate.ravel(), dt=sample / 5, name="learning")

    inputs = NeuronGroup(n_in, INPUT, threshold="rand() < rate * dt", name="inputs")
    label_units = NeuronGroup(n_classes, LABEL, threshold="rand() < rate * dt", name="label_units")
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

    w1 = weight_scale * forward_init(rng, n_in, n_hidden)
    w2 = weight_scale * forward_init(rng, n_hidden, n_classes)
    g_hidden = random_feedback(rng, n_classes, n_hidden)
    rule = dict(eta=eta, b_min=b_min, b_max=b_max, p_syn=p_syn)
    syn_ih = erbp_synapses(inputs, hidden, name="w_input_hidden", **rule)
    syn_ho = erbp_synapses(hidden, output, name="w_hidden_output", **rule)
    sim.set_values(syn_ih.w, w1.ravel())
    sim.set_values(syn_ho.w, w2.ravel())
    to_errors = [error_synapses(label_units, errors, sign=1, weight=w_err, name="label_errors"),
                 error_synapses(output, errors, sign=-1, weight=w_err, name="output_errors")]
    fb_hidden, g_h = feedback_synapses(errors, hidden, weights=signed_feedback(g_hidden),
                                       name="feedback_hidden")
    fb_output, _ = feedback_synapses(errors, output,
                                     weights=signed_feedback(g_out * np.eye(n_classes)),
                                     name="feedback_output")
    sim.set_values(fb_hidden.g, g_h)

    out_spikes = SpikeMonitor(output, name="output_spikes")
    hidden_count = SpikeMonitor(hidden, record=False, name="hidden_count")
    raster = {name: SpikeMonitor(g, name=f"raster_{name}")
              for name, g in (("input", inputs), ("hidden", hidden), ("output", output),
                              ("errors", errors), ("labels", label_units))}
    # one trace of U and Is of a few hidden neurons for the raster window
    traces = StateMonitor(hidden, ["U", "Is"], record=np.arange(min(4, n_hidden)),
                          name="hidden_traces")
    net = sim.network(inputs, label_units, hidden, output, errors, syn_ih, syn_ho, *to_errors,
                      fb_hidden, fb_output, out_spikes, hidden_count, *raster.values(), traces)
    namespace = {"pixels": pixels, "labels": label_ta, "learning": learning}
    total = len(kinds) * sample
    # the raster: the last training samples of the first epoch (labels on, learning on)
    first_epoch_end = (len(y_test) + len(y_train)) * sample
    r0 = first_epoch_end - raster_samples * sample
    for mon in (*raster.values(), traces):
        mon.active = False
    sim.run(net, r0, namespace=namespace)
    for mon in (*raster.values(), traces):
        mon.active = True
    sim.run(net, raster_samples * sample, namespace=namespace)
    for mon in (*raster.values(), traces):
        mon.active = False
    sim.run(net, total - first_epoch_end, namespace=namespace,
            report="text" if float(total / second) > 100 else None, report_period=30 * second)
    sim.finish()
    if sim.build_only:
        return None
    return dict(
        kinds=kinds, index=index, w_initial=(w1, w2),
        w_final=(np.asarray(syn_ih.w[:]).reshape(n_in, n_hidden),
                 np.asarray(syn_ho.w[:]).reshape(n_hidden, n_classes)),
        output=(np.asarray(out_spikes.i[:]), np.asarray(out_spikes.t[:] / second)),
        hidden_spikes=int(hidden_count.num_spikes),
        raster={k: (np.asarray(m.i[:]), np.asarray(m.t[:] / second)) for k, m in raster.items()},
        raster_window=(float(r0 / second), float(first_epoch_end / second)),
        trace_t=np.asarray(traces.t[:] / second), trace_u=np.asarray(traces.U[:]).T,
        trace_is=np.asarray(traces.Is[:]).T,
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


def run_erbp(
    *,
    duration=None,
    seed=1,
    device="cpp",
    dataset="digits",
    data_dir="",
    n_hidden=100,
    epochs=15,
    n_train=0,
    n_test=0,
    sample=250 * ms,
    settle=50 * ms,
    dt=0.1 * ms,
    tau_m=1 * ms,
    tau_syn=4 * ms,
    tau_u=5 * ms,
    theta=0.1,
    refractory=3.9 * ms,
    input_rate=200 * Hz,
    label_rate=200 * Hz,
    eta=5e-5,
    b_min=-1.15,
    b_max=1.15,
    p_syn=1.0,
    w_err=0.09,
    theta_err=0.1,
    g_out=1.0,
    weight_scale=0.15,
    baseline_epochs=30,
    raster_samples=2,
    build_only=False,
):
    """Train an eRBP network on digits (or MNIST IDX files) and test it after every epoch.

    Parameters
    ----------
    duration : not used (the run length follows from epochs and samples); give epochs.
    dataset, data_dir : ``digits`` (scikit-learn's bundled 8x8 digits, 1348 training and 449
        test images) or ``mnist`` / ``fashion-mnist`` IDX files in ``data_dir``.
    n_hidden : hidden neurons (100).
    epochs : passes over the training set (15).
    n_train, n_test : use only the first n images of each set (0: all).
    sample : presentation time of one image (250 ms); settle : learning off at the start of
        each sample (50 ms, a multiple of sample / 5).
    dt : time step (0.1 ms). tau_m, tau_syn, tau_u : membrane (1 ms), synaptic current (4 ms)
        and dendrite (5 ms) time constants. theta : threshold (0.1), reset to 0.
    refractory : 3.9 ms.
    input_rate : Poisson rate of a pixel of full intensity (200 Hz); label_rate : rate of the
        label unit of the true class during training (200 Hz).
    eta : learning rate (5e-5). b_min, b_max : the learning gate on Is (+-1.15).
    p_syn : transmission probability (1: eRBP; below 1: peRBP).
    w_err, theta_err : label/output -> error weight (0.09) and error threshold (0.1).
    g_out : error -> output dendrite weight (1); hidden feedback is random (rules.erbp).
    weight_scale : factor on the U(+-sqrt(7 / (n_in + n_out))) initial weights (0.15).
    baseline_epochs : epochs of the NumPy FA and BP networks of the same size (30).
    raster_samples : samples recorded for the raster (the last of the first epoch).
    """
    if duration is not None:
        raise ParameterError("erbp: the run length follows from epochs; use --set epochs=N")
    if dataset not in ("digits", "mnist", "fashion-mnist"):
        raise ParameterError(f"dataset takes digits, mnist or fashion-mnist, not '{dataset}'")
    if epochs < 1 or n_hidden < 1 or n_train < 0 or n_test < 0:
        raise ParameterError("epochs and n_hidden must be at least 1; n_train, n_test >= 0")
    if not 0 < p_syn <= 1:
        raise ParameterError(f"p_syn must be in (0, 1], got {p_syn}")
    data = load_dataset(dataset, data_dir or None)
    x_train, y_train = data.x_train[: n_train or None], data.y_train[: n_train or None]
    x_test, y_test = data.x_test[: n_test or None], data.y_test[: n_test or None]
    n_classes = data.n_classes
    sizes = (x_train.shape[1], n_hidden, n_classes)
    model = dict(n_hidden=n_hidden, epochs=epochs, seed=seed, sample=sample, settle=settle,
                 dt=dt, tau_m=tau_m, tau_syn=tau_syn, tau_u=tau_u, theta=theta,
                 refractory=refractory, input_rate=input_rate, label_rate=label_rate, eta=eta,
                 b_min=b_min, b_max=b_max, p_syn=p_syn, w_err=w_err, theta_err=theta_err,
                 g_out=g_out, weight_scale=weight_scale, raster_samples=raster_samples)
    code = dict(sizes=sizes, n_train=len(y_train), n_test=len(y_test), epochs=epochs, dt=dt,
                sample=sample, refractory=refractory, raster=raster_samples)
    params = dict(model, dataset=dataset, data_dir=data_dir, n_train=len(y_train),
                  n_test=len(y_test), device=device, baseline_epochs=baseline_epochs,
                  sizes=",".join(map(str, sizes)))
    result = RunResult(model=NAME, params=params)
    simulated = float(sample / second) * (len(y_test) + epochs * (len(y_train) + len(y_test)))
    print(f"erbp: {'-'.join(map(str, sizes))}, {len(y_train)} training and {len(y_test)} test "
          f"samples, {epochs} epochs: {simulated:g} s simulated", file=sys.stderr, flush=True)
    with Simulation("erbp", target=device, seed=seed, code_params=code,
                    build_only=build_only) as sim:
        out = simulate(sim=sim, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                       **model)
    result.timings = dict(sim.timings)
    result.metrics.update({k: float(v) for k, v in sim.timings.items()})
    if out is None:
        return result
    sample_s = float(sample / second)
    errors = classification_errors(*out["output"], out["kinds"], out["index"], y_test, n_classes, sample_s)
    result.traces["epoch"] = np.arange(epochs + 1)
    result.traces["test_error_erbp"] = errors
    m = result.metrics
    m["test_error_initial"] = float(errors[0])
    m["test_error_erbp"] = float(errors[-1])
    m["test_error_erbp_best"] = float(errors.min())
    m["rate_hidden_hz"] = out["hidden_spikes"] / (n_hidden * len(out["kinds"]) * sample_s)
    if "run_s" in sim.timings:
        m["epoch_wall_s"] = float(sim.timings["run_s"]) / epochs  # the tests included
    for name, (w0, w1) in zip(("input_hidden", "hidden_output"),
                              zip(out["w_initial"], out["w_final"])):
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
    _baselines(result, x_train, y_train, x_test, y_test, n_hidden, seed, baseline_epochs)
    return result


def _baselines(result, x_train, y_train, x_test, y_test, n_hidden, seed, epochs):
    """NumPy rate networks of the same size on the same training set: FA and BP."""
    from analysis.datasets import Dataset
    from models.rdd_training import train

    data = Dataset("train", x_train, y_train, x_test, y_test, ())
    for method in ("fa", "bp"):
        out = train(data=data, hidden=(n_hidden,), method=method, seed=seed, epochs=epochs,
                    batch_size=32, lr=0.01, momentum=0.9, feedback_time=None, device=None)
        result.traces[f"test_error_{method}"] = out["test_error"]
        result.metrics[f"test_error_{method}"] = float(out["test_error"][-1])
