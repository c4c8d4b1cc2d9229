"""Parameter declarations and the unit grammar: parsed, never executed (issues 17 and 18)."""

import json

import pytest
from brian2 import Hz, Quantity, metre, mV, ms, second, usecond

from conftest import cli
from models.common.errors import ModelError
from models.common.params import ModelParams, param, parameters
from models.common.units import UnitSyntaxError, parse_quantity
from spikerules.registry import MODEL_PACKAGES, load_model


@parameters
class Example(ModelParams):
    """A record with one parameter of every kind."""

    dt: Quantity = param(1 * ms, "time step", unit="ms", above=0)
    lam: Quantity = param(50 / second, "leak", unit="1/second", above=0)
    noise: Quantity = param(1e-3 / second**0.5, "noise", unit="second**-0.5", minimum=0)
    n: int = param(20, "size", minimum=2)
    eps: float = param(1e-3, "rate", minimum=0, maximum=1)
    learn: bool = param(True, "learn")
    system: str = param("oscillator", "system", choices=("oscillator", "integrator"))


@pytest.mark.parametrize("text, value", [
    ("0.5", 0.5), ("50/second", 50 * Hz), ("0.5*ms", 0.5 * ms), ("2 ms", 2 * ms),
    ("500ms", 500 * ms), ("1e-3 second", 1e-3 * second), ("10*mV/ms", 10 * mV / ms),
    ("1/second**0.5", 1 / second**0.5), ("-2.5e2 * (mV / second)", -250 * mV / second),
    ("10 s", 10 * second), ("40/second", 40 * Hz), ("0.001 second**-0.5", 1e-3 / second**0.5),
    ("0. s^-0.5", 0 / second**0.5), ("10. Hz", 10 * Hz), ("100. us", 100 * usecond),
])
def test_the_grammar_reads_numbers_with_units(text, value):
    assert parse_quantity(text) == value


INJECTIONS = [
    # the expression: reaches __import__ through the subclasses of object
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings']"
    "[0]()._module.__builtins__['__import__']('os').system('touch {file}')",
    "__import__('os').system('touch {file}')",          # a call
    "ms.__class__.__init__.__globals__",                 # attribute access
    "(lambda: __import__('os').system('touch {file}'))()",  # a lambda
    "[open('{file}', 'w') for _ in (1,)]",               # a comprehension
    "{{k: 1 for k in 'ab'}}",                            # a dict comprehension
    "ms if open('{file}', 'w') else ms",                 # a conditional
    "(x := 1) * ms",                                     # an assignment expression
    "'1' * ms",                                          # a string
    "10 ** 10 ** 10",                                    # an exponent that never ends
    "ms[0]",                                             # a subscript
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_the_grammar_refuses_anything_but_numbers_and_units(template, tmp_path):
    with pytest.raises(UnitSyntaxError):
        parse_quantity(template.format(file=tmp_path / "ran"))
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("template", INJECTIONS[:5])
def test_injected_settings_exit_2_with_one_line_and_run_nothing(template, tmp_path, capsys):
    text = template.format(file=tmp_path / "ran")
    status, _, err = cli(capsys, "run", "balanced-coding", "--set", f"dt={text}", "--out",
                         tmp_path / "run")
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "ran").exists() and not (tmp_path / "run").exists()


