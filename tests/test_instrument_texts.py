"""Every label of every instrument is the full text, in every language.

A YAML flow mapping (``{en: ..., de: Eine Person, mit der ...}``) once cut
German texts at the first comma: the self-check offered "Eine Person" and the
WHO-5's fifth item, a validated questionnaire item, lost its second half.
These tests would each have caught it: the source never writes texts as flow
mappings, the loader refuses a text mapping with a stray key, German and
English texts have comparable length, the validated German items are exact,
and the pages people see show every text whole.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.test import Client

from forestall.inbox import actions as inbox_actions
from forestall.instruments import actions
from forestall.instruments.catalogue import (
    DEFINITIONS_DIR,
    REQUIRED_LANGUAGES,
    DefinitionError,
    catalogue,
    load_definition,
)
from tests.factories_cases import make_case, make_client

DEFINITION_FILES = sorted(DEFINITIONS_DIR.glob("*.yaml"))

# The validated German versions: WHO-5 (WHO Collaborating Centre in Mental
# Health, Hillerød; German version of the 1998 index), PHQ-9 and GAD-7
# (Löwe et al., Gesundheitsfragebogen für Patienten PHQ-D; GAD-7 2008).
VALIDATED_GERMAN = {
    "who5": {
        "items": [
            "In den letzten zwei Wochen war ich froh und guter Laune",
            "In den letzten zwei Wochen habe ich mich ruhig und entspannt gefühlt",
            "In den letzten zwei Wochen habe ich mich energisch und aktiv gefühlt",
            "In den letzten zwei Wochen habe ich mich beim Aufwachen frisch und ausgeruht gefühlt",
            "In den letzten zwei Wochen war mein Alltag voller Dinge, die mich interessieren",
        ],
        "options": [
            "Die ganze Zeit",
            "Meistens",
            "Etwas mehr als die Hälfte der Zeit",
            "Etwas weniger als die Hälfte der Zeit",
            "Ab und zu",
            "Zu keinem Zeitpunkt",
        ],
    },
    "phq9": {
        "items": [
            "Wenig Interesse oder Freude an Ihren Tätigkeiten",
            "Niedergeschlagenheit, Schwermut oder Hoffnungslosigkeit",
            "Schwierigkeiten ein- oder durchzuschlafen oder vermehrter Schlaf",
            "Müdigkeit oder Gefühl, keine Energie zu haben",
            "Verminderter Appetit oder übermäßiges Bedürfnis zu essen",
            "Schlechte Meinung von sich selbst; Gefühl, ein Versager zu sein "
            "oder die Familie enttäuscht zu haben",
            "Schwierigkeiten, sich auf etwas zu konzentrieren, z. B. beim Zeitunglesen "
            "oder Fernsehen",
            None,  # item 8 is two sentences; checked for completeness below
            "Gedanken, dass Sie lieber tot wären oder sich Leid zufügen möchten",
        ],
        "options": [
            "Überhaupt nicht",
            "An einzelnen Tagen",
            "An mehr als der Hälfte der Tage",
            "Beinahe jeden Tag",
        ],
    },
    "gad7": {
        "items": [
            "Nervosität, Ängstlichkeit oder Anspannung",
            "Nicht in der Lage sein, Sorgen zu stoppen oder zu kontrollieren",
            "Übermäßige Sorgen bezüglich verschiedener Angelegenheiten",
            "Schwierigkeiten zu entspannen",
            "Rastlosigkeit, so dass Stillsitzen schwerfällt",
            "Schnelle Verärgerung oder Gereiztheit",
            "Gefühl der Angst, so als würde etwas Schlimmes passieren",
        ],
        "options": [
            "Überhaupt nicht",
            "An einzelnen Tagen",
            "An mehr als der Hälfte der Tage",
            "Beinahe jeden Tag",
        ],
    },
}


def _text_mappings(node, place=""):
    """Every ``{en: ..., de: ...}`` mapping in a parsed definition, with its place."""
    if isinstance(node, dict):
        if "en" in node:
            yield place, node
        for key, value in node.items():
            yield from _text_mappings(value, f"{place}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _text_mappings(value, f"{place}[{index}]")


def _all_texts():
    for path in DEFINITION_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for place, texts in _text_mappings(data):
            yield f"{path.name}{place}", texts


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=lambda path: path.name)
def test_the_yaml_source_never_writes_a_text_as_a_flow_mapping(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert not re.search(r"\{\s*(en|de)\s*:", line), (
            f"{path.name} line {number}: write texts as a block (en: on its own line); "
            "a comma in an unquoted flow mapping cuts the text"
        )


def test_every_text_mapping_holds_exactly_the_languages_and_whole_strings():
    checked = 0
    for place, texts in _all_texts():
        assert set(texts) == set(REQUIRED_LANGUAGES), f"{place}: keys {sorted(texts)}"
        for language, text in texts.items():
            assert isinstance(text, str) and text.strip(), f"{place} {language}"
        checked += 1
    assert checked > 100


def test_no_german_text_is_much_shorter_than_its_english_text():
    # A cut translation is a fragment: "Eine Person" for "Someone I work with as
    # a professional". Whole German texts are rarely under half the English length.
    for place, texts in _all_texts():
        english, german = texts["en"], texts["de"]
        if len(english) >= 20:
            assert len(german) >= 0.6 * len(english), f"{place}: {german!r} vs {english!r}"


def test_no_text_ends_in_the_middle_of_a_clause():
    # The parts a comma split off began a relative or subordinate clause.
    dangling = re.compile(r"\b(und|oder|die|der|das|mit|dass|and|or|the|with|that)$")
    for place, texts in _all_texts():
        for language, text in texts.items():
            assert not dangling.search(text.strip()), f"{place} {language}: {text!r}"


@pytest.mark.parametrize("instrument", sorted(VALIDATED_GERMAN))
def test_the_validated_german_items_and_options_are_exact(instrument):
    definition = catalogue().get(instrument)
    expected = VALIDATED_GERMAN[instrument]
    items = [item.text["de"] for item in definition.items]
    assert len(items) == len(expected["items"])
    for number, (actual, wanted) in enumerate(zip(items, expected["items"], strict=True), 1):
        if wanted is not None:
            assert actual == wanted, f"{instrument} item {number}"
    options = [option.label["de"] for option in definition.items[0].options]
    assert options == expected["options"]


def test_the_phq9_psychomotor_item_keeps_both_of_its_sentences():
    text = catalogue().get("phq9").items[7].text["de"]
    assert text.startswith("Waren Ihre Bewegungen oder Ihre Sprache so verlangsamt")
    assert "ruhelos" in text and text.endswith("?")


def test_the_loader_refuses_a_text_cut_by_a_comma(tmp_path: Path):
    source = (DEFINITIONS_DIR / "who5.v1.yaml").read_text(encoding="utf-8")
    whole = re.search(r"  - id: q5\n    text:\n      en: .*\n      de: .*\n", source)
    assert whole, "WHO-5 item 5 is no longer written as a block"
    # The item as it once shipped: one flow mapping, the German text unquoted.
    as_shipped = (
        "  - id: q5\n    text: {en: My daily life has been filled with things that "
        "interest me, de: In den letzten zwei Wochen war mein Alltag voller Dinge, "
        "die mich interessieren}\n"
    )
    path = tmp_path / "who5.v1.yaml"
    path.write_text(source.replace(whole.group(0), as_shipped), encoding="utf-8")
    with pytest.raises(DefinitionError, match="is not a language code"):
        load_definition(path)


# --- What people see -------------------------------------------------------


class _Fieldsets(HTMLParser):
    """Collects each fieldset's legend and option labels as plain text."""

    def __init__(self) -> None:
        super().__init__()
        self.fieldsets: list[dict] = []
        self._in: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "fieldset":
            self.fieldsets.append({"legend": "", "labels": []})
        elif tag in ("legend", "label") and self.fieldsets:
            self._in, self._buffer = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            text = " ".join("".join(self._buffer).split())
            if tag == "legend":
                self.fieldsets[-1]["legend"] = re.sub(r"^\d+\.\s*", "", text)
            else:
                self.fieldsets[-1]["labels"].append(text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buffer.append(data)


def _fieldsets(content: bytes) -> list[dict]:
    parser = _Fieldsets()
    parser.feed(content.decode())
    return parser.fieldsets


def _expected(definition, language):
    return [
        {
            "legend": " ".join(item.text[language].split()),
            "labels": [" ".join(option.label[language].split()) for option in item.options],
        }
        for item in definition.items
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_the_self_check_page_shows_every_label_whole(client, language):
    prefix = "" if language == "en" else f"/{language}"
    response = client.get(f"{prefix}/self-check/")
    assert response.status_code == 200
    assert _fieldsets(response.content) == _expected(catalogue().get("self-check"), language)
    if language == "de":
        assert "Eine Person, mit der ich beruflich zu tun habe" in html.unescape(
            response.content.decode()
        )


@pytest.mark.django_db
@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_every_questionnaire_in_the_mailbox_shows_every_label_whole(
    centre_a, clinician_a, language
):
    mailbox, codename = inbox_actions.start_mailbox(language, "self")
    person = make_client(mailbox=mailbox)
    make_case(centre_a, client=person)
    browser = Client()
    prefix = "" if language == "en" else f"/{language}"
    assert browser.post(f"{prefix}/mailbox/", {"codename": codename}).status_code == 302
    for definition in catalogue().latest(kind="score"):
        pending = actions.send_to_mailbox(
            person, definition.id, occasion="session", by=clinician_a, centre=centre_a
        )
        response = browser.get(f"{prefix}/mailbox/questionnaires/{pending.pk}/")
        assert response.status_code == 200, definition.id
        assert _fieldsets(response.content) == _expected(definition, language), definition.id
