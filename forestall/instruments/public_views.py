"""Public side: answering a questionnaire inside the anonymous mailbox.

The front door mounts ``answer_in_mailbox`` under
``/mailbox/questionnaires/<uuid>/`` behind its own mailbox sign-in, passing the
signed-in ``Mailbox``; this module never looks at cookies or codenames.
Staff views live in ``staff_views.py``.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from forestall.instruments.actions import NotPending, complete_from_mailbox, pending_for_mailbox
from forestall.instruments.forms import instrument_form
from forestall.public.models import Mailbox


def answer_in_mailbox(
    request: HttpRequest, mailbox: Mailbox, administration_id: uuid.UUID
) -> HttpResponse:
    """Show a questionnaire waiting in ``mailbox`` and store the answers.

    Only pending questionnaires of this mailbox's client are found; anything
    else (answered, someone else's, unknown) is the same 404. Invalid answers
    answer 400 with the form, keeping what was chosen.
    """
    administration = get_object_or_404(pending_for_mailbox(mailbox), pk=administration_id)
    data = request.POST if request.method == "POST" else None
    form = instrument_form(
        administration.instrument,
        get_language() or mailbox.language,
        data=data,
        version=administration.version,
    )
    if data is not None:
        if form.is_valid():
            try:
                complete_from_mailbox(administration, form.answers)
            except NotPending:
                raise Http404 from None
            return render(request, "instruments/public_questionnaire.html", {"done": True})
        return render(request, "instruments/public_questionnaire.html", {"form": form}, status=400)
    return render(request, "instruments/public_questionnaire.html", {"form": form})
