"""Linear target systems dx/dt = A x + c that the dynamics models track or learn."""

import numpy as np

from models.common.errors import ModelError

#: named systems, A in 1/second
SYSTEMS = {
    "oscillator": np.array([[-4.8, -22.4], [40.0, 0.0]]),  # damped, 4.7 Hz, decay 2.4/s
    "differentiator": np.array([[-400.0, -800.0], [50.0, 0.0]]),  # leaky differentiator
    "integrator": np.array([[-1.0, 0.0], [0.0, -1.0]]),  # leaky, time constant 1 s
}


def parse_system(system, names=tuple(SYSTEMS)):
    """A named system (one of ``names``), or a matrix 'a11,a12;a21,a22' (1/second, rows
    separated by ';'); ModelError for anything else."""
    if system in names:
        return SYSTEMS[system]
    try:
        rows = [[float(v) for v in row.split(",")] for row in str(system).split(";")]
        a = np.array(rows, dtype=float)
    except ValueError:
        a = None
    if a is None or a.ndim != 2 or a.shape[0] != a.shape[1] or not np.all(np.isfinite(a)):
        raise ModelError(
            f"system must be one of {', '.join(names)} or a square matrix like "
            f"'-1,0;0,-1' (1/second), got '{system}'"
        )
    return a


def simulate_target(a, command, dt_s):
    """Euler integration of dx/dt = A x + c with x(0) = 0; x_t uses c_t, as the network."""
    x = np.zeros_like(command)
    prev = np.zeros(command.shape[1])
    step = np.eye(len(a)) + dt_s * a
    for t in range(len(command)):
        prev = step @ prev + dt_s * command[t]
        x[t] = prev
    return x
