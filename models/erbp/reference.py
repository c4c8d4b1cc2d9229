"""The baselines of the eRBP paper: NumPy rate networks of the same size, trained by
feedback alignment (FA) and by backprop (BP) on the same training set.

input -> ReLU hidden layer -> softmax, cross-entropy loss, SGD with momentum in minibatches,
weights U(+-1/sqrt(fan_in)) (PyTorch's default) and zero biases. The output error reaches the
hidden layer through W2^T (BP) or through a fixed random matrix B of the same shape (FA), which
is what eRBP's random feedback to the dendrites does with spikes.
"""

import numpy as np

METHODS = ("fa", "bp")


def initial_weights(rng, n_in, n_hidden, n_out):
    """[W1 (n_hidden, n_in), W2 (n_out, n_hidden)], each U(+-1/sqrt(its fan-in))."""
    return [rng.uniform(-1, 1, (rows, cols)) / np.sqrt(cols)
            for cols, rows in ((n_in, n_hidden), (n_hidden, n_out))]


def forward(w, b, x):
    """Hidden activities (ReLU) and class probabilities (softmax) of the inputs x (n, n_in)."""
    hidden = np.maximum(x @ w[0].T + b[0], 0.0)
    z = hidden @ w[1].T + b[1]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return hidden, e / e.sum(axis=1, keepdims=True)


def gradients(w, feedback, x, hidden, probabilities, labels):
    """Gradients of the mean cross-entropy for W1, W2 and the biases; the output error reaches
    the hidden layer through ``feedback`` (n_hidden, n_out): W2^T for BP, B for FA."""
    n = len(labels)
    delta = probabilities.copy()
    delta[np.arange(n), labels] -= 1.0
    delta /= n
    grad_w2, grad_b2 = delta.T @ hidden, delta.sum(axis=0)
    delta = (delta @ feedback.T) * (hidden > 0)
    return [delta.T @ x, grad_w2], [delta.sum(axis=0), grad_b2]


def test_error(w, b, x, y):
    """Fraction of the images x whose most probable class is not y."""
    return float(np.mean(forward(w, b, x)[1].argmax(axis=1) != y))


def train(x_train, y_train, x_test, y_test, *, n_hidden, n_classes, method, seed, epochs,
          batch_size=32, lr=0.01, momentum=0.9):
    """Train one rate network; returns the test error before training and after each epoch."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not '{method}'")
    rng = np.random.default_rng([seed, 2])
    w = initial_weights(rng, x_train.shape[1], n_hidden, n_classes)
    b = [np.zeros(n_hidden), np.zeros(n_classes)]
    # B: a second draw of the same shapes (its first matrix is drawn and not used)
    random_feedback = initial_weights(rng, x_train.shape[1], n_hidden, n_classes)[1].T.copy()
    vel_w, vel_b = [np.zeros_like(m) for m in w], [np.zeros_like(v) for v in b]
    errors = [test_error(w, b, x_test, y_test)]
    for _ in range(epochs):
        order = rng.permutation(len(y_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            x = x_train[idx]
            feedback = w[1].T if method == "bp" else random_feedback
            grad_w, grad_b = gradients(w, feedback, x, *forward(w, b, x), y_train[idx])
            for layer in range(2):
                vel_w[layer] = momentum * vel_w[layer] - lr * grad_w[layer]
                vel_b[layer] = momentum * vel_b[layer] - lr * grad_b[layer]
                w[layer] += vel_w[layer]
                b[layer] += vel_b[layer]
        errors.append(test_error(w, b, x_test, y_test))
    return np.array(errors)
