"""Instrument definition files: loading, versions, and validation errors that name file and item."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from forestall.instruments import outcomes
from forestall.instruments.catalogue import (
    DEFINITIONS_DIR,
    REQUIRED_LANGUAGES,
    Catalogue,
    DefinitionError,
    UnknownInstrument,
    catalogue,
    load_definition,
)

SHIPPED = ["phq9", "gad7", "who5", "auditc", "self-check"]


def _phq9_data() -> dict:
    return yaml.safe_load((DEFINITIONS_DIR / "phq9.v1.yaml").read_text(encoding="utf-8"))


def _write(directory: Path, name: str, data: dict) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    return str(caught.value)


def test_every_shipped_definition_loads_and_validates():
    loaded = Catalogue.load([DEFINITIONS_DIR])
    for instrument_id in SHIPPED:
        assert loaded.get(instrument_id).version >= 1


def test_every_shipped_text_exists_in_english_and_german():
    for definition in Catalogue.load([DEFINITIONS_DIR]).latest():
        texts = [definition.title, definition.instructions]
        for item in definition.items:
            texts.append(item.text)
            texts.extend(option.label for option in item.options)
        texts.extend(band.label for band in definition.bands)
        texts.extend(step.feedback for step in definition.steps)
        for text in texts:
            for language in REQUIRED_LANGUAGES:
                assert text[language].strip(), (definition.id, text)


def test_ids_are_accepted_in_any_spelling():
    loaded = catalogue()
    assert loaded.get("PHQ-9").id == "phq9"
    assert loaded.get("phq9").id == "phq9"
    assert loaded.get("Gad-7").id == "gad7"
    assert loaded.get("AUDIT-C").id == "auditc"
    assert loaded.get("SELF-CHECK").id == "self-check"


def test_unknown_instruments_and_versions_are_refused():
    with pytest.raises(UnknownInstrument, match="unknown instrument: BDI"):
        catalogue().get("BDI")
    with pytest.raises(UnknownInstrument, match="version 99"):
        catalogue().get("phq9", 99)


def test_the_newest_version_is_used_but_every_version_stays_available(tmp_path):
    data = _phq9_data()
    data["version"] = 2
    _write(tmp_path, "phq9.v2.yaml", data)
    loaded = Catalogue.load([DEFINITIONS_DIR, tmp_path])
    assert loaded.get("phq9").version == 2
    assert loaded.get("phq9", 1).version == 1
    assert loaded.versions("PHQ-9") == [1, 2]


def test_the_outcome_rules_agree_with_the_shipped_definitions():
    phq9, gad7 = catalogue().get("phq9"), catalogue().get("gad7")
    assert phq9.caseness_at_least == outcomes.PHQ9_CASENESS
    assert gad7.caseness_at_least == outcomes.GAD7_CASENESS
    assert phq9.reliable_change == outcomes.PHQ9_RELIABLE_CHANGE
    assert gad7.reliable_change == outcomes.GAD7_RELIABLE_CHANGE
    assert phq9.max_total == outcomes.PHQ9_MAX
    assert gad7.max_total == outcomes.GAD7_MAX


def test_it_names_file_and_band_for_a_gap_between_bands(tmp_path):
    data = _phq9_data()
    data["bands"][1]["min"] = 6  # mild now starts at 6: nothing covers 5
    problems = _problems(_write(tmp_path, "phq9.v1.yaml", data))
    assert "phq9.v1.yaml: band mild: leaves a gap: no band covers 5 to 5" in problems


def test_it_names_file_and_band_for_overlapping_bands(tmp_path):
    data = _phq9_data()
    data["bands"][2]["min"] = 9
    problems = _problems(_write(tmp_path, "phq9.v1.yaml", data))
    assert "phq9.v1.yaml: band moderate: overlaps the band before it at 9" in problems


def test_it_reports_bands_that_stop_short_of_or_go_beyond_the_range(tmp_path):
    data = _phq9_data()
    data["bands"][-1]["max"] = 26
    assert "no band covers 27 to 27" in _problems(_write(tmp_path, "phq9.v1.yaml", data))
    data["bands"][-1]["max"] = 30
    assert "band severe: ends at 30, above the highest total 27" in _problems(
        _write(tmp_path, "phq9.v1.yaml", data)
    )


def test_it_names_the_item_with_an_option_value_out_of_range(tmp_path):
    data = yaml.safe_load((DEFINITIONS_DIR / "auditc.v1.yaml").read_text(encoding="utf-8"))
    data["items"][1]["options"][4]["value"] = 400
    problems = _problems(_write(tmp_path, "auditc.v1.yaml", data))
    assert "auditc.v1.yaml: item q2 option 5: value 400 is out of range" in problems


def test_it_names_the_item_with_a_missing_translation(tmp_path):
    data = _phq9_data()
    del data["items"][3]["text"]["de"]
    problems = _problems(_write(tmp_path, "phq9.v1.yaml", data))
    assert "phq9.v1.yaml: item q4 text: missing translation 'de'" in problems


def test_it_names_an_option_label_without_german(tmp_path):
    data = _phq9_data()
    del data["options"][2]["label"]["de"]
    assert "options option 3: missing translation 'de'" in _problems(
        _write(tmp_path, "phq9.v1.yaml", data)
    )


def test_it_requires_id_and_version_to_match_the_file_name(tmp_path):
    data = _phq9_data()
    problems = _problems(_write(tmp_path, "phq9.v3.yaml", data))
    assert "phq9.v3.yaml: version: must be 3 to match the file name" in problems
    problems = _problems(_write(tmp_path, "depression.v1.yaml", data))
    assert "depression.v1.yaml: id: must be 'depression'" in problems
    assert "file name must be" in _problems(_write(tmp_path, "phq9.yaml", data))


def test_it_reports_invalid_yaml_with_its_line(tmp_path):
    path = tmp_path / "broken.v1.yaml"
    path.write_text("id: broken\nitems: [\n  - q1\n", encoding="utf-8")
    assert _problems(path).startswith("broken.v1.yaml: line ")


def test_it_reports_yaml_it_cannot_build_instead_of_raising(tmp_path):
    path = tmp_path / "broken.v1.yaml"
    path.write_text("id: broken\nwhen: 2025-13-45\n", encoding="utf-8")
    assert "broken.v1.yaml: YAML: not valid YAML (month must be in 1..12)" in _problems(path)
    path.write_text("id: broken\nitems: " + "[" * 3000 + "]" * 3000, encoding="utf-8")
    assert "broken.v1.yaml: " in _problems(path)


def test_it_reports_duplicate_items_and_option_values(tmp_path):
    data = _phq9_data()
    data["items"][1]["id"] = "q1"
    data["options"][1]["value"] = 0
    problems = _problems(_write(tmp_path, "phq9.v1.yaml", data))
    assert "item q1: appears twice" in problems
    assert "options option 2: value 0 appears twice" in problems


def test_it_reports_a_caseness_threshold_outside_the_range(tmp_path):
    data = _phq9_data()
    data["caseness"] = {"at_least": 40}
    assert "caseness: threshold 40 is outside 0 to 27" in _problems(
        _write(tmp_path, "phq9.v1.yaml", data)
    )


def test_it_reports_subscales_and_flags_naming_unknown_items(tmp_path):
    data = _phq9_data()
    data["scoring"]["subscales"] = [
        {"id": "somatic", "items": ["q3", "q99"], "label": {"en": "Somatic", "de": "Somatisch"}}
    ]
    data["flags"][0]["item"] = "q10"
    problems = _problems(_write(tmp_path, "phq9.v1.yaml", data))
    assert "subscale somatic: names unknown item 'q99'" in problems
    assert "flag self_harm_thoughts: names unknown item 'q10'" in problems


def test_it_reports_self_check_rules_naming_unknown_steps_or_options(tmp_path):
    data = yaml.safe_load((DEFINITIONS_DIR / "self-check.v1.yaml").read_text(encoding="utf-8"))
    data["recommendation"]["rules"][0]["step"] = "call_a_friend"
    data["recommendation"]["rules"][2]["when"] = {"help_wanted": ["sing"]}
    del data["recommendation"]["steps"][1]["feedback"]["de"]
    problems = _problems(_write(tmp_path, "self-check.v1.yaml", data))
    assert "rule 1: names unknown step 'call_a_friend'" in problems
    assert "rule 3: item help_wanted has no option 'sing'" in problems
    assert "step contact_centre feedback: missing translation 'de'" in problems


def test_one_error_lists_the_problems_of_every_broken_file(tmp_path):
    first = _phq9_data()
    first["bands"][0]["label"] = {"en": "Minimal"}
    _write(tmp_path, "phq9.v1.yaml", first)
    second = _phq9_data()
    second["id"] = "phq9"
    second["version"] = 2
    second["items"][0]["text"] = "just one language"
    _write(tmp_path, "phq9.v2.yaml", second)
    with pytest.raises(DefinitionError) as caught:
        Catalogue.load([tmp_path])
    assert any(
        problem.startswith("phq9.v1.yaml: band minimal") for problem in caught.value.problems
    )
    assert any(
        problem.startswith("phq9.v2.yaml: item q1 text") for problem in caught.value.problems
    )


def test_start_up_validation_stops_on_a_broken_definition(tmp_path, settings):
    data = _phq9_data()
    data["version"] = 2
    data["bands"][0]["max"] = 3
    _write(tmp_path, "phq9.v2.yaml", data)
    settings.FORESTALL_INSTRUMENT_DIRS = [str(tmp_path)]
    with pytest.raises(ImproperlyConfigured, match=r"phq9\.v2\.yaml: band mild: leaves a gap"):
        apps.get_app_config("instruments").ready()


def test_start_up_validation_passes_for_the_shipped_files(settings):
    settings.FORESTALL_INSTRUMENT_DIRS = []
    apps.get_app_config("instruments").ready()


@pytest.mark.parametrize("path", sorted(DEFINITIONS_DIR.glob("*.yaml")), ids=lambda path: path.name)
def test_every_shipped_file_reads_the_same_with_and_without_libyaml(path):
    text = path.read_text(encoding="utf-8")
    pure = yaml.load(text, Loader=yaml.SafeLoader)
    assert pure == yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def _what_is_asked_and_scored(data: object) -> object:
    """A definition without its texts: what a new version is needed for (docs/instruments.md)."""
    if isinstance(data, dict):
        if data and set(data) <= {"en", "de"}:
            return None  # a text: a correction in place is allowed
        return {
            key: _what_is_asked_and_scored(value)
            for key, value in data.items()
            if key not in {"source", "licence", "name"}
        }
    if isinstance(data, list):
        return [_what_is_asked_and_scored(value) for value in data]
    return data


# Every published version, fingerprinted. A change to what a published
# version asks or how it scores makes a new version file instead: stored
# answers keep the version they were given under. Add a line for a new file.
PUBLISHED = {
    "auditc.v1.yaml": "f000a6503c95a640",
    "gad7.v1.yaml": "8d4cabc659308188",
    "phq9.v1.yaml": "6d52678222bd1856",
    "self-check.v1.yaml": "2908012858e9b5de",
    "self-check.v2.yaml": "f32bb424319a7598",
    "self-check.v3.yaml": "9cc7c655724cf4ce",
    "who5.v1.yaml": "edba03fd5706fe90",
}


def _fingerprint(path: Path) -> str:
    import hashlib
    import json

    data = _what_is_asked_and_scored(yaml.safe_load(path.read_text(encoding="utf-8")))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def test_a_published_version_never_changes_what_it_asks_or_how_it_scores():
    shipped = {path.name: _fingerprint(path) for path in sorted(DEFINITIONS_DIR.glob("*.yaml"))}
    assert shipped == PUBLISHED
