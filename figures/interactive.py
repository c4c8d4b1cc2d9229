"""Interactive raster of every population of a run (``spikerules raster RUNDIR --html``).

``raster_page(spikes, ...)`` returns a Bokeh layout; the application saves it as one
self-contained HTML file (resources inline, nothing fetched when it is opened). The page holds

- a raster of all populations stacked (one colour each; the legend shows or hides one), which
  zooms and pans over the whole run;
- the population rate (PSTH) under it on the same time axis, and each neuron's mean rate over
  the run beside it;
- level of detail: while the visible window holds more than ``VISIBLE_BUDGET`` spikes, a
  density image per population (``IMAGE_BINS`` time bins by at most that many neuron rows);
  zoomed in further, every spike of the window as a dot (a short ``CustomJS`` callback copies
  the window's spikes from the arrays embedded in the page).

The page embeds at most ``EMBED_BUDGET`` individual spikes (times on a ``RESOLUTION`` grid as
32-bit integers and 16-bit neuron indices: 6 bytes a spike before Bokeh's gzip and base64;
5 million spikes measured 23 MB of HTML, drawn in 3 s by headless Chromium). A run with more keeps the spikes of
every k-th neuron of each population for the detail view, and says so at the top of the page;
the density images, rates and PSTH always count every spike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: individual spikes are drawn when the visible window holds at most this many
VISIBLE_BUDGET = 50_000
#: individual spikes embedded in the page at most (above: every k-th neuron's)
EMBED_BUDGET = 6_000_000
#: time bins and (at most) neuron rows of each population's density image
IMAGE_BINS = (2000, 256)
#: grid of the embedded spike times (s): shown times are rounded to it
RESOLUTION = 1e-4
#: bins of the PSTH of the visible window in the detail view
DETAIL_BINS = 200

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


@dataclass
class Population:
    """One population as the page draws it: rows ``offset .. offset + n`` of the raster."""

    name: str
    colour: str
    n: int
    offset: int
    spike_i: np.ndarray  # every spike, sorted by time
    spike_t: np.ndarray


def stack(spikes):
    """Populations stacked top-down in the given order, a small gap between them."""
    sizes = [int(np.max(i)) + 1 if len(i) else 0 for i, _ in spikes.values()]
    gap = max(2, round(0.03 * sum(sizes)))
    tops = np.cumsum([max(n, 1) + gap for n in sizes[::-1]])[::-1] - gap  # first on top
    pops = []
    for k, ((name, (spike_i, spike_t)), n) in enumerate(zip(spikes.items(), sizes)):
        order = np.argsort(spike_t, kind="stable")
        pops.append(Population(name, PALETTE[k % len(PALETTE)], n, int(tops[k]) - max(n, 1),
                               np.asarray(spike_i)[order], np.asarray(spike_t, float)[order]))
    return pops


def thinning_stride(pops, budget=EMBED_BUDGET):
    """k such that the spikes of every k-th neuron fit in ``budget`` (1: every spike)."""
    total = sum(p.spike_t.size for p in pops)
    k = max(1, math.ceil(total / budget))
    while sum(np.count_nonzero(p.spike_i % k == 0) for p in pops) > budget:
        k += 1
    return k


def embedded(pop, stride, resolution):
    """(ticks uint32, neuron index) of the spikes the page embeds for ``pop``."""
    keep = pop.spike_i % stride == 0
    ticks = np.rint(pop.spike_t[keep] / resolution).astype(np.uint32)
    index_type = np.uint16 if pop.n <= 65536 else np.uint32
    return ticks, pop.spike_i[keep].astype(index_type)


def density_rgba(pop, t_start, t_stop, bins=IMAGE_BINS):
    """(ny, nx) uint32 RGBA image of the population's spike counts: its colour, opacity
    growing with the count (saturating at the 99th percentile of non-empty bins)."""
    nx, ny = bins[0], max(1, min(pop.n, bins[1]))
    counts, _, _ = np.histogram2d(pop.spike_i, pop.spike_t, bins=(ny, nx),
                                  range=((0, max(pop.n, 1)), (t_start, t_stop)))
    top = np.percentile(counts[counts > 0], 99) if counts.any() else 1.0
    rgba = np.zeros((ny, nx, 4), np.uint8)
    rgba[..., :3] = [int(pop.colour[k:k + 2], 16) for k in (1, 3, 5)]
    rgba[..., 3] = np.rint(255 * np.sqrt(np.clip(counts / top, 0, 1)))
    return rgba.view(np.uint32)[..., 0]


def psth(pop, t_start, t_stop, bins):
    """(bin centres, rate in Hz per neuron) over [t_start, t_stop] in ``bins`` bins."""
    counts, edges = np.histogram(pop.spike_t, bins=bins, range=(t_start, t_stop))
    width = (t_stop - t_start) / bins
    return 0.5 * (edges[:-1] + edges[1:]), counts / (max(pop.n, 1) * width)


# --- the page ----------------------------------------------------------------------------
#: level of detail on every change of the time range: copy the window's embedded spikes into
#: the dots' sources when they are few enough, else show the density images
_LOD_JS = """
const bisect = (a, v) => { let lo = 0, hi = a.length;
  while (lo < hi) { const m = (lo + hi) >>> 1; if (a[m] < v) lo = m + 1; else hi = m; }
  return lo; };
