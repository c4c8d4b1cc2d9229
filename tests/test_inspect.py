"""Inspecting a run: NWB and Neo exports that give back exactly the spikes of spikes.npz,
``spikerules show``, and the interactive raster page, opened in a headless browser where one
is installed."""

import io
import math
import os
import shutil
import time

import numpy as np
import pytest

from analysis import export
from analysis.io import RunResult, load_spikes, write_run
from conftest import cli

POPULATIONS = ("exc", "inh", "silent")


def _spikes(rng):
    """Three populations: 'exc' (40 neurons, neuron 7 silent), 'inh' (10), 'silent' (none)."""
    t = np.sort(rng.uniform(0, 3.0, 3000))
    i = rng.choice(np.delete(np.arange(40), 7), size=t.size).astype(np.int32)
    t_inh = np.sort(rng.uniform(0, 2.5, 500))
    return {"exc": (i, t), "inh": (rng.integers(0, 10, 500).astype(np.int32), t_inh),
            "silent": (np.zeros(0, np.int32), np.zeros(0))}


@pytest.fixture
def run(tmp_path):
    """A synthetic run directory of balanced-coding with a changed duration and seed."""
    params = {"model": "balanced-coding", "duration": "3 second", "dt": "1 ms", "seed": 4,
              "eps_o": 0.001, "command": "run balanced-coding --duration 3s --seed 4"}
    return write_run(tmp_path / "run", params=params, spikes=_spikes(np.random.default_rng(0)),
                     metrics={"coding_error_final": 0.0123, "rate_hz": 20.5, "broken": None})


def _sorted(spikes):
    """{population: (i, t)} sorted by time, then neuron (the order the readers return)."""
    out = {}
    for pop, (i, t) in spikes.items():
        order = np.lexsort((i, t))
        out[pop] = (np.asarray(i)[order], np.asarray(t)[order])
    return out


def assert_same_spikes(expected, got):
    assert list(got) == list(expected)
    for pop, (i, t) in _sorted(expected).items():
        assert got[pop][0].dtype.kind in "iu" and got[pop][1].dtype == np.float64, pop
        assert np.array_equal(got[pop][0], i) and np.array_equal(got[pop][1], t), pop


# --- NWB ---------------------------------------------------------------------------------
def test_nwb_export_gives_back_exactly_the_spikes_of_spikes_npz(run, tmp_path, capsys):
    out = tmp_path / "out" / "run.nwb"
    status, stdout, err = cli(capsys, "export", run, "--nwb", out)
    assert status == 0, err
    assert stdout.strip() == str(out)
    back = export.read_nwb(out)
    assert_same_spikes(load_spikes(run), back.spikes)
    original = RunResult.read(run)
    assert back.model == "balanced-coding" and back.params == original.params
    assert back.metrics["coding_error_final"] == 0.0123 and math.isnan(back.metrics["broken"])
    assert sorted(p.name for p in out.parent.iterdir()) == ["run.nwb"]  # no temporary left


def test_the_nwb_units_table_has_population_neuron_and_the_observation_interval(run, tmp_path):
    from pynwb import NWBHDF5IO

    path = export.write_nwb(tmp_path / "run.nwb", RunResult.read(run))
    with NWBHDF5IO(str(path), "r") as nwb_io:
        nwb = nwb_io.read()
        units = nwb.units.to_dataframe()
        assert list(units["population"].unique()) == ["exc", "inh"]
        assert len(units) == 40 + 10 and list(units["neuron"][:3]) == [0, 1, 2]
        assert len(units["spike_times"].iloc[7]) == 0  # the silent exc neuron is a unit
        stop = max(3.0, float(load_spikes(run)["exc"][1].max()))
        assert all(np.array_equal(iv, [[0.0, stop]]) for iv in units["obs_intervals"])
        assert nwb.units.resolution == pytest.approx(1e-3)
        pops = nwb.processing["misc"]["populations"].to_dataframe()
        assert list(pops["population"]) == list(POPULATIONS)
        assert list(pops["spikes"]) == [3000, 500, 0]
        assert "seconds" in nwb.units.description


def test_nwbinspector_finds_no_critical_issue_in_an_export(run, tmp_path):
    nwbinspector = pytest.importorskip("nwbinspector")
    path = export.write_nwb(tmp_path / "run.nwb", RunResult.read(run))
    messages = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(path)))
    critical = [m for m in messages if m.importance.name in ("CRITICAL", "ERROR")
                or "VALIDATION" in m.importance.name]
    assert not critical, [m.message for m in critical]


# --- Neo ---------------------------------------------------------------------------------
def test_neo_block_has_one_segment_and_a_group_per_population(run):
    block = export.to_neo(RunResult.read(run))
    assert len(block.segments) == 1
    assert [g.name for g in block.groups] == list(POPULATIONS)
    assert [len(g.spiketrains) for g in block.groups] == [40, 10, 0]
    train = block.groups[1].spiketrains[3]
    assert train.annotations == {"population": "inh", "neuron": 3}
    assert str(train.units.dimensionality) == "s"
    assert_same_spikes(load_spikes(run), export.from_neo(block))