@pytest.mark.parametrize("template", INJECTIONS[:5])
def test_an_injected_params_json_read_back_exits_2_and_runs_nothing(template, tmp_path,
                                                                    capsys):
    from analysis.io import RunResult

    run = RunResult("balanced-coding", {"dt": template.format(file=tmp_path / "ran")},
                    metrics={"x": 1.0}, spikes={"neurons": ([0], [0.1])}).write(tmp_path / "r")
    status, _, err = cli(capsys, "figures", "balanced-coding", "--from", run, "--out",
                         tmp_path / "out")
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "dt" in err
    assert not (tmp_path / "ran").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("settings, message", [
    ({"dt": "5 metre"}, "dt needs units of ms (e.g. dt=1*ms), got '5 metre'"),
    ({"lam": "50*ms"}, "lam needs units of 1/second (e.g. lam=50/second)"),
    ({"dt": "fast"}, "'fast' is not a Brian2 unit; e.g. dt=1*ms"),
    ({"dt": "-1 ms"}, "dt must be above 0 ms, not -1 ms"),
    ({"n": "2.5"}, "n takes a whole number, not '2.5'"),
    ({"n": "1"}, "n must be at least 2, not 1"),
    ({"eps": "nan"}, "eps must be finite"),
    ({"eps": "2"}, "eps must be at most 1, not 2"),
    ({"learn": "maybe"}, "learn takes 0/1 or true/false, not 'maybe'"),
    ({"system": "spiral"}, "system must be one of oscillator, integrator, not 'spiral'"),
    ({"bogus": "1"}, "unknown parameter 'bogus'; accepted: dt, lam, noise, n, eps, learn"),
])
def test_bad_values_give_one_line_naming_the_parameter_in_its_own_unit(settings, message):
    with pytest.raises(ModelError) as info:
        Example().with_text(settings)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_values_are_checked_when_a_record_is_made_not_only_when_parsed():
    with pytest.raises(ModelError, match="dt needs units of ms"):
        Example(dt=5 * metre)
    with pytest.raises(ModelError, match="n takes a whole number"):
        Example(n=2.5)
    assert Example(noise=0).noise == 0 / second**0.5  # a plain 0 is 0 in any unit
    assert isinstance(Example(eps=1).eps, float)
    with pytest.raises(AttributeError):
        Example().n = 3  # frozen: a record is never changed, only replaced


def test_params_json_round_trips_every_kind():
    p = Example().with_text({"dt": "0.1 ms", "lam": "40/second", "n": "7", "learn": "0"})
    data = json.loads(json.dumps(p.to_json()))
    assert data["dt"] == "0.1 ms" and data["lam"] == "40/second" and data["learn"] is False
    assert Example.from_json(dict(data, model="x", brian2_version="2.9.0")) == p
    assert p.changed() == {"dt": "0.1 ms", "lam": "40/second", "n": "7", "learn": "false"}


def test_the_docstring_and_the_listing_come_from_the_declarations():
    assert "dt : Quantity (ms), default 1 ms\n    time step (> 0)" in Example.__doc__
    lines = Example.describe()
    assert any(line.split()[:3] == ["lam", "50/second", "leak"] for line in lines)
    assert [line.split()[0] for line in lines][-3:] == ["seed", "device", "build_only"]


def test_too_many_steps_are_refused_before_anything_is_built():
    @parameters
    class Long(ModelParams):
        """A run with a duration."""

        duration: Quantity = param(1 * second, "length", unit="second", minimum=0)
        dt: Quantity = param(0.1 * ms, "step", unit="ms", above=0)

    assert Long(duration=50 * 3600 * second).duration == 50 * 3600 * second
    with pytest.raises(ModelError, match="more than Brian2's step index holds"):
        Long(duration=1e6 * 3600 * second)


@pytest.mark.parametrize("name", list(MODEL_PACKAGES))
def test_every_listed_default_reads_back_as_itself(name):
    """What `spikerules list MODEL` shows can be typed back with --set, to the same value."""
    cls = load_model(name).params
    for spec in cls.specs():
        if spec.default is not None:
            assert spec.parse(spec.text(spec.default)) == spec.default, spec.name
        assert spec.doc and "\n" not in spec.doc, spec.name
    for key, value in cls.QUICK.items():
        assert cls.spec(key).parse(cls.spec(key).text(value)) == value
    assert cls.quick() != cls() or not cls.QUICK


def test_every_set_example_in_the_documentation_parses(pytestconfig):
    """Each `--set NAME=VALUE` of a `spikerules run` or `sweep` command in the README and
    docs/ (lines continued with a backslash are one command) is a valid value of that
    model's parameter."""
    import re
    import shlex

    root = pytestconfig.rootpath
    found = 0
    for path in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for line in path.read_text().replace("\\\n", " ").splitlines():
            match = re.search(r"spikerules (run|sweep) ([\w-]+)([^`#]*)", line)
            if not match or match.group(2) not in MODEL_PACKAGES:
                continue
            cls = load_model(match.group(2)).params
            args = shlex.split(match.group(3))
            for prev, arg in zip(args, args[1:]):
                if prev != "--set":
                    continue
                name, text = arg.split("=", 1)
                sweep = match.group(1) == "sweep"
                for value in text.split("|" if "|" in text else ",") if sweep else [text]:
                    cls.spec(name).parse(value)
                    found += 1
    assert found >= 10
