"""The rate network that the learning-rule models compare against: input -> ReLU hidden layers
-> softmax, cross-entropy loss, minibatch SGD with momentum, weights U(+-1/sqrt(fan_in))
(PyTorch's default) and zero biases. The output error travels back through matrices that
replace W_l^T: W_l^T itself (backprop), fixed random ones (feedback alignment) or learned ones
(rdd-training's RDD feedback). eRBP reports it as its NumPy baselines; rdd-training trains it.
"""

import numpy as np


def init_weights(rng, sizes):
    """Uniform(-1/sqrt(n_in), 1/sqrt(n_in)) weights (PyTorch's default) and zero biases."""
    ws = [rng.uniform(-1, 1, (n_out, n_in)) / np.sqrt(n_in)
          for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return ws, [np.zeros(n) for n in sizes[1:]]


def forward(ws, bs, x):
    """Activations of every layer (x: batch x features); the last one is the softmax."""
    acts = [x]
    for l, (w, b) in enumerate(zip(ws, bs)):
        z = acts[-1] @ w.T + b
        if l < len(ws) - 1:
            acts.append(np.maximum(z, 0.0))
        else:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            acts.append(e / e.sum(axis=1, keepdims=True))
    return acts


def gradients(ws, feedback, acts, labels):
    """Weight and bias gradients of the cross-entropy, errors sent back through ``feedback``.

    ``feedback[l]`` (n_in x n_out of layer l) replaces W_l^T; feedback[0] is never used.
    """
    n = len(labels)
    delta = acts[-1].copy()
    delta[np.arange(n), labels] -= 1.0
    delta /= n
    grads_w, grads_b = [None] * len(ws), [None] * len(ws)
    for l in range(len(ws) - 1, -1, -1):
        grads_w[l] = delta.T @ acts[l]
        grads_b[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ feedback[l].T) * (acts[l] > 0)
    return grads_w, grads_b


def test_error(ws, bs, x, y):
    """Fraction of ``x`` misclassified (the largest output is the class)."""
    return float(np.mean(forward(ws, bs, x)[-1].argmax(axis=1) != y))


def sgd_epoch(ws, bs, velocity, feedback, x_train, y_train, rng, *, method, batch_size, lr,
              momentum):
    """One epoch of minibatch SGD with momentum (in place). ``velocity``: (per-layer weight
    velocities, bias velocities); ``feedback``: the matrices that replace W_l^T (ignored for
    ``method`` bp, which uses the current W_l^T of every minibatch)."""
    vel_w, vel_b = velocity
    order = rng.permutation(len(y_train))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        acts = forward(ws, bs, x_train[idx])
        if method == "bp":
            feedback = [w.T for w in ws]
        gw, gb = gradients(ws, feedback, acts, y_train[idx])
        for l in range(len(ws)):
            vel_w[l] = momentum * vel_w[l] - lr * gw[l]
            vel_b[l] = momentum * vel_b[l] - lr * gb[l]
            ws[l] += vel_w[l]
            bs[l] += vel_b[l]
