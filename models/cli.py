"""The ``spikerules`` command (contract: shared/DESIGN.md)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from models.registry import (
    MODEL_MODULES,
    ParameterError,
    load,
    parameters,
    parse_duration,
    parse_settings,
)

DEVICES = ("runtime", "cpp", "cuda")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage too by default)
        raise ParameterError(message)


def _device_arg(p):
    p.add_argument("--device", default="cpp", choices=DEVICES,
                   help="runtime (Cython), cpp (C++ standalone, default) or cuda (brian2cuda)")


def build_parser():
    parser = _Parser(prog="spikerules", description="Brian2 models of learning in spiking networks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="list models and figures")

    run = sub.add_parser("run", help="run one model and write a run directory")
    run.add_argument("model")
    _device_arg(run)
    run.add_argument("--duration", help="simulated (learning) time: 500ms, 10s or seconds")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--out", help="run directory (default runs/MODEL-seedN)")
    run.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                     help="model parameter with units, e.g. --set lam=40/second")
    run.add_argument("--quick", action="store_true", help="short smoke-test settings")
    run.add_argument("--data-dir", help="directory with data files (models that take data)")

    fig = sub.add_parser("figures", help="regenerate paper figures (PNG + metrics.json)")
    fig.add_argument("names", nargs="*")
    fig.add_argument("--quick", action="store_true")
    fig.add_argument("--out", default="figures-out")
    _device_arg(fig)

    bench = sub.add_parser("bench", help="loop wall time per target and against plain NumPy")
    bench.add_argument("names", nargs="*")
    bench.add_argument("--out", help="write the results as JSON (and the scaling plot as PNG)")
    bench.add_argument("--targets", help="comma-separated subset of runtime,cpp,cuda "
                       "(default: runtime, cpp, and cuda where a GPU is present)")
    bench.add_argument("--scaling", action="store_true",
                       help="also time each benchmark over two orders of magnitude of size")

    sweep = sub.add_parser("sweep", help="one model over seeds and parameter values, in parallel")
    sweep.add_argument("model")
    _device_arg(sweep)
    sweep.add_argument("--set", dest="settings", action="append", default=[],
                       metavar="NAME=V1,V2,...", help="values of a parameter ('|' separates "
                       "values that contain commas)")
    sweep.add_argument("--seeds", default="1", help="seeds: 1-8, 1,3,5 (default 1)")
    sweep.add_argument("--duration")
    sweep.add_argument("--quick", action="store_true")
    sweep.add_argument("--jobs", type=int, help="parallel processes (default: CPU count)")
    sweep.add_argument("--out", help="directory of the point run directories and summary "
                       "(default sweeps/MODEL)")

    raster = sub.add_parser("raster", help="raster, population rate and ISI CV of a run")
    raster.add_argument("rundir")
    raster.add_argument("--population", help="population in spikes.npz (default: the first)")
    raster.add_argument("--start", help="window start (time, default: first spike)")
    raster.add_argument("--stop", help="window end (time, default: start + 2 s)")
    raster.add_argument("--out", help="PNG file (default RUNDIR/raster-POP.png)")
    return parser


def cmd_list(_args):
    from figures import FIGURES

    print("models:")
    for name in MODEL_MODULES:
        module, _ = load(name)
        print(f"  {name:22s} {module.DESCRIPTION}")
    print("figures:")
    for name, (_, description) in FIGURES.items():
        print(f"  {name:22s} {description}")
    return 0


def run_model(name, *, device="cpp", duration=None, seed=1, settings=(), quick=False):
    """Parse and run one model; returns its RunResult (used by the CLI and the figures)."""
    module, func = load(name)
    kwargs = dict(module.QUICK) if quick else {}
    kwargs.update(parse_settings(func, settings, getattr(module, "PRESET_KINDS", None)))
    if duration is not None:
        kwargs["duration"] = parse_duration(duration) if isinstance(duration, str) else duration
    return func(device=device, seed=seed, **kwargs)


def cmd_run(args):
    import brian2

    module, func = load(args.model)
    out = Path(args.out or f"runs/{args.model}-seed{args.seed}")
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} exists and is not a directory")
    t0 = time.perf_counter()
    settings = list(args.settings)
    if args.data_dir is not None:
        settings.append(f"data_dir={args.data_dir}")
    if "checkpoint_dir" in parameters(func) and not any(
            s.startswith("checkpoint_dir=") for s in settings):
        settings.append(f"checkpoint_dir={out / 'checkpoints'}")
    result = run_model(args.model, device=args.device, duration=args.duration, seed=args.seed,
                       settings=settings, quick=args.quick)
    wall = time.perf_counter() - t0
    result.metrics["wall_s"] = wall
    result.write(out, extra_params={"brian2_version": brian2.__version__,
                                    "command": " ".join(sys.argv[1:])})
    keys = [k for k in module.SUMMARY if k in result.metrics]
    keys = keys or [k for k in result.metrics if k.endswith("build_s")]  # build_only runs
    parts = [f"{k} {_fmt(result.metrics[k])}" for k in keys]
    print(f"{args.model} [{args.device}, seed {args.seed}, {wall:.1f} s]: "
          + ", ".join(parts) + f" -> {out}")
    return 0


def _fmt(x):
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def cmd_figures(args):
    from figures import FIGURES

    names = args.names or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ParameterError(
            f"unknown figure '{unknown[0]}'; accepted: {', '.join(FIGURES)}"
        )
    for name in names:
        make, _ = FIGURES[name]
        t0 = time.perf_counter()
        paths = make(out_dir=Path(args.out), quick=args.quick, device=args.device)
        print(f"{name}: {', '.join(str(p) for p in paths)} ({time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_raster(args):
    from figures.raster import raster_figure

    rundir = Path(args.rundir)
    if not (rundir / "spikes.npz").exists():
        raise ParameterError(f"{rundir} is not a run directory (no spikes.npz)")
    start = parse_duration(args.start) if args.start else None
    stop = parse_duration(args.stop) if args.stop else None
    path = raster_figure(rundir, population=args.population,
                         start=None if start is None else float(start),
                         stop=None if stop is None else float(stop),
                         out=args.out)
    print(path)
    return 0


def cmd_bench(args):
    from models.bench import BENCHMARKS, run_benchmarks

    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ParameterError(f"unknown benchmark '{unknown[0]}'; accepted: {', '.join(BENCHMARKS)}")
    from models.device import TARGETS

    targets = None
    if args.targets:
        targets = [t.strip() for t in args.targets.split(",") if t.strip()]
        bad = [t for t in targets if t not in TARGETS]
        if bad or not targets:
            raise ParameterError(f"unknown target '{bad[0] if bad else args.targets}'; "
                                 f"accepted: {', '.join(TARGETS)}")
    run_benchmarks(names, targets=targets, scaling=args.scaling, out=args.out)
    return 0


def cmd_sweep(args):
    from models.sweep import parse_seeds, run_sweep

    if args.jobs is not None and args.jobs < 1:
        raise ParameterError("--jobs must be at least 1")
    if args.duration is not None:
        parse_duration(args.duration)  # a bad duration fails here, not in every point
    rows = run_sweep(args.model, settings=args.settings, seeds=parse_seeds(args.seeds),
                     device=args.device, duration=args.duration, quick=args.quick,
                     out=args.out, jobs=args.jobs)
    return 0 if all(r["ok"] for r in rows) else 1


COMMANDS = {"list": cmd_list, "run": cmd_run, "figures": cmd_figures, "raster": cmd_raster,
            "bench": cmd_bench, "sweep": cmd_sweep}


def main(argv=None):
    from analysis.datasets import DataError
    from models.device import DeviceError

    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (ParameterError, DeviceError, DataError) as exc:
        print(f"spikerules: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spikerules: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
