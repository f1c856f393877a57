"""Staff-side URLs of the inbox app (mounted under /staff/inbox/)."""

from django.urls import path

from forestall.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("next/", views.claim_next, name="claim_next"),
    path("contacts/new/", views.log_contact, name="contact_new"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/<uuid:template_id>/", views.template_edit, name="template_edit"),
    path("<uuid:conversation_id>/", views.conversation_detail, name="conversation"),
    path("<uuid:conversation_id>/claim/", views.claim, name="claim"),
    path("<uuid:conversation_id>/release/", views.release, name="release"),
    path("<uuid:conversation_id>/reply/", views.reply, name="reply"),
    path("<uuid:conversation_id>/notes/", views.add_note, name="add_note"),
    path("<uuid:conversation_id>/flag/", views.flag, name="flag"),
    path("<uuid:conversation_id>/summary/", views.save_summary, name="summary"),
    path(
        "<uuid:conversation_id>/protective-actions/",
        views.protective_action,
        name="protective_action",
    ),
    path("<uuid:conversation_id>/refer/", views.refer, name="refer"),
    path("<uuid:conversation_id>/draft/", views.keep_draft, name="keep_draft"),
    path("<uuid:conversation_id>/insert-template/", views.insert_template, name="insert_template"),
    path("<uuid:conversation_id>/close/", views.close, name="close"),
    path("<uuid:conversation_id>/reopen/", views.reopen, name="reopen"),
    path("<uuid:conversation_id>/concern/", views.raise_concern, name="concern"),
]
