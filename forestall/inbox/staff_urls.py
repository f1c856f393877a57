"""Staff-side URLs of the inbox app (mounted under /staff/inbox/)."""

from django.urls import path

from forestall.inbox import staff_views

app_name = "inbox"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("next/", staff_views.claim_next, name="claim_next"),
    path("contacts/new/", staff_views.log_contact, name="contact_new"),
    path("templates/", staff_views.template_list, name="templates"),
    path("templates/new/", staff_views.template_edit, name="template_new"),
    path("templates/<uuid:template_id>/", staff_views.template_edit, name="template_edit"),
    path("<uuid:conversation_id>/", staff_views.conversation_detail, name="conversation"),
    path("<uuid:conversation_id>/claim/", staff_views.claim, name="claim"),
    path("<uuid:conversation_id>/release/", staff_views.release, name="release"),
    path("<uuid:conversation_id>/reply/", staff_views.reply, name="reply"),
    path("<uuid:conversation_id>/notes/", staff_views.add_note, name="add_note"),
    path("<uuid:conversation_id>/flag/", staff_views.flag, name="flag"),
    path("<uuid:conversation_id>/summary/", staff_views.save_summary, name="summary"),
    path(
        "<uuid:conversation_id>/protective-actions/",
        staff_views.protective_action,
        name="protective_action",
    ),
    path("<uuid:conversation_id>/refer/", staff_views.refer, name="refer"),
    path("<uuid:conversation_id>/draft/", staff_views.keep_draft, name="keep_draft"),
    path(
        "<uuid:conversation_id>/insert-template/",
        staff_views.insert_template,
        name="insert_template",
    ),
    path("<uuid:conversation_id>/close/", staff_views.close, name="close"),
    path("<uuid:conversation_id>/reopen/", staff_views.reopen, name="reopen"),
    path("<uuid:conversation_id>/concern/", staff_views.raise_concern, name="concern"),
]
