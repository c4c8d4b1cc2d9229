"""The ``spikerules`` command (contract: shared/DESIGN.md, README "Command line")."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from spikerules import UsageError

DEVICES = ("runtime", "cpp", "cuda")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage too by default)
        raise UsageError(message)


def _device_arg(p):
    p.add_argument("--device", default="cpp", choices=DEVICES,
                   help="runtime (Cython), cpp (C++ standalone, default) or cuda (brian2cuda)")


def build_parser():
    parser = _Parser(prog="spikerules", description="Brian2 models of learning in spiking networks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    lst = sub.add_parser("list", help="list models and figures; with MODEL its parameters")
    lst.add_argument("model", nargs="?")

    run = sub.add_parser("run", help="run one model and write a run directory")
    run.add_argument("model")
    _device_arg(run)
    run.add_argument("--duration", help="simulated (learning) time: 500ms, 10s or seconds")
    run.add_argument("--seed", default="1", help="non-negative whole number (default 1)")
    run.add_argument("--out", help="run directory (default runs/MODEL-seedN)")
    run.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                     help="model parameter with units, e.g. --set lam=40/second")
    run.add_argument("--quick", action="store_true", help="short smoke-test settings")
    run.add_argument("--data-dir", help="directory with data files (models that take data)")

    fig = sub.add_parser("figures", help="draw paper figures (PNG + metrics.json)")
    fig.add_argument("names", nargs="*")
    fig.add_argument("--quick", action="store_true")
    fig.add_argument("--out", default="figures-out")
    fig.add_argument("--seed", default="1")
    fig.add_argument("--from", dest="sources", nargs="+", metavar="RUNDIR",
                     help="draw from these run directories (or directories of them) instead "
                          "of running the models")
    _device_arg(fig)

    bench = sub.add_parser("bench", help="loop wall time per target and against plain NumPy")
    bench.add_argument("names", nargs="*")
    bench.add_argument("--out", help="write the results as JSON (and the scaling plot as PNG)")
    bench.add_argument("--targets", help="comma-separated subset of runtime,cpp,cuda "
                       "(default: runtime, cpp, and cuda where a GPU is present)")
    bench.add_argument("--scaling", action="store_true",
                       help="also time each benchmark over sizes up to N = 100,000 "
                       "(balanced-coding) and 10,000 -> 2,500 (rdd)")
    bench.add_argument("--repeat", type=int, default=3,
                       help="runs of each loop, the targets taking turns; rows give the median "
                       "(default: 3)")

    sweep = sub.add_parser("sweep", help="one model over seeds and parameter values, on Dask")
    sweep.add_argument("model")
    _device_arg(sweep)
    sweep.add_argument("--set", dest="settings", action="append", default=[],
                       metavar="NAME=V1,V2,...", help="values of a parameter ('|' separates "
                       "values that contain commas)")
    sweep.add_argument("--seeds", default="1", help="seeds: 1-8, 1,3,5 (default 1)")
    sweep.add_argument("--duration")
    sweep.add_argument("--quick", action="store_true")
    sweep.add_argument("--scheduler", metavar="ADDRESS|FILE.json", help="run on this Dask "
                       "cluster (tcp://host:8786 or a scheduler file); default: a local one")
    sweep.add_argument("--jobs", type=int, help="workers of the local cluster (default: one "
                       "per core)")
    sweep.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                       help="skip points whose run directory is complete (default)")
    sweep.add_argument("--out", help="directory of the point run directories and summary "
                       "(default sweeps/MODEL)")

    raster = sub.add_parser("raster", help="raster, population rate and ISI CV of a run")
    raster.add_argument("rundir")
    raster.add_argument("--population", help="population in spikes.npz (default: the first)")
    raster.add_argument("--start", help="window start (time, default: first spike)")
    raster.add_argument("--stop", help="window end (time, default: start + 2 s)")
    raster.add_argument("--out", help="PNG file (default RUNDIR/raster-POP.png; with --html "
                        "the HTML file, default RUNDIR/raster.html)")
    raster.add_argument("--html", action="store_true", help="one self-contained interactive "
                        "page of every population (--population: only that one; --start, "
                        "--stop: the window shown first)")

    export = sub.add_parser("export", help="spike trains of a run as NWB and/or Neo files")
    export.add_argument("rundir")
    export.add_argument("--nwb", metavar="FILE.nwb", help="NWB file (pynwb Units table)")
    export.add_argument("--neo", metavar="FILE.mat", help="neo.Block in Neo's MATLAB format")

    show = sub.add_parser("show", help="a run at a glance: parameters, metrics, populations")
    show.add_argument("rundir")
    return parser


def cmd_list(args):
    from figures import ALIASES, FIGURES
    from spikerules.registry import MODEL_PACKAGES, load_figure, load_model

    if args.model:
        model = load_model(args.model)
        cls = model.params
        print(f"{model.name}: {model.description}")
        print("parameters (--set NAME=VALUE; --seed, --device, --duration and --data-dir "
              "have options of their own):")
        print("\n".join(cls.describe()))
        if cls.QUICK:
            quick = ", ".join(f"{k}={cls.spec(k).text(v)}" for k, v in cls.QUICK.items())
            print(f"--quick sets: {quick}")
        return 0
    print("models:")
    for name in MODEL_PACKAGES:
        print(f"  {name:22s} {load_model(name).description}")
    print("figures:")
    for name in FIGURES:
        _, module = load_figure(name)
        aliases = [a for a, target in ALIASES.items() if target == name]
        also = f" (also: {', '.join(aliases)})" if aliases else ""
        print(f"  {name:22s} {module.DESCRIPTION}{also}")
    return 0


def cmd_run(args):
    from spikerules.registry import load_model
    from spikerules.runs import command_text, default_out, execute, summary_line
    from spikerules.settings import check_writable, make_params, parse_seed

    model = load_model(args.model)
    seed = parse_seed(args.seed)
    out = Path(args.out) if args.out else default_out(args.model, seed)
    params = make_params(model, settings=args.settings, quick=args.quick,
                         duration=args.duration, seed=seed, device=args.device,
                         data_dir=args.data_dir)
    check_writable(out)
    if "checkpoint_dir" in {s.name for s in params.specs()} and not params.checkpoint_dir:
        params = params.replace(checkpoint_dir=str(out / "checkpoints"))
    result = execute(model, params, out, command=command_text())
    print(summary_line(model, params, result, out))
    return 0


def cmd_figures(args):
    from figures import FIGURES
    from spikerules.figures import make
    from spikerules.registry import load_figure
    from spikerules.settings import check_writable, parse_seed

    names = args.names or list(FIGURES)
    for name in names:
        load_figure(name)  # every name checked before anything runs
    seed = parse_seed(args.seed)
    check_writable(args.out)
    for name in names:
        t0 = time.perf_counter()
        paths = make(name, out_dir=Path(args.out), quick=args.quick, device=args.device,
                     seed=seed, sources=args.sources)
        print(f"{name}: {', '.join(str(p) for p in paths)} ({time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_raster(args):
    from analysis.io import load_spikes
    from spikerules.inspection import raster_html

    if args.html:
        return raster_html(args)
    from figures.raster import raster_figure
    from spikerules.figures import save_figure
    from spikerules.settings import check_writable, parse_time

    rundir = Path(args.rundir)
    pops = load_spikes(rundir)
    if not pops:
        raise UsageError(f"{rundir} holds no spikes")
    population = args.population or next(iter(pops))
    if population not in pops:
        raise UsageError(f"unknown population '{population}'; accepted: {', '.join(pops)}")
    spike_i, spike_t = pops[population]
    if spike_t.size == 0:
        raise UsageError(f"population '{population}' has no spikes")
    start = float(parse_time(args.start, "--start")) if args.start else float(spike_t.min())
    stop = float(parse_time(args.stop, "--stop")) if args.stop else start + 2.0
    if stop <= start:
        raise UsageError("--stop must be after --start")
    out = Path(args.out) if args.out else rundir / f"raster-{population}.png"
    if out.exists() and out.is_dir():
        raise UsageError(f"--out {out} is a directory; give a PNG file")
    check_writable(out.parent)
    fig = raster_figure(spike_i, spike_t, start=start, stop=stop,
                        title=f"{rundir.name}: {population}")
    print(save_figure(fig, out, dpi=120))
    return 0


def cmd_bench(args):
    from models.common.device import TARGETS
    from spikerules.bench import BENCHMARKS, run_benchmarks

    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise UsageError(f"unknown benchmark '{unknown[0]}'; accepted: {', '.join(BENCHMARKS)}")
    targets = None
    if args.targets:
        targets = [t.strip() for t in args.targets.split(",") if t.strip()]
        bad = [t for t in targets if t not in TARGETS]
        if bad or not targets:
            raise UsageError(f"unknown target '{bad[0] if bad else args.targets}'; "
                             f"accepted: {', '.join(TARGETS)}")
    if args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    run_benchmarks(names, targets=targets, scaling=args.scaling, out=args.out,
                   repeat=args.repeat)
    return 0


def cmd_sweep(args):
    from spikerules.settings import check_writable, parse_time
    from spikerules.sweep import parse_seeds, run_sweep, setting_axes

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.jobs is not None and args.scheduler:
        raise UsageError("--jobs sizes the local cluster; a --scheduler's cluster has its own")
    if args.duration is not None:
        parse_time(args.duration)  # a bad duration fails here, not in every point
    seeds = parse_seeds(args.seeds)
    out = Path(args.out or f"sweeps/{args.model}")
    check_writable(out)
    rows = run_sweep(args.model, axes=setting_axes(args.settings), seeds=seeds,
                     device=args.device, duration=args.duration, quick=args.quick, out=out,
                     jobs=args.jobs, scheduler=args.scheduler, resume=args.resume)
    return 0 if all(r["status"] != "failed" for r in rows) else 1


def cmd_export(args):
    from spikerules.inspection import export

    return export(args)


def cmd_show(args):
    from spikerules.inspection import show

    return show(args)


COMMANDS = {"list": cmd_list, "run": cmd_run, "figures": cmd_figures, "raster": cmd_raster,
            "bench": cmd_bench, "sweep": cmd_sweep, "export": cmd_export, "show": cmd_show}


def main(argv=None):
    from analysis.io import DataError
    from models.common.errors import ModelError

    os.environ.setdefault("MPLBACKEND", "Agg")
    if hasattr(sys.stdout, "reconfigure"):  # progress lines reach a log file as they happen
        sys.stdout.reconfigure(line_buffering=True)
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ModelError, DataError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"spikerules: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spikerules: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (`| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
