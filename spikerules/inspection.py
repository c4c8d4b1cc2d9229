"""Inspecting a run directory: ``raster --html``, ``export`` and ``show``.

``spikerules raster RUNDIR --html [--out FILE.html]`` writes one self-contained page of every
population (:mod:`figures.interactive`); ``spikerules export RUNDIR --nwb FILE.nwb --neo
FILE.mat`` writes the spike trains as NWB and Neo files (:mod:`analysis.export`); ``spikerules
show RUNDIR`` prints the run at a glance. A missing, damaged or foreign run directory, or an
output that cannot be written, ends the command with one line and exit status 2; files are
written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from analysis.io import RunResult
from models.common.errors import ModelError
from spikerules import UsageError
from spikerules.settings import check_writable, parse_time


def output_path(text, default, option="--out"):
    """The output file ``text`` (or ``default``), refused (exit 2) unless it can be written."""
    out = Path(text) if text else Path(default)
    if out.is_dir():
        raise UsageError(f"{option} {out} is a directory; give a file name")
    check_writable(out.parent, option)
    return out


def raster_html(args):
    """``spikerules raster RUNDIR --html``: the interactive page; prints its path."""
    from analysis.export import observation_stop
    from figures.interactive import raster_page

    rundir = Path(args.rundir)
    result = RunResult.read(rundir)
    spikes = result.spikes
    if not spikes:
        raise UsageError(f"{rundir} holds no spikes")
    if args.population:
        if args.population not in spikes:
            raise UsageError(f"unknown population '{args.population}'; accepted: "
                             f"{', '.join(spikes)}")
        spikes = {args.population: spikes[args.population]}
    window = None
    if args.start or args.stop:
        start = float(parse_time(args.start, "--start")) if args.start else 0.0
        stop = float(parse_time(args.stop, "--stop")) if args.stop else start + 2.0
        if stop <= start:
            raise UsageError("--stop must be after --start")
        window = (start, stop)
    out = output_path(args.out, rundir / "raster.html")
    title = f"{rundir.name}: {result.model}, seed {result.params.get('seed')}"
    page = raster_page(spikes, t_stop=observation_stop(result), title=title, window=window)
    print(save_html(page, out, title))
    return 0


def save_html(layout, out, title):
    """Save a Bokeh layout as one HTML file with its resources inline (temporary name, then
    renamed); returns the path."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(file_html(layout, resources=INLINE, title=title), encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def export(args):
    """``spikerules export RUNDIR --nwb FILE --neo FILE``: prints the paths written."""
    from analysis.export import write_neo, write_nwb

    if not (args.nwb or args.neo):
        raise UsageError("export needs --nwb FILE.nwb and/or --neo FILE.mat")
    rundir = Path(args.rundir)
    result = RunResult.read(rundir)
    outs = {kind: output_path(text, None, f"--{kind}")
            for kind, text in (("nwb", args.nwb), ("neo", args.neo)) if text}
    written = datetime.datetime.fromtimestamp((rundir / "params.json").stat().st_mtime,
                                              datetime.timezone.utc)
    for kind, out in outs.items():
        out.parent.mkdir(parents=True, exist_ok=True)
        if kind == "nwb":
            print(write_nwb(out, result, name=rundir.name, start_time=written))
        else:
            print(write_neo(out, result, name=rundir.name))
    return 0


def show(args):
    """``spikerules show RUNDIR``: the run at a glance (see :func:`summary`)."""
    print("\n".join(summary(Path(args.rundir))))
    return 0


def summary(rundir):
    """Lines: model, seed, device and command; the parameters that differ from the model's
    defaults; metrics; populations with neuron and spike counts; files and sizes."""
    result = RunResult.read(rundir)
    p = result.params
    lines = [f"{rundir}: {result.model} (seed {p.get('seed')}, device {p.get('device')}, "
             f"brian2 {p.get('brian2_version')})"]
    if p.get("command"):
        lines.append(f"command: spikerules {p['command']}")
    changed, heading = changed_params(result)
    lines += _section(heading, [(k, v) for k, v in changed.items()])
    lines += _section("metrics", [(k, f"{v:.4g}" if isinstance(v, float) else str(v))
                                  for k, v in sorted(result.metrics.items())])
    lines += _section("populations (neurons: highest index that spiked + 1)", [
        (pop, f"{int(i.max()) + 1 if i.size else 0:>6} neurons {t.size:>10} spikes"
              + (f"   {t.min():.4g} s .. {t.max():.4g} s" if t.size else ""))
        for pop, (i, t) in result.spikes.items()])
    lines += _section("files", [(name, _size(size)) for name, size in _files(Path(rundir))])
    return lines


def changed_params(result):
    """({name: text} of the parameters that differ from the model's defaults, heading); every
    parameter when the model is unknown to this version."""
    from spikerules.registry import load_model

    skip = {"model", "command", "brian2_version"}
    try:
        params = load_model(result.model).params.from_json(result.params)
    except (UsageError, ModelError, TypeError) as exc:
        reason = " ".join(str(exc).split())
        return ({k: str(v) for k, v in sorted(result.params.items()) if k not in skip},
                f"parameters (defaults unknown: {reason})")
    return params.changed(), "parameters that differ from the defaults"


def _section(heading, rows):
    if not rows:
        return [f"{heading}: none"]
    width = max(len(name) for name, _ in rows)
    return [f"{heading}:"] + [f"  {name:{width}s}  {value}" for name, value in rows]


def _files(directory):
    """(name, bytes) of each file of ``directory``; a subdirectory as 'name/ (N files)'."""
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            files = [f for f in path.rglob("*") if f.is_file()]
            yield f"{path.name}/ ({len(files)} files)", sum(f.stat().st_size for f in files)
        else:
            yield path.name, path.stat().st_size


def _size(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
