"""``forestall instruments list|score|outcome``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def run(*args: str) -> str:
    out = StringIO()
    call_command("instruments", *args, stdout=out)
    return out.getvalue()


def test_list_shows_every_instrument_with_its_versions():
    output = run("list")
    for name in ("PHQ-9", "GAD-7", "WHO-5", "AUDIT-C", "Self-check"):
        assert name in output
    assert "phq9" in output and "v1" in output


def test_score_prints_the_issue_example_as_json():
    result = json.loads(run("score", "PHQ-9", "--answers", "1,2,0,3,1,0,2,1,0"))
    assert result["instrument"] == "phq9"
    assert result["version"] == 1
    assert result["total"] == 10
    assert result["band"] == "moderate"
    assert result["caseness"] is True


@pytest.mark.parametrize("spelling", ["PHQ-9", "phq9", "Phq-9", "PHQ9"])
def test_score_accepts_ids_in_any_case(spelling):
    assert json.loads(run("score", spelling, "--answers", "0,0,0,0,0,0,0,0,0"))["total"] == 0


def test_score_includes_subscales_and_derived_scores_where_defined(settings):
    settings.FORESTALL_INSTRUMENT_DIRS = [str(Path(__file__).parent / "instrument_fixtures")]
    result = json.loads(run("score", "test-scale", "--answers", "3,0,1,3"))
    assert result["subscales"] == {"worry": 6, "sleep": 1}
    who5 = json.loads(run("score", "WHO-5", "--answers", "3,3,3,3,3"))
    assert (who5["total"], who5["derived"]) == (15, {"percentage": 60})


def test_score_marks_empty_answers_as_missing():
    result = json.loads(run("score", "phq9", "--answers", "1,1,1,1,1,1,1,1,"))
    assert (result["total"], result["prorated"]) == (9, True)


def test_score_of_the_self_check_prints_the_recommended_step():
    result = json.loads(
        run("score", "self-check", "--answers", "own_thoughts,now,yes,,", "--language", "de")
    )
    assert (result["step"], result["urgent"]) == ("urgent", True)
    assert "Notrufnummer" in result["feedback"]


def test_outcome_prints_the_nhs_talking_therapies_flags():
    result = json.loads(run("outcome", "--phq9", "18,7", "--gad7", "12,6"))
    assert {key: result[key] for key in result if not key.endswith("change")} == {
        "caseness_start": True,
        "caseness_end": False,
        "recovered": True,
        "reliable_improvement": True,
        "reliable_deterioration": False,
        "reliable_recovery": True,
        "eligible_for_recovery": True,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "PHQ-9", "--answers", "1,2,0"), "PHQ-9 has 9 items, got 3 answers"),
        (("score", "PHQ-9", "--answers", "1,2,0,3,1,0,2,1,7"), "7 is not one of the answers"),
        (("score", "PHQ-9", "--answers", "1,2,0,3,1,0,2,1,x"), "'x' is not a whole number"),
        (("score", "BDI-II", "--answers", "1"), "unknown instrument: BDI-II"),
        (("score", "PHQ-9", "--answers", "0,0,0,0,0,0,0,0,0", "--version", "7"), "version 7"),
        (("outcome", "--phq9", "18", "--gad7", "12,6"), "--phq9 needs two scores"),
        (("outcome", "--phq9", "18,7", "--gad7", "12,six"), "'six' is not a whole number"),
        (("outcome", "--phq9", "18,30", "--gad7", "12,6"), "from 0 to 27"),
    ],
)
def test_invalid_input_is_a_one_line_error(args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.returncode == 2


def test_the_real_command_exits_non_zero_with_one_line_and_no_traceback(tmp_path):
    environment = {**os.environ, "FORESTALL_DEBUG": "1", "FORESTALL_VAR": str(tmp_path)}
    command = [sys.executable, "-m", "forestall.cli", "instruments"]
    good = subprocess.run(  # noqa: S603 - our own command
        [*command, "score", "phq9", "--answers", "1,2,0,3,1,0,2,1,0"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["total"] == 10
    bad = subprocess.run(  # noqa: S603 - our own command
        [*command, "score", "phq9", "--answers", "1,2"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert bad.returncode != 0
    assert bad.stdout == ""
    assert bad.stderr.strip() == "forestall instruments: PHQ-9 has 9 items, got 2 answers"
    assert "Traceback" not in bad.stderr


def test_validate_accepts_the_shipped_and_given_definitions():
    fixture = Path(__file__).parent / "instrument_fixtures" / "test-scale.v1.yaml"
    assert run("validate", str(fixture)) == "8 definitions are valid.\n"


def test_validate_lists_every_problem_with_file_and_item(tmp_path):
    broken = tmp_path / "phq9.v2.yaml"
    text = (
        Path(__file__).parents[1] / "forestall/instruments/definitions/phq9.v1.yaml"
    ).read_text()
    broken.write_text(text.replace("version: 1", "version: 2").replace("max: 4\n", "max: 3\n", 1))
    errors = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("instruments", "validate", str(tmp_path), stderr=errors)
    assert "phq9.v2.yaml: band mild: leaves a gap: no band covers 4 to 4" in errors.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        run("validate", str(tmp_path / "missing.yaml"))
