"""What every figure module does: run a model, keep its run directory, draw, save numbers."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.io import write_json  # noqa: E402
from models.cli import run_model  # noqa: E402


def save_figure(fig, out, dpi=110):
    """Save as PNG under a temporary name, rename when complete, close; returns the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.png")
    fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(out)
    return out


def figure_from_run(name, model, draw, *, out_dir, quick, device, seed):
    """Run ``model`` and write OUT/NAME/{run/, NAME.png, metrics.json}.

    ``draw(result, png_path, title)`` draws from the RunResult and returns the PNG path.
    """
    out_dir = Path(out_dir) / name
    result = run_model(model, device=device, seed=seed, quick=quick)
    result.write(out_dir / "run")
    title = f"{model}, seed {seed} ({device}{', quick' if quick else ''})"
    png = draw(result, out_dir / f"{name}.png", title)
    write_json(out_dir / "metrics.json", result.metrics)
    return [png, out_dir / "metrics.json"]
