"""``{% translate %}`` remembered per language says exactly what Django's tag says.

forestall.templatetags.remembered_i18n replaces the ``i18n`` library's
``translate``: fixed words are rendered once per language and escaping. Every
``{% translate %}`` in forestall's templates is rendered here both ways, in
English and German, escaped and not, twice (the second time from memory);
and what cannot be remembered (a variable, a filter) still follows the
language of each render.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, engines
from django.templatetags.i18n import TranslateNode
from django.test import override_settings
from django.utils import translation

from forestall.templatetags.remembered_i18n import RememberedTranslateNode

ROOT = Path(settings.BASE_DIR)


def _template_names() -> list[str]:
    names = []
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        names += [str(path.relative_to(folder)) for path in folder.rglob("*.html")]
    return sorted(set(names))


def _translate_nodes(nodelist) -> list[RememberedTranslateNode]:
    found = []
    for node in nodelist:
        if isinstance(node, TranslateNode):
            found.append(node)
        for attribute in node.child_nodelists:
            found += _translate_nodes(getattr(node, attribute, None) or [])
    return found


def _every_translate_node() -> list[RememberedTranslateNode]:
    engine = engines["django"]
    nodes = []
    for name in _template_names():
        nodes += _translate_nodes(engine.get_template(name).template.nodelist)
    return nodes


def test_every_template_loads_the_remembering_library():
    nodes = _every_translate_node()
    assert len(nodes) > 500  # forestall's templates say most of their words this way
    assert all(type(node) is RememberedTranslateNode for node in nodes)
    assert sum(node.fixed for node in nodes) > 500


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_every_translate_tag_says_what_django_says(language, autoescape):
    nodes = _every_translate_node()
    with translation.override(language):
        for _round in range(2):  # the first render remembers, the second reads it back
            for node in nodes:
                ours, django = Context(autoescape=autoescape), Context(autoescape=autoescape)
                assert node.render(ours) == TranslateNode.render(node, django), node.token
                if node.asvar:
                    assert ours[node.asvar] == django[node.asvar]
                    assert type(ours[node.asvar]) is type(django[node.asvar])


def _german(words: str, context: str = "") -> str:
    with translation.override("de"):
        if context:
            return str(translation.pgettext(context, words))
        return str(translation.gettext(words))


def test_remembered_words_follow_the_language_and_escaping():
    template = engines["django"].from_string(
        '{% load i18n %}{% translate "Add note" %}|{% translate "Pathway" context "care pathway" %}'
        '|{% translate "Add note" as said %}{{ said }}|{% translate words %}'
        '|{% translate "Add note"|upper %}|{% autoescape off %}{% translate "x < y" %}'
        '{% endautoescape %}|{% translate "x < y" %}'
    )
    rendered = {}
    for language in ["en", "de", "en", "de"]:
        with translation.override(language):
            rendered[language] = template.render({"words": "Pathway"})
    # Words written in a template are the template's own (safe): never escaped.
    assert rendered["en"] == "Add note|Pathway|Add note|Pathway|ADD NOTE|x < y|x < y"
    assert rendered["de"] == "|".join(
        [
            "Notiz hinzufügen",
            _german("Pathway", "care pathway"),
            "Notiz hinzufügen",
            _german("Pathway"),
            "NOTIZ HINZUFÜGEN",
            "x < y",
            "x < y",
        ]
    )
    assert _german("Pathway", "care pathway") != "Pathway"


def test_changed_catalogues_forget_what_was_remembered():
    from forestall.templatetags import remembered_i18n

    template = engines["django"].from_string('{% load i18n %}{% translate "Add note" %}')
    with translation.override("de"):
        assert template.render({}) == "Notiz hinzufügen"
        before = remembered_i18n._current[0]
        # (Django forgets the active language too when the catalogues change.)
        with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
            assert remembered_i18n._current[0] != before
            with translation.override("de"):
                assert template.render({}) == "Notiz hinzufügen"


def test_the_template_check_still_finds_other_libraries_used_twice():
    from forestall.lib.template_backend import DjangoTemplates

    def backend(**libraries: str) -> DjangoTemplates:
        options = {"libraries": libraries}
        return DjangoTemplates({"NAME": "t", "DIRS": [], "APP_DIRS": False, "OPTIONS": options})

    assert backend(i18n="forestall.templatetags.remembered_i18n").check() == []
    found = backend(
        i18n="forestall.templatetags.remembered_i18n",
        static="forestall.templatetags.remembered_urls",
    ).check()
    assert [warning.id for warning in found] == ["templates.W003"]
    assert "'static'" in found[0].msg