const x0 = xr.start, x1 = xr.end, lo = [], hi = [];
let total = 0;
for (const s of stores) {
  const tick = s.data.tick;
  lo.push(bisect(tick, x0 / res)); hi.push(bisect(tick, x1 / res));
  total += hi[hi.length - 1] - lo[lo.length - 1];
}
const detail = total <= budget;
for (let k = 0; k < stores.length; k++) {
  const s = stores[k].data, n = detail ? hi[k] - lo[k] : 0;
  const t = new Float64Array(n), y = new Float64Array(n), i = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const q = lo[k] + j; t[j] = s.tick[q] * res; i[j] = s.i[q]; y[j] = i[j] + offsets[k];
  }
  dots[k].data = {t, y, i};
  images[k].global_alpha = detail ? 0 : 1;
  if (detail && stride == 1 && x1 > x0) {
    const w = (x1 - x0) / nbins, x = new Float64Array(nbins), r = new Float64Array(nbins);
    for (let b = 0; b < nbins; b++) x[b] = x0 + (b + 0.5) * w;
    for (let j = 0; j < n; j++) { const b = Math.floor((t[j] - x0) / w); if (b >= 0 && b < nbins) r[b] += 1; }
    for (let b = 0; b < nbins; b++) r[b] /= Math.max(sizes[k], 1) * w;
    rates[k].data = {x, rate: r};
  } else {
    rates[k].data = overview[k].data;
  }
}
status.text = detail
  ? `Showing each of the ${total} spikes in view${stride > 1 ? " (every " + stride + "th neuron)" : ""}.`
  : `${total} spikes in view: density image (each spike is shown below ${budget} in view).`;
