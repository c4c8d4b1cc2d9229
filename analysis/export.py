"""Spike trains of a run in the field's exchange formats: NWB (pynwb) and Neo.

Both keep every spike exactly (float64 seconds) and the population of each neuron. A
population's neurons are 0 .. its highest index that spiked (a run directory does not record
silent neurons above that); a population without spikes is kept, with no neurons.

NWB file (``write_nwb``, read back with ``read_nwb`` or any NWB reader):

- ``units``: one row per neuron, its ``spike_times`` (s), columns ``population`` (name) and
  ``neuron`` (index in the population), and the observation interval ``[0, T]`` (s), where T
  is the run's duration or its last spike, whichever is later;
- processing module ``misc``: tables ``populations`` (name, neurons, spikes),
  ``parameters`` (name, value as JSON text: params.json) and ``metrics`` (name, value).

Neo (``to_neo``; ``write_neo`` saves it with Neo's MATLAB writer): a ``Block`` with one
``Segment`` holding a ``SpikeTrain`` per neuron (annotated with ``population`` and
``neuron``), and one ``Group`` per population holding its trains.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import uuid
from pathlib import Path

import numpy as np

from analysis.io import DataError, RunResult

#: seconds per unit of the durations params.json holds ('20 second', '500 ms')
_UNITS = {"second": 1.0, "s": 1.0, "ms": 1e-3, "msecond": 1e-3, "minute": 60.0, "hour": 3600.0}


def _seconds(text):
    """Seconds of a duration text such as '20 second' (None if it is not one)."""
    match = re.fullmatch(r"\s*([-+0-9.eE]+)\s*\*?\s*([a-z]+)\s*", str(text))
    if not match or match.group(2) not in _UNITS:
        return None
    try:
        return float(match.group(1)) * _UNITS[match.group(2)]
    except ValueError:
        return None


def observation_stop(result):
    """End T (s) of the observation interval [0, T]: the run's duration or its last spike."""
    last = [float(t.max()) for _, t in result.spikes.values() if t.size]
    duration = _seconds(result.params.get("duration", ""))
    return max(last + ([duration] if duration else []) + [0.0])


def neuron_trains(spike_i, spike_t):
    """Sorted spike times (s) of neurons 0 .. highest index, as a list of arrays."""
    spike_i, spike_t = np.asarray(spike_i), np.asarray(spike_t, dtype=float)
    n = int(spike_i.max()) + 1 if spike_i.size else 0
    order = np.lexsort((spike_t, spike_i))
    bounds = np.searchsorted(spike_i[order], np.arange(n + 1))
    times = spike_t[order]
    return [times[bounds[k]:bounds[k + 1]] for k in range(n)]


def from_trains(trains):
    """(indices int32, times) of a list of per-neuron trains, sorted by time then index."""
    if not trains:
        return np.zeros(0, np.int32), np.zeros(0)
    times = np.concatenate([np.asarray(t, dtype=float) for t in trains])
    index = np.repeat(np.arange(len(trains), dtype=np.int32), [len(t) for t in trains])
    order = np.lexsort((index, times))
    return index[order], times[order]