def test_neo_export_gives_back_exactly_the_spikes_of_spikes_npz(run, tmp_path, capsys):
    out = tmp_path / "run.mat"
    status, _, err = cli(capsys, "export", run, "--neo", out)
    assert status == 0, err
    assert_same_spikes(load_spikes(run), export.from_neo(export.read_neo(out)))


@pytest.mark.parametrize("args, message", [
    (lambda run, tmp: ["export", run], "export needs --nwb FILE.nwb and/or --neo FILE.mat"),
    (lambda run, tmp: ["export", tmp / "nope", "--nwb", tmp / "x.nwb"],
     "is not a run directory (no such directory)"),
    (lambda run, tmp: ["export", tmp, "--nwb", tmp / "x.nwb"], "is not a run directory (no "),
    (lambda run, tmp: ["export", run, "--nwb", run / "params.json" / "x.nwb"],
     "exists and is not a directory"),
    (lambda run, tmp: ["export", run, "--neo", tmp], "is a directory; give a file name"),
    (lambda run, tmp: ["show", tmp], "is not a run directory (no params.json"),
    (lambda run, tmp: ["raster", run, "--html", "--out", tmp], "is a directory"),
    (lambda run, tmp: ["raster", run, "--html", "--population", "nope"],
     "accepted: exc, inh, silent"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(args, message, run, tmp_path,
                                                            capsys):
    before = sorted(tmp_path.rglob("*"))
    status, _, err = cli(capsys, *args(run, tmp_path))
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert message in err
    assert sorted(tmp_path.rglob("*")) == before


def test_a_corrupt_run_directory_exits_2_for_export_show_and_html(run, tmp_path, capsys):
    (run / "spikes.npz").write_bytes(b"garbage")
    for args in (["export", run, "--nwb", tmp_path / "x.nwb"], ["show", run],
                 ["raster", run, "--html"]):
        status, _, err = cli(capsys, *args)
        assert status == 2 and "is not an .npz archive" in err, err
    assert not (tmp_path / "x.nwb").exists() and not (run / "raster.html").exists()


# --- show --------------------------------------------------------------------------------
def test_show_prints_the_run_at_a_glance(run, capsys):
    status, out, _ = cli(capsys, "show", run)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{run}: balanced-coding (seed 4")
    changed = lines[lines.index("parameters that differ from the defaults:") + 1:
                    lines.index("metrics:")]
    assert [row.split()[0] for row in changed] == ["duration", "seed"]  # eps_o is the default
    assert any(row.split() == ["coding_error_final", "0.0123"] for row in lines)
    assert any(row.split()[:5] == ["inh", "10", "neurons", "500", "spikes"] for row in lines)
    assert any(row.split()[:5] == ["silent", "0", "neurons", "0", "spikes"] for row in lines)
    assert any(row.split()[0] == "spikes.npz" and row.split()[2] == "kB" for row in lines)


def test_show_of_a_model_this_version_does_not_know_lists_every_parameter(run, capsys):
    (run / "params.json").write_text('{"model": "future-model", "alpha": 2, "beta": "1 ms"}')
    status, out, _ = cli(capsys, "show", run)
    assert status == 0 and "defaults unknown: unknown model 'future-model'" in out
    assert "  alpha  2" in out and "  beta   1 ms" in out  # every parameter, none hidden


# --- the interactive raster page -----------------------------------------------------------
def test_the_html_page_is_self_contained_and_holds_every_population(run, capsys):
    status, out, err = cli(capsys, "raster", run, "--html")
    assert status == 0, err
    page = run / "raster.html"
    assert out.strip() == str(page)
    html = page.read_text()
    assert "<script src=" not in html and "cdn.bokeh.org" not in html  # resources inline
    assert all(f"{pop} (" in html for pop in POPULATIONS)
    assert "Every spike of the run is in this page." in html
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]


def test_a_run_above_the_embedding_budget_is_thinned_by_neuron_and_says_so():
    from bokeh.models import ColumnDataSource

    from figures.interactive import raster_page

    spikes = _spikes(np.random.default_rng(1))
    page = raster_page(spikes, embed_budget=1000)
    notes = page.children[0].text
    assert "<b>Thinned:</b> the run holds 3500 spikes" in notes
    assert "every 4th neuron" in notes  # 3500 / 1000 -> 4: exc and inh neurons 0, 4, 8, ...
    stores = [m for m in page.references()
              if isinstance(m, ColumnDataSource) and "tick" in m.data]
    kept = sum(len(s.data["tick"]) for s in stores)
    assert 0 < kept <= 1000
    assert all(np.all(np.asarray(s.data["i"]) % 4 == 0) for s in stores)


def _browser():
    """A headless Chromium through Selenium, or a skip where none is installed."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    driver = next(filter(None, (shutil.which("chromedriver"),
                                "/usr/lib/chromium/chromedriver"
                                if os.path.exists("/usr/lib/chromium/chromedriver") else None)),
                  None)
    if not binary or not driver:
        pytest.skip("no chromium and chromedriver installed")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1500,1000", "--enable-unsafe-swiftshader"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def _open(browser, page, timeout=60):
    """Load ``page`` and wait until Bokeh has drawn it; returns the seconds it took."""
    t0 = time.perf_counter()
    browser.get(page.resolve().as_uri())
    while not browser.execute_script(
            "return window.Bokeh !== undefined && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].is_idle"):
        assert time.perf_counter() - t0 < timeout, "the page did not render"
        time.sleep(0.05)
    return time.perf_counter() - t0


def _errors(browser):
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _pixels(browser, colour):
    """Pixels of the page's screenshot within a small distance of ``colour`` ('#rrggbb')."""
    from PIL import Image

    rgb = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)])
    shot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB"))
    return int(np.count_nonzero(np.abs(shot.astype(int) - rgb).sum(axis=2) < 30))


