"""The baselines of the eRBP paper: NumPy rate networks of the same size (one ReLU hidden
layer, ``models.common.ratenet``), trained by feedback alignment (FA) and by backprop (BP) on
the same training set. The output error reaches the hidden layer through W2^T (BP) or through
a fixed random matrix B of the same shape (FA), which is what eRBP's random feedback to the
dendrites does with spikes.
"""

import numpy as np

from models.common.ratenet import init_weights, sgd_epoch, test_error

METHODS = ("fa", "bp")


def train(x_train, y_train, x_test, y_test, *, n_hidden, n_classes, method, seed, epochs,
          batch_size=32, lr=0.01, momentum=0.9):
    """Train one rate network; returns the test error before training and after each epoch."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not '{method}'")
    rng = np.random.default_rng([seed, 2])
    sizes = (x_train.shape[1], n_hidden, n_classes)
    ws, bs = init_weights(rng, sizes)
    # B: a second draw of the same shapes (its first matrix is drawn and not used)
    feedback = [w.T.copy() for w in init_weights(rng, sizes)[0]]
    velocity = ([np.zeros_like(w) for w in ws], [np.zeros_like(b) for b in bs])
    errors = [test_error(ws, bs, x_test, y_test)]
    for _ in range(epochs):
        sgd_epoch(ws, bs, velocity, feedback, x_train, y_train, rng, method=method,
                  batch_size=batch_size, lr=lr, momentum=momentum)
        errors.append(test_error(ws, bs, x_test, y_test))
    return np.array(errors)