def _atomic(path, write, suffix):
    """Call ``write(tmp)`` on a temporary name beside ``path`` and rename it into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp{suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# --- NWB ---------------------------------------------------------------------------------
def nwb_file(result, *, name="run", start_time=None):
    """An in-memory ``pynwb.NWBFile`` of ``result`` (see the module docstring)."""
    from pynwb import NWBFile
    from pynwb.file import Subject

    start_time = start_time or datetime.datetime.now(datetime.timezone.utc)
    nwb = NWBFile(
        session_description=f"spikerules run '{name}' of model {result.model}: spike trains "
                            "of every population (times in seconds)",
        identifier=str(uuid.uuid4()), session_start_time=start_time,
        experiment_description=f"simulation with spikerules ({result.params.get('command', '')})",
        notes="Parameters and metrics of the run: tables in processing module 'misc'.",
        keywords=["simulation", "spiking neural network", "Brian2", result.model],
        subject=Subject(subject_id=f"{result.model} network", sex="U", date_of_birth=start_time,
                        description="a simulated spiking network (no animal), built when "
                        "the run started"))
    _add_units(nwb, result)
    _add_run_tables(nwb, result)
    return nwb


def _add_units(nwb, result):
    from pynwb.misc import Units

    trains = {pop: neuron_trains(i, t) for pop, (i, t) in result.spikes.items()}
    if not any(trains.values()):
        return  # no neuron spiked: no units table (one without spike times is invalid)
    dt = _seconds(result.params.get("dt", ""))
    nwb.units = Units(name="units", description="one row per neuron: spike times in seconds "
                      "from the start of the run, its population and index",
                      resolution=dt if dt and dt > 0 else -1.0)
    nwb.add_unit_column("population", "population of the neuron (a name in spikes.npz)")
    nwb.add_unit_column("neuron", "index of the neuron in its population")
    stop = observation_stop(result)
    for pop, pop_trains in trains.items():
        for k, train in enumerate(pop_trains):
            nwb.add_unit(spike_times=train, obs_intervals=[[0.0, stop]], population=pop,
                         neuron=k)


def _table(nwb, module, name, description, columns, rows):
    from hdmf.common import DynamicTable

    table = DynamicTable(name=name, description=description)
    for column, text in columns:
        table.add_column(column, text)
    for row in rows:
        table.add_row(**dict(zip((c for c, _ in columns), row)))
    module.add(table)


def _add_run_tables(nwb, result):
    module = nwb.create_processing_module("misc", "the spikerules run directory: its "
                                          "populations, parameters (params.json) and metrics")
    pops = [(p, len(neuron_trains(i, t)), len(t)) for p, (i, t) in result.spikes.items()]
    _table(nwb, module, "populations", "populations of the run, in the order of the units",
           [("population", "population name"), ("neurons", "neurons in the units table"),
            ("spikes", "number of spikes")], pops)
    params = dict(result.params, model=result.model)
    _table(nwb, module, "parameters", "params.json of the run",
           [("parameter", "parameter name"), ("value", "value as JSON text (units as text)")],
           [(k, json.dumps(v)) for k, v in sorted(params.items())])
    metrics = [(k, np.nan if v is None else float(v)) for k, v in sorted(result.metrics.items())]
    _table(nwb, module, "metrics", "metrics.json of the run (NaN: not a number)",
           [("metric", "metric name"), ("value", "value")], metrics)


def write_nwb(path, result, *, name="run", start_time=None):
    """Write ``result`` as an NWB file at ``path`` (temporary name, then renamed); returns it."""
    from pynwb import NWBHDF5IO

    def write(tmp):
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb_file(result, name=name, start_time=start_time))

    return _atomic(path, write, ".nwb")


def read_nwb(path):
    """The :class:`RunResult` of an NWB file written by ``write_nwb`` (spikes sorted by time,
    then neuron); DataError if it is not one."""
    from pynwb import NWBHDF5IO

    try:
        with NWBHDF5IO(str(path), "r") as io:
            nwb = io.read()
            tables = {n: nwb.processing["misc"][n].to_dataframe()
                      for n in ("populations", "parameters", "metrics")}
            units = nwb.units
            trains = [units.get_unit_spike_times(k) for k in range(len(units))] if units else []
            labels = list(zip(units["population"][:], units["neuron"][:])) if units else []
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path} is not an NWB file of a spikerules run "
                        f"({type(exc).__name__})") from None
    spikes = {}
    for pop in tables["populations"]["population"]:
        own = sorted(((k, trains[row]) for row, (p, k) in enumerate(labels) if p == pop),
                     key=lambda pair: pair[0])
        spikes[pop] = from_trains([train for _, train in own])
    params = {k: json.loads(v) for k, v in zip(tables["parameters"]["parameter"],
                                                tables["parameters"]["value"])}
    metrics = dict(zip(tables["metrics"]["metric"], map(float, tables["metrics"]["value"])))
    return RunResult(model=params.get("model"), params=params, metrics=metrics, spikes=spikes)


# --- Neo ---------------------------------------------------------------------------------
def to_neo(result, *, name="run"):
    """A ``neo.Block``: one ``Segment`` with a ``SpikeTrain`` per neuron (seconds, annotated
    with ``population`` and ``neuron``) and a ``Group`` per population holding its trains."""
    import neo

    stop = observation_stop(result)
    block = neo.Block(name=name, description=f"spikerules run of model {result.model}",
                      model=result.model, params=json.dumps(result.params),
                      metrics=json.dumps(result.metrics))
    segment = neo.Segment(name=name)
    block.segments.append(segment)
    for pop, (spike_i, spike_t) in result.spikes.items():
        group = neo.Group(name=pop)
        block.groups.append(group)
        for k, train in enumerate(neuron_trains(spike_i, spike_t)):
            st = neo.SpikeTrain(train, t_start=0.0, t_stop=stop, units="s",
                                name=f"{pop}[{k}]", population=pop, neuron=k)
            segment.spiketrains.append(st)
            group.add(st)
    return block


def from_neo(block):
    """{population: (indices, times in s)} of a Block made by ``to_neo`` (sorted by time)."""
    spikes = {}
    for group in block.groups:
        trains = sorted(group.spiketrains, key=lambda st: int(st.annotations["neuron"]))
        spikes[group.name] = from_trains([st.rescale("s").magnitude for st in trains])
    return spikes


def write_neo(path, result, *, name="run"):
    """Save ``to_neo(result)`` with Neo's MATLAB writer (``neo.io.NeoMatlabIO``; temporary
    name, then renamed); returns the path."""
    from neo.io import NeoMatlabIO

    return _atomic(path, lambda tmp: NeoMatlabIO(str(tmp)).write_block(
        to_neo(result, name=name)), ".mat")


def read_neo(path):
    """The Block of a file written by ``write_neo``; DataError if it is not one."""
    from neo.io import NeoMatlabIO

    try:
        return NeoMatlabIO(str(path)).read_block()
    except Exception as exc:  # scipy and Neo raise many kinds on a foreign file
        raise DataError(f"{path} is not a Neo MATLAB file ({type(exc).__name__})") from None
