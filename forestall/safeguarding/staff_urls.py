"""Staff-side URLs of the safeguarding app (mounted at /staff/safeguarding/)."""

from django.urls import path

from forestall.safeguarding import staff_views

app_name = "safeguarding"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("raised/", staff_views.raised_by_me, name="raised"),
    path("<uuid:concern_id>/", staff_views.concern_detail, name="concern"),
    path("<uuid:concern_id>/review/", staff_views.concern_review, name="review"),
    path("<uuid:concern_id>/note/", staff_views.concern_note, name="note"),
    path("<uuid:concern_id>/decide/", staff_views.concern_decide, name="decide"),
    path("<uuid:concern_id>/approve/", staff_views.concern_approve, name="approve"),
    path("<uuid:concern_id>/reject/", staff_views.concern_reject, name="reject"),
    path("<uuid:concern_id>/disclosed/", staff_views.concern_disclosed, name="disclosed"),
    path("<uuid:concern_id>/context/", staff_views.concern_context, name="context"),
]