_LEGEND_ITEMS = """
const legend = [...Bokeh.documents[0].all_models].find(m => m.click_policy !== undefined);
const view = Bokeh.index.find_one(legend);
return [...view.shadow_el.querySelectorAll('.bk-item')];
"""

_VISIBLE = """
return [...Bokeh.documents[0].all_models].filter(m => m.name == arguments[0])
  .map(r => r.visible);
"""


def test_the_page_of_a_real_run_renders_and_its_legend_hides_a_population(quick_run, tmp_path,
                                                                          capsys):
    from figures.interactive import PALETTE

    run = quick_run["out"]
    page = tmp_path / "raster.html"
    assert cli(capsys, "raster", run, "--html", "--out", page)[0] == 0
    pops = list(load_spikes(run))
    browser = _browser()
    try:
        seconds = _open(browser, page)
        assert _errors(browser) == []
        items = browser.execute_script(_LEGEND_ITEMS)
        assert [item.text for item in items] == pops
        browser.save_screenshot(str(tmp_path / "raster.png"))
        before = [_pixels(browser, PALETTE[k]) for k in range(len(pops))]
        assert min(before) > 200, before
        items[0].click()  # hide the first population
        time.sleep(0.5)
        assert browser.execute_script(_VISIBLE, pops[0]) == [False]
        after = [_pixels(browser, PALETTE[k]) for k in range(len(pops))]
        assert after[0] < 0.02 * before[0], (before, after)
        assert after[1:] == pytest.approx(before[1:], rel=0.2)
        assert _errors(browser) == []
    finally:
        browser.quit()
    print(f"rendered in {seconds:.2f} s")


def test_zooming_in_shows_each_spike_of_the_window(tmp_path):
    """Level of detail: over the budget the dots are empty (density images); a window with
    few spikes gets exactly its spikes."""
    from figures.interactive import raster_page
    from spikerules.inspection import save_html

    spikes = _spikes(np.random.default_rng(2))
    page = save_html(raster_page(spikes, budget=1000), tmp_path / "page.html", "zoom")
    browser = _browser()
    count = ("return [...Bokeh.documents[0].all_models].filter(m => m.data && m.data.y && "
             "m.data.i && !m.data.tick).map(m => m.data.t.length)")
    try:
        _open(browser, page)
        assert browser.execute_script(count) == [0, 0, 0]
        browser.execute_script("const r = Bokeh.documents[0].all_models; for (const m of r) "
                               "if (m.bounds !== undefined && m.start == 0 && m.end > 2.9) "
                               "{ m.setv({start: 1.0, end: 1.5}); break; }")
        time.sleep(0.3)
        want = [int(np.count_nonzero((t >= 1.0) & (t <= 1.5))) for _, t in spikes.values()]
        assert browser.execute_script(count) == want
        assert _errors(browser) == []
    finally:
        browser.quit()


@pytest.mark.slow
def test_a_page_of_five_million_spikes_is_under_100_mb_and_renders_within_20_s(tmp_path):
    from figures.interactive import raster_page
    from spikerules.inspection import save_html

    rng = np.random.default_rng(3)
    spikes = {}
    for name, n in (("exc", 4000), ("inh", 1000)):
        t = np.sort(rng.uniform(0, 1000.0, n * 1000))
        spikes[name] = (rng.integers(0, n, t.size).astype(np.int32), t)
    spikes["silent"] = (np.zeros(0, np.int32), np.zeros(0))
    t0 = time.perf_counter()
    page = save_html(raster_page(spikes, title="5M"), tmp_path / "big.html", "5M")
    written = time.perf_counter() - t0
    size = page.stat().st_size
    assert size < 100e6
    browser = _browser()
    try:
        seconds = _open(browser, page)
        assert _errors(browser) == []
    finally:
        browser.quit()
    print(f"5,000,000 spikes: {size / 1e6:.1f} MB written in {written:.1f} s, "
          f"rendered in {seconds:.1f} s")
    assert seconds < 20
