"""``{% url %}`` (forestall.templatetags.remembered_urls) gives what Django's reverse gives.

Every named URL pattern of the project is reversed both ways, with a UUID,
a number or text for each argument as its converter takes, in English and
German, twice (the second time from the remembered shape); arguments that
cannot be remembered still give Django's address; no more shapes are kept
than the limit; and through a template, with escaping, an ``as`` variable
and an address that does not exist.
"""

from __future__ import annotations

import uuid

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, UUIDConverter
from django.utils import translation

from forestall.templatetags import remembered_urls
from forestall.templatetags.remembered_urls import remembered_reverse


def _named_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _named_patterns(pattern, namespace)
        elif pattern.name:
            converters = list(getattr(pattern.pattern, "converters", {}).values())
            yield f"{prefix}{pattern.name}", converters


def _sample(converter):
    """An argument the converter accepts (a UUID, a number, or text)."""
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, IntConverter):
        return 7
    if isinstance(converter, PathConverter):
        return "some/page"
    return "phq9"


def test_every_named_address_is_the_same_as_djangos():
    compared = with_text = 0
    for name, converters in _named_patterns():
        for language in ("en", "de"):
            with translation.override(language):
                for _round in range(2):  # the second time from the remembered shape
                    args = [_sample(converter) for converter in converters]
                    try:
                        expected = reverse(name, args=args)
                    except NoReverseMatch:
                        with pytest.raises(NoReverseMatch):
                            remembered_reverse(name, args, None)
                        continue
                    assert remembered_reverse(name, args, None) == expected, name
                    compared += 1
                    with_text += any(not isinstance(arg, uuid.UUID) for arg in args)
    assert compared > 100  # the staff and public addresses, in both languages
    assert with_text > 4  # and those that take text or numbers


def test_text_arguments_are_part_of_the_key_and_uuids_fill_the_holes():
    client = uuid.uuid4()
    for instrument in ("phq9", "gad7", "phq9"):
        assert remembered_reverse("instruments:record", [client, instrument], None) == reverse(
            "instruments:record", args=[client, instrument]
        )
    other = uuid.uuid4()
    assert remembered_reverse("instruments:record", [other, "phq9"], None) == reverse(
        "instruments:record", args=[other, "phq9"]
    )


def test_arguments_that_cannot_be_remembered_go_to_djangos_reverse():
    client = uuid.uuid4()
    odd = [
        str(remembered_urls._STAND_INS[0]),  # spells the stand-in: two places
        "x" * 200,  # too long to be part of a key
    ]
    for text in odd:
        assert remembered_reverse("instruments:record", [client, text], None) == reverse(
            "instruments:record", args=[client, text]
        )
    with pytest.raises(NoReverseMatch):
        remembered_reverse("cases:case", ["not-a-uuid"], None)
    with pytest.raises(NoReverseMatch):
        remembered_reverse("cases:case", [True], None)
    with pytest.raises(NoReverseMatch):
        remembered_reverse("no-such-view", [], None)


def test_no_more_than_the_limit_of_shapes_is_kept(monkeypatch):
    monkeypatch.setattr(remembered_urls, "_shapes", {})
    monkeypatch.setattr(remembered_urls, "MAX_SHAPES", 3)
    client = uuid.uuid4()
    for number in range(10):
        text = f"instrument-{number}"
        assert remembered_reverse("instruments:record", [client, text], None) == reverse(
            "instruments:record", args=[client, text]
        )
    assert len(remembered_urls._shapes) == 3


def test_the_tag_escapes_keeps_as_variables_and_fails_as_djangos_does():
    case = uuid.uuid4()
    rendered = Template(
        "{% url 'cases:case' case %}|{% url 'cases:note' case as note %}{{ note }}|"
        "{% url 'nowhere' as missing %}[{{ missing }}]"
    ).render(Context({"case": case}))
    assert rendered == (
        f"{reverse('cases:case', args=[case])}|{reverse('cases:note', args=[case])}|[]"
    )
    with pytest.raises(NoReverseMatch):
        Template("{% url 'nowhere' %}").render(Context({}))
    with translation.override("de"):
        assert Template("{% url 'public:home' %}").render(Context({})) == reverse("public:home")
