"""The pseudonymised research export (``forestall export-research``): what is in it, what is not."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from forestall.audit.models import AuditEntry
from forestall.cases.models import Case
from forestall.instruments.actions import record_administration
from forestall.research.pseudonyms import Pseudonymiser
from tests import research_network
from tests.research_network import CANARIES, STAFF_NAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(centre_a, centre_b):
    return research_network.build(centre_a, centre_b)


def export(study, out: Path, *args: str) -> dict:
    call_command("export-research", "--study", study.slug, "--out", str(out), *args)
    return json.loads((out / "manifest.json").read_text())


def rows(out: Path, filename: str) -> list[dict[str, str]]:
    with (out / filename).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_it_writes_one_file_per_unit_codebook_and_manifest(network, tmp_path):
    manifest = export(network.study, tmp_path)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(
        [
            "cases.csv",
            "administrations.csv",
            "appointments.csv",
            "referrals.csv",
            "protective_actions.csv",
            "contact_channels.csv",
            "codebook.csv",
            "codebook.md",
            "manifest.json",
        ]
    )
    assert manifest["row_counts"] == {
        "cases.csv": 6,
        "administrations.csv": 1,
        "appointments.csv": 1,
        "referrals.csv": 1,
        "protective_actions.csv": 1,
        "contact_channels.csv": 1,
    }
    assert manifest["study"]["slug"] == network.study.slug
    assert manifest["period"]["from"] == "2026-01"
    assert manifest["forestall_version"]
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    assert set(manifest["sha256"]) == set(names) - {"manifest.json"}


def test_the_story_of_a_case_is_told_in_months_and_weeks(network, tmp_path):
    export(network.study, tmp_path)
    pseudonyms = Pseudonymiser(network.study.pk)
    story = network.cases[0]
    case_row = next(
        r for r in rows(tmp_path, "cases.csv") if r["case"] == pseudonyms.of("case", story.pk)
    )
    assert case_row["client"] == pseudonyms.of("client", story.client_id)
    assert case_row["months_to_screening"] == "1"
    assert case_row["months_to_assessment"] == ""
    assert case_row["first_contact"] == "2026-03"
    assert case_row["programme"] == "individual_therapy"
    [administration] = rows(tmp_path, "administrations.csv")
    assert administration["case"] == case_row["case"]
    assert administration["instrument"] == "phq9"
    assert administration["weeks_since_opened"] == "1"
    assert administration["band"] == "moderate"
    assert administration["item_phq9_v1_q3"] == "3"
    [appointment] = rows(tmp_path, "appointments.csv")
    assert (appointment["kind"], appointment["mode"], appointment["attended"]) == (
        "screening",
        "video",
        "1",
    )
    assert appointment["weeks_since_opened"] == "2"
    [referral] = rows(tmp_path, "referrals.csv")
    assert (referral["reason"], referral["same_region"]) == ("nearer", "1")
    [action] = rows(tmp_path, "protective_actions.csv")
    assert (action["action"], action["taken"]) == ("blocking_software", "1")
    [channel] = rows(tmp_path, "contact_channels.csv")
    assert (channel["channel"], channel["writer"]) == ("mailbox", "self")


def test_nothing_identifying_reaches_any_byte_of_the_export(network, tmp_path):
    export(network.study, tmp_path)
    blob = b"".join(path.read_bytes() for path in sorted(tmp_path.iterdir()))
    for canary in CANARIES.values():
        assert canary.encode() not in blob, canary
    assert STAFF_NAME.encode() not in blob
    for case in Case.objects.select_related("client"):
        assert case.client.reference.encode() not in blob
        assert str(case.pk).encode() not in blob
        assert str(case.client_id).encode() not in blob
        assert case.client_id.hex.encode() not in blob
    # No exact date of anything about a person: only months (YYYY-MM) in the data files.
    for path in tmp_path.glob("*.csv"):
        if path.name == "codebook.csv":
            continue
        text = path.read_text()
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), path.name
        assert "2026-03-10" not in text and "10.03.2026" not in text


def test_pseudonyms_are_stable_within_a_study_and_unlinkable_across_studies(network, tmp_path):
    for case in network.cases:
        research_network.consent(case, network.other_study)
    export(network.study, tmp_path / "first")
    export(network.study, tmp_path / "again")
    export(network.other_study, tmp_path / "other")
    first = {r["case"]: r["client"] for r in rows(tmp_path / "first", "cases.csv")}
    again = {r["case"]: r["client"] for r in rows(tmp_path / "again", "cases.csv")}
    other = {r["case"]: r["client"] for r in rows(tmp_path / "other", "cases.csv")}
    assert first == again
    assert len(other) == len(first) == 6
    assert not (set(first) | set(first.values())) & (set(other) | set(other.values()))


def test_pseudonyms_depend_on_the_secret_outside_the_database(network, settings):
    before = Pseudonymiser(network.study.pk).of("client", network.cases[0].client_id)
    settings.FORESTALL_RESEARCH_SECRET = "another secret"
    after = Pseudonymiser(network.study.pk).of("client", network.cases[0].client_id)
    assert before != after


def test_clients_without_consent_or_who_withdrew_are_left_out_and_counted(network, tmp_path):
    manifest = export(network.study, tmp_path)
    pseudonyms = Pseudonymiser(network.study.pk)
    exported = {r["case"] for r in rows(tmp_path, "cases.csv")}
    assert exported == {pseudonyms.of("case", case.pk) for case in network.cases}
    assert manifest["left_out"]["no_consent"] == {"cases": 1, "clients": 1}
    assert manifest["left_out"]["consent_withdrawn"] == {"cases": 1, "clients": 1}
    assert manifest["left_out"]["disclosure_control"] == {"cases": 0, "clients": 0}


def test_a_withdrawal_takes_the_case_out_of_the_next_export(network, tmp_path):
    export(network.study, tmp_path / "before")
    network.cases[0].research_consents.update(withdrawn_on=datetime.date(2026, 5, 1))
    manifest = export(network.study, tmp_path / "after")
    assert manifest["row_counts"]["cases.csv"] == 5
    assert manifest["row_counts"]["administrations.csv"] == 0
    assert manifest["left_out"]["consent_withdrawn"]["cases"] == 2


def test_every_column_is_in_the_codebook_and_its_allowed_values_match_the_data(network, tmp_path):
    story = network.cases[0]
    record_administration(
        story.client, "WHO-5", [3, 3, 3, 3, 3], occasion="intake", by=None, centre=story.centre
    )
    export(network.study, tmp_path)
    codebook = rows(tmp_path, "codebook.csv")
    documented = {(r["file"], r["column"]): r for r in codebook}
    markdown = (tmp_path / "codebook.md").read_text()
    names = {
        part.split(" = ")[0]: part.split(" = ")[1]
        for part in documented[("administrations.csv", "instrument")]["allowed_values"].split("; ")
    }
    checked_values = checked_ranges = 0
    for path in tmp_path.glob("*.csv"):
        if path.name == "codebook.csv":
            continue
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            data = list(reader)
            header = reader.fieldnames or []
        assert header, path.name
        for column in header:
            entry = documented.pop((path.name, column))
            assert entry["meaning"] and entry["type"] and entry["missing"]
            assert f"`{column}`" in markdown
            allowed = {
                part.split(" = ", 1)[0] for part in entry["allowed_values"].split("; ") if part
            }
            for row in data:
                value = row[column]
                if value == "":
                    assert entry["missing"] != "never empty", (path.name, column)
                elif entry["type"] in ("category", "boolean"):
                    assert value in allowed, (path.name, column, value)
                    checked_values += 1
                elif entry["type"] == "integer":
                    number = int(value)
                    if entry["range"]:
                        low, high = within(
                            entry["range"], names.get(row.get("instrument", "")), row
                        )
                        assert low <= number <= high, (path.name, column, value)
                        checked_ranges += 1
            if column.startswith("item_"):
                assert entry["item_text"] and entry["instrument_version"]
    assert not documented, f"documented but not written: {sorted(documented)}"
    assert checked_values > 30
    assert checked_ranges >= 3  # both totals and the WHO-5 percentage


def within(text: str, name: str | None, row: dict[str, str]) -> tuple[int, int]:
    """The range of a codebook entry: "0 to 6", or per instrument "PHQ-9 v1: 0 to 27, ..."."""
    if ":" in text:
        ranges = dict(part.split(": ") for part in text.split(", "))
        text = ranges[f"{name} v{row['version']}"]
    low, high = text.split(" to ")
    return int(low), int(high)


def test_subscales_and_derived_scores_have_columns_from_the_definitions(
    network, tmp_path, settings
):
    settings.FORESTALL_INSTRUMENT_DIRS = [str(Path(__file__).parent / "instrument_fixtures")]
    client, centre = network.cases[0].client, network.cases[0].centre
    # a2 and b2 are reverse-scored (0..3 -> 3..0); b2 missing: the sleep subscale is
    # not scored and the total is prorated (max_missing 1).
    record_administration(
        client, "test-scale", {"a1": 3, "a2": 1, "b1": 2}, occasion="intake", by=None, centre=centre
    )
    record_administration(
        client, "WHO-5", [4, 4, 3, 3, 2], occasion="intake", by=None, centre=centre
    )
    manifest = export(network.study, tmp_path)
    assert manifest["row_counts"]["administrations.csv"] == 3
    by_instrument = {r["instrument"]: r for r in rows(tmp_path, "administrations.csv")}
    scale, who5 = by_instrument["testscale"], by_instrument["who5"]
    assert (scale["score_testscale_v1_worry"], scale["score_testscale_v1_sleep"]) == ("5", "")
    assert (scale["total"], scale["band"], scale["prorated"]) == ("9", "high", "1")
    assert scale["item_testscale_v1_a2"] == "1" and scale["item_testscale_v1_b2"] == ""
    assert (who5["total"], who5["score_who5_v1_percentage"]) == ("16", "64")
    assert by_instrument["phq9"]["score_who5_v1_percentage"] == ""
    assert by_instrument["phq9"]["score_testscale_v1_worry"] == ""
    codebook = {r["column"]: r for r in rows(tmp_path, "codebook.csv")}
    worry = codebook["score_testscale_v1_worry"]
    assert (worry["range"], worry["instrument"], worry["instrument_version"]) == (
        "0 to 6",
        "Test scale",
        "1",
    )
    assert "Worry" in worry["meaning"] and "a1, a2" in worry["meaning"]
    assert "reverse-scored: a2" in worry["meaning"]
    assert codebook["score_who5_v1_percentage"]["range"] == "0 to 100"
    assert "Test scale v1: 0 to 12" in codebook["total"]["range"]
    assert "PHQ-9 v1: 0 to 27" in codebook["total"]["range"]
    assert "high = High (total Test scale v1 6 to 12)" in codebook["band"]["allowed_values"]
    markdown = (tmp_path / "codebook.md").read_text()
    assert "### `score_testscale_v1_sleep`" in markdown and "- range: 0 to 6" in markdown


def test_small_groups_are_coarsened_to_region_and_quarter(centre_a, centre_b, tmp_path):
    study = research_network.make_study()
    for centre in (centre_a, centre_b):
        for _ in range(3):
            research_network.consent(research_network.open_case(centre), study)
    manifest = export(study, tmp_path)
    assert manifest["disclosure"]["k_required"] == 5
    assert manifest["disclosure"]["location_level"] == "region"
    assert manifest["disclosure"]["first_contact_level"] == "quarter"
    assert manifest["disclosure"]["k_reached"] == 6
    data = rows(tmp_path, "cases.csv")
    assert {(r["location"], r["first_contact"]) for r in data} == {
        (centre_a.region.slug, "2026-Q1")
    }
    assert centre_a.slug not in (tmp_path / "cases.csv").read_text()


def test_groups_too_small_even_coarsened_are_suppressed_and_counted(centre_a, centre_c, tmp_path):
    study = research_network.make_study()
    for _ in range(40):
        research_network.consent(research_network.open_case(centre_a), study)
    lonely = research_network.open_case(centre_c, programme="young_people")
    research_network.consent(lonely, study)
    manifest = export(study, tmp_path)
    assert manifest["disclosure"]["location_level"] == "centre"
    assert manifest["disclosure"]["k_reached"] == 40
    assert manifest["left_out"]["disclosure_control"] == {"cases": 1, "clients": 1}
    assert manifest["row_counts"]["cases.csv"] == 40
    pseudonym = Pseudonymiser(study.pk).of("case", lonely.pk)
    assert pseudonym.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert centre_c.slug not in (tmp_path / "codebook.csv").read_text()


def test_k_is_a_setting(centre_a, tmp_path, settings):
    settings.FORESTALL_RESEARCH_K = 3
    study = research_network.make_study()
    for _ in range(3):
        research_network.consent(research_network.open_case(centre_a), study)
    manifest = export(study, tmp_path)
    assert manifest["disclosure"]["k_required"] == 3
    assert manifest["disclosure"]["k_reached"] == 3
    assert manifest["disclosure"]["location_level"] == "centre"


def test_period_and_centre_filters_select_the_cases(network, centre_b, tmp_path):
    other = research_network.open_case(centre_b, opened=research_network.OPENED.replace(month=6))
    research_network.consent(other, network.study)
    manifest = export(
        network.study, tmp_path / "march", "--from", "2026-03", "--to", "2026-03", "--k", "1"
    )
    assert manifest["row_counts"]["cases.csv"] == 6
    assert manifest["period"] == {"from": "2026-03", "to": "2026-03", "by": "month the case opened"}
    manifest = export(network.study, tmp_path / "b", "--centre", centre_b.slug, "--k", "1")
    assert manifest["row_counts"]["cases.csv"] == 1
    assert manifest["filters"] == {"centres": [centre_b.slug]}
    assert manifest["left_out"]["no_consent"]["cases"] == 0


def test_each_export_is_audited(network, tmp_path):
    export(network.study, tmp_path / "one")
    export(network.study, tmp_path / "two")
    entries = AuditEntry.objects.filter(action="research.export", target_id=network.study.pk)
    assert entries.count() == 2
    assert "k reached 6" in entries.first().reason


@pytest.mark.parametrize(
    "args, message",
    [
        (["--study", "nope"], r"no study 'nope': a network admin sets studies up in the admin"),
        (["--from", "2026-13"], "not a month"),
        (["--from", "0001-01"], "not a month"),
        (["--to", "9999-12"], "not a month"),
        (["--from", "2026-05", "--to", "2026-04"], "ends before"),
        (["--centre", "atlantis"], "unknown centre"),
    ],
)
def test_bad_arguments_get_a_clear_message(network, tmp_path, args, message):
    base = ["--study", network.study.slug]
    if args[0] == "--study":
        base = []
    with pytest.raises(CommandError, match=message):
        call_command("export-research", *base, "--out", str(tmp_path / "x"), *args)
    assert not AuditEntry.objects.filter(action="research.export").exists()


def test_a_new_export_directory_is_its_owners_alone(network, tmp_path):
    out = tmp_path / "exports" / "2026"
    export(network.study, out)
    assert out.stat().st_mode & 0o777 == 0o700


def test_an_export_without_cases_says_so_instead_of_a_k(db, tmp_path):
    from forestall.research.models import Study

    Study.objects.create(slug="empty", title="Empty", starts_on=datetime.date(2026, 1, 1))
    output = io.StringIO()
    call_command("export-research", "--study", "empty", "--out", str(tmp_path), stdout=output)
    assert output.getvalue().rstrip().endswith("; no cases written")
    assert "None" not in output.getvalue()


def test_an_export_without_consenting_cases_is_audited_without_a_k(db, tmp_path):
    from forestall.research.models import Study

    study = Study.objects.create(slug="empty", title="Empty", starts_on=datetime.date(2026, 1, 1))
    call_command(
        "export-research", "--study", "empty", "--out", str(tmp_path), stdout=io.StringIO()
    )
    reason = AuditEntry.objects.get(action="research.export", target_id=study.pk).reason
    assert "no cases written" in reason
    assert "None" not in reason


def test_an_export_whose_every_group_is_too_small_says_why_nothing_was_written(network, tmp_path):
    output = io.StringIO()
    call_command(
        "export-research",
        "--study",
        network.study.slug,
        "--out",
        str(tmp_path),
        "--k",
        "1000",
        stdout=output,
    )
    said = output.getvalue().rstrip()
    assert said.endswith("; no cases written: all 6 held back, every group smaller than k 1000")
    reason = AuditEntry.objects.get(action="research.export", target_id=network.study.pk).reason
    assert "no cases written: all 6 held back, every group smaller than k 1000" in reason
    assert "None" not in said + reason


def test_it_refuses_a_directory_that_is_not_empty(network, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="not empty"):
        export(network.study, tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_a_client_who_came_twice_has_one_client_pseudonym_and_two_cases(network, tmp_path):
    first = network.cases[1]
    # Came back after the first case had ended (one open case per person and centre).
    Case.objects.filter(pk=first.pk).update(stage="closed", closed_at=research_network.OPENED)
    again = research_network.open_case(first.centre, client=first.client)
    research_network.consent(again, network.study)
    export(network.study, tmp_path)
    pseudonyms = Pseudonymiser(network.study.pk)
    client = pseudonyms.of("client", first.client_id)
    mine = [r for r in rows(tmp_path, "cases.csv") if r["client"] == client]
    assert {r["case"] for r in mine} == {
        pseudonyms.of("case", first.pk),
        pseudonyms.of("case", again.pk),
    }


def test_cases_erased_at_the_end_of_retention_are_left_out_and_counted(network, tmp_path):
    Case.objects.filter(pk=network.cases[1].pk).update(erased_at=research_network.OPENED)
    manifest = export(network.study, tmp_path, "--k", "1")
    assert manifest["row_counts"]["cases.csv"] == 5
    assert manifest["left_out"]["erased_after_retention"] == {"cases": 1, "clients": 1}
    erased = Pseudonymiser(network.study.pk).of("case", network.cases[1].pk)
    assert erased.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_a_code_a_spreadsheet_would_run_is_written_as_text_in_the_data_files(
    centre_a, centre_b, tmp_path
):
    """Attack: a centre's short name (a valid slug) begins with "-" and lands in cases.csv."""
    centre_a.slug = "-2+cmd"
    centre_a.save(update_fields=["slug"])
    study = research_network.make_study()
    for _ in range(6):
        research_network.consent(research_network.open_case(centre_a), study)
    export(study, tmp_path)
    data = rows(tmp_path, "cases.csv")
    assert {r["location"] for r in data} == {"'-2+cmd"}
    # The counts beside it stay plain numbers.
    assert all(r["sessions_attended"].lstrip("-").isdigit() for r in data)
    assert "quote" in (tmp_path / "codebook.md").read_text()
