"""The page checks in ``tests/html_checks.py`` find what they are meant to find."""

from tests.html_checks import broken_id_references


def test_a_reference_to_an_id_that_is_not_on_the_page_is_found():
    page = (
        '<label for="id_lead">Lead</label><select id="id_lead" '
        'aria-describedby="id_lead_helptext"></select><p id="id_lead-help">Help</p>'
        '<button aria-labelledby="done-1 task-1">Done</button><span id="task-1">Call</span>'
        '<label for="nowhere">x</label><input id="done-1">'
    )
    assert broken_id_references(page) == [
        '<select aria-describedby="id_lead_helptext">',
        '<label for="nowhere">',
    ]


def test_a_page_whose_references_all_resolve_passes():
    page = (
        '<label for="a">A</label><input id="a" aria-describedby="a_help a_errors">'
        '<p id="a_help">help</p><div id="a_errors">error</div>'
    )
    assert broken_id_references(page) == []
