"""Staff-side URLs of the safeguarding app (mounted at /staff/safeguarding/)."""

from django.urls import path

from forestall.safeguarding import views

app_name = "safeguarding"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("raised/", views.raised_by_me, name="raised"),
    path("<uuid:concern_id>/", views.concern_detail, name="concern"),
    path("<uuid:concern_id>/review/", views.concern_review, name="review"),
    path("<uuid:concern_id>/note/", views.concern_note, name="note"),
    path("<uuid:concern_id>/decide/", views.concern_decide, name="decide"),
    path("<uuid:concern_id>/approve/", views.concern_approve, name="approve"),
    path("<uuid:concern_id>/reject/", views.concern_reject, name="reject"),
    path("<uuid:concern_id>/disclosed/", views.concern_disclosed, name="disclosed"),
    path("<uuid:concern_id>/context/", views.concern_context, name="context"),
]
