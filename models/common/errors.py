"""The one error type of the models.

Every problem a user can fix (a bad parameter value, a missing GPU or package, an unreadable
checkpoint) is raised as :class:`ModelError` with a message of one line that says what is wrong
and what is accepted. The application (``spikerules``) prints it and exits with status 2; a
script that calls a model directly sees an ordinary exception.
"""


class ModelError(ValueError):
    """Bad input to a model, reported as one line (exit status 2 on the command line)."""


class DeviceError(ModelError):
    """A problem with the chosen target (no GPU, no brian2cuda, no nvcc)."""
