"""``opedbot calibrate``: the learned answer/refuse decision is fitted from labelled sets by a
command anyone can rerun, and the model shipped is the one that command makes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from bot.decision import FEATURES, MODEL_PATH, Model
from bot.evaluation.calibrate import THRESHOLDS
from tests.conftest import DATA

pytestmark = pytest.mark.slow


def _sets(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "sets.toml"
    f.write_text(body)
    return f


def test_calibrate_fits_reports_and_writes_a_model(tmp_path, cli, session_data_dir):
    sets = _sets(
        tmp_path,
        f"""
[[set]]
name = "eval"
questions = "{DATA / "eval.jsonl"}"

[[set]]
name = "water"
questions = "{DATA / "other-opeds/water-oped.jsonl"}"
document = "{DATA / "other-opeds/water-oped.txt"}"
""",
    )
    out = tmp_path / "model.json"
    code, stdout, _ = cli(["calibrate", "--sets", str(sets), "--out", str(out)], session_data_dir)
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].split()[:2] == ["left", "out"]
    assert any(line.startswith("eval ") for line in lines) and any(line.startswith("water ") for line in lines)
    model = Model.load(out)
    assert model.features == FEATURES and model.threshold in THRESHOLDS
    about = model.about
    assert set(about["fitted_on"]) == {"eval", "water"} and all(n > 0 for n in about["fitted_on"].values())
    for name in ("eval", "water"):
        cv = about["cross_validation"][name]
        assert 0 <= cv["accuracy"] <= 1 and cv["n"] == about["fitted_on"][name]


def test_bad_calibration_input_is_a_clear_error(tmp_path, cli, session_data_dir):
    one = _sets(tmp_path, f'[[set]]\nname = "eval"\nquestions = "{DATA / "eval.jsonl"}"\n')
    code, _, err = cli(["calibrate", "--sets", str(one), "--out", str(tmp_path / "m.json")], session_data_dir)
    assert code == 2 and "at least two" in err
    missing = _sets(tmp_path, '[[set]]\nname = "a"\nquestions = "nope.jsonl"\n[[set]]\nname = "b"\nquestions = "nope2.jsonl"\n')
    code, _, err = cli(["calibrate", "--sets", str(missing), "--out", str(tmp_path / "m.json")], session_data_dir)
    assert code == 2 and "no file" in err
    assert not (tmp_path / "m.json").exists()


def test_the_shipped_model_is_what_calibrate_makes_from_the_listed_sets(tmp_path, cli, session_data_dir):
    out = tmp_path / "model.json"
    code, _, _ = cli(["calibrate", "--sets", str(DATA / "calibration.toml"), "--out", str(out)], session_data_dir)
    assert code == 0
    made, shipped = json.loads(out.read_text()), json.loads(MODEL_PATH.read_text())
    assert made["threshold"] == shipped["threshold"]
    assert made["coef"] == pytest.approx(shipped["coef"], abs=1e-6)
    assert made["about"]["fitted_on"] == shipped["about"]["fitted_on"]
    listed = tomllib.loads((DATA / "calibration.toml").read_text())["set"]
    assert not any("fresh" in s["questions"] for s in listed)  # the held-out set is only reported