"""


def _figures(pops, t_start, t_stop, window, title):
    from bokeh.models import FixedTicker, Range1d
    from bokeh.plotting import figure

    height = pops[0].offset + max(pops[0].n, 1)
    x_range = Range1d(*(window or (t_start, t_stop)), bounds=(t_start, t_stop))
    y_range = Range1d(-0.5, height - 0.5, bounds=(-0.5, height - 0.5))
    tools = "xpan,xwheel_zoom,xbox_zoom,box_zoom,reset,save"
    raster = figure(title=title, x_range=x_range, y_range=y_range, tools=tools,
                    active_scroll="xwheel_zoom", frame_width=900, frame_height=420, min_border_left=110,
                    output_backend="webgl", y_axis_label="neuron (populations stacked)")
    middle = {p.name: p.offset + (max(p.n, 1) - 1) / 2 for p in pops}
    raster.yaxis.ticker = FixedTicker(ticks=list(middle.values()))
    raster.yaxis.major_label_overrides = {y: name for name, y in middle.items()}
    rate = figure(x_range=x_range, tools=tools, active_scroll="xwheel_zoom", frame_width=900,
                  frame_height=160, min_border_left=110, x_axis_label="time (s)",
                  y_axis_label="population rate (Hz)")
    neuron = figure(y_range=y_range, tools="ypan,ywheel_zoom,reset", frame_width=160,
                    frame_height=420, x_axis_label="mean rate (Hz)", title="each neuron")
    neuron.yaxis.visible = False
    return raster, rate, neuron


def _draw(pop, figs, *, t_start, t_stop, stride, resolution, detail_in):
    """Draw one population; returns its renderers and the sources the callback needs."""
    from bokeh.models import ColumnDataSource

    raster, rate, neuron = figs
    ticks, index = embedded(pop, stride, resolution)
    store = ColumnDataSource(dict(tick=ticks, i=index))
    keep = (ticks >= detail_in[0] / resolution) & (ticks <= detail_in[1] / resolution) \
        if detail_in else np.zeros(ticks.shape, bool)
    dots = ColumnDataSource(dict(t=ticks[keep] * resolution, y=index[keep] + float(pop.offset),
                                 i=index[keep].astype(float)))
    image = raster.image_rgba(image=[density_rgba(pop, t_start, t_stop)], x=t_start,
                              y=pop.offset - 0.5, dw=t_stop - t_start, dh=max(pop.n, 1),
                              global_alpha=0.0 if detail_in else 1.0)
    scatter = raster.scatter("t", "y", source=dots, marker="dash", angle=math.pi / 2,
                             size=6, line_width=1.5, color=pop.colour, name=pop.name)
    centres, values = psth(pop, t_start, t_stop, IMAGE_BINS[0])
    overview = ColumnDataSource(dict(x=centres, rate=values))
    shown = ColumnDataSource(dict(x=centres, rate=values))
    line = rate.line("x", "rate", source=shown, color=pop.colour, line_width=1.2)
    counts = np.bincount(pop.spike_i, minlength=pop.n)[:pop.n]
    bars = neuron.hbar(y=pop.offset + np.arange(pop.n), right=counts / (t_stop - t_start),
                       height=0.8, color=pop.colour)
    edge = raster.segment(x0=t_start, x1=t_stop, y0=pop.offset - 0.5, y1=pop.offset - 0.5,
                          color=pop.colour, line_width=2)  # its rows' lower edge
    for other in (image, line, bars):
        scatter.js_link("visible", other, "visible")
    return dict(store=store, dots=dots, image=image.glyph, scatter=scatter, edge=edge,
                rate=shown, overview=overview)


def _notes(pops, t_start, t_stop, stride, budget, title):
    total = sum(p.spike_t.size for p in pops)
    kept = sum(np.count_nonzero(p.spike_i % stride == 0) for p in pops)
    listing = ", ".join(f"{p.name} ({p.n} neurons, {p.spike_t.size} spikes)" for p in pops)
    thinning = ("Every spike of the run is in this page." if stride == 1 else
                f"<b>Thinned:</b> the run holds {total} spikes, more than the {EMBED_BUDGET} "
                f"this page embeds, so the dots show the spikes of every {stride}th neuron of "
                f"each population (neurons 0, {stride}, {2 * stride}, ...: {kept} spikes); "
                "the density images, rates and PSTH count every spike.")
    return (f"<h3>{title}</h3><p>{listing}; times in seconds, 0 to {t_stop - t_start:g} s "
            f"(shown rounded to {RESOLUTION * 1e3:g} ms).</p><p>Level of detail: where the "
            f"visible window holds more than {budget} spikes, each population is a density "
            f"image ({IMAGE_BINS[0]} time bins by up to {IMAGE_BINS[1]} neuron rows; darker: "
            "more spikes); zoom in (mouse wheel, box zoom) until it holds fewer to see each "
            f"spike. Click a population in the legend to hide or show it. {thinning}</p>")


def raster_page(spikes, *, t_stop=None, title="", window=None, budget=VISIBLE_BUDGET,
                embed_budget=EMBED_BUDGET, resolution=RESOLUTION):
    """Bokeh layout of the interactive raster of ``spikes`` ({population: (indices, times
    in s)}) over [0, t_stop] (default: the last spike); ``window`` (start, stop) in s is the
    time range shown first. See the module docstring."""
    from bokeh.layouts import column, row
    from bokeh.models import CustomJS, Div, HoverTool, Legend, LegendItem

    pops = stack(spikes) or stack({"(no population)": (np.zeros(0, int), np.zeros(0))})
    t_start = min([0.0] + [float(p.spike_t[0]) for p in pops if p.spike_t.size])
    last = max([t_start] + [float(p.spike_t[-1]) for p in pops if p.spike_t.size])
    t_stop = max(t_stop or 0.0, last, t_start + 1e-3)
    resolution = max(resolution, t_stop / (2**32 - 2))  # times fit in 32-bit ticks
    stride = thinning_stride(pops, embed_budget)
    figs = _figures(pops, t_start, t_stop, window, title)
    x0, x1 = window or (t_start, t_stop)
    in_view = sum(np.count_nonzero((p.spike_i % stride == 0) & (p.spike_t >= x0)
                                   & (p.spike_t <= x1)) for p in pops)
    detail_in = (x0, x1) if in_view <= budget else None
    drawn = [_draw(p, figs, t_start=t_start, t_stop=t_stop, stride=stride,
                   resolution=resolution, detail_in=detail_in) for p in pops]
    scatters = [d["scatter"] for d in drawn]
    legend = Legend(items=[LegendItem(label=p.name, renderers=[d["edge"], d["scatter"]])
                           for p, d in zip(pops, drawn)], click_policy="hide",
                    title="population (click: hide)")
    figs[0].add_layout(legend, "right")
    figs[0].add_tools(HoverTool(renderers=scatters, tooltips=[
        ("population", "$name"), ("neuron", "@i{0}"), ("time (s)", "@t{0.0000}")]))
    status = Div(text=(f"Showing each of the {in_view} spikes in view." if detail_in else
                       f"{in_view} spikes in view: density image (each spike is shown below "
                       f"{budget} in view)."))
    callback = CustomJS(code=_LOD_JS, args=dict(
        xr=figs[0].x_range, stores=[d["store"] for d in drawn], dots=[d["dots"] for d in drawn],
        images=[d["image"] for d in drawn], rates=[d["rate"] for d in drawn],
        overview=[d["overview"] for d in drawn], offsets=[p.offset for p in pops],
        sizes=[p.n for p in pops], res=resolution, budget=budget, stride=stride,
        nbins=DETAIL_BINS, status=status))
    figs[0].x_range.js_on_change("start", callback)
    figs[0].x_range.js_on_change("end", callback)
    notes = Div(text=_notes(pops, t_start, t_stop, stride, budget, title), width=1250)
    return column(notes, row(figs[0], figs[2]), figs[1], status)
