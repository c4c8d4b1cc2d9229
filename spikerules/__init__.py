"""The application: the ``spikerules`` command line on top of the four science packages.

``models`` (one package per model), ``rules`` (learning rules as Brian2 code), ``analysis``
(arrays in, numbers out; run directories) and ``figures`` (results in, figures out) never
import this package. Here they meet: settings typed by a user become a model's parameter
record (:mod:`spikerules.settings`), a run is written as a run directory
(:mod:`spikerules.runs`), figures are drawn from runs made for them or read from disk
(:mod:`spikerules.figures`), and seeds and values are swept (:mod:`spikerules.sweep`) and
timed (:mod:`spikerules.bench`). Errors the user can fix (``ModelError``, ``DataError``,
:class:`UsageError`) end the command with one line and exit status 2.
"""


class UsageError(ValueError):
    """A command-line mistake (unknown command, figure or option value): one line, exit 2."""
