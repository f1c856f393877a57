"""``{% url %}`` (forestall.templatetags.remembered_urls) gives what Django's reverse gives.

Every named URL pattern of the project is reversed both ways, with UUIDs for
its arguments where it takes UUIDs, in English and German, twice (the second
time from the remembered shape); and through a template, with escaping, an
``as`` variable and an address that does not exist.
"""

from __future__ import annotations

import uuid

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, get_resolver, reverse
from django.urls.converters import UUIDConverter
from django.utils import translation

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


def test_every_named_address_is_the_same_as_djangos():
    compared = 0
    for name, converters in _named_patterns():
        if converters and not all(isinstance(c, UUIDConverter) for c in converters):
            args = None  # text or numbers: never remembered; reverse() as before
        else:
            args = [uuid.uuid4() for _converter in converters]
        for language in ("en", "de"):
            with translation.override(language):
                for _round in range(2):
                    if args is None:
                        continue
                    try:
                        expected = reverse(name, args=args)
                    except NoReverseMatch:
                        with pytest.raises(NoReverseMatch):
                            remembered_reverse(name, args, None)
                        continue
                    assert remembered_reverse(name, args, None) == expected, name
                    compared += 1
    assert compared > 100  # the staff and public addresses, in both languages


def test_other_arguments_go_to_djangos_reverse():
    assert remembered_reverse("instruments:record", [uuid.UUID(int=7), "phq9"], None) == reverse(
        "instruments:record", args=[uuid.UUID(int=7), "phq9"]
    )
    with pytest.raises(NoReverseMatch):
        remembered_reverse("cases:case", ["not-a-uuid"], None)
    with pytest.raises(NoReverseMatch):
        remembered_reverse("no-such-view", [], None)


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
