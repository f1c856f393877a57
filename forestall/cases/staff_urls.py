"""Staff-side URLs of the cases app (mounted at /staff/cases/)."""

from django.urls import path

from forestall.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<uuid:task_id>/done/", views.task_done, name="task_done"),
    path("waiting-list/", views.waiting_list, name="waiting_list"),
    path("waiting-list/<uuid:entry_id>/priority/", views.waiting_priority, name="priority"),
    path("agenda/", views.agenda, name="agenda"),
    path("appointments/<uuid:appointment_id>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<uuid:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("groups/", views.group_list, name="groups"),
    path("groups/<uuid:group_id>/", views.group_detail, name="group"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral"),
    path(
        "referrals/<uuid:referral_id>/withdraw/",
        views.referral_withdraw,
        name="referral_withdraw",
    ),
    path("clients/<uuid:client_id>/", views.client_detail, name="client"),
    path("<uuid:case_id>/", views.case_detail, name="case"),
    path("<uuid:case_id>/move/", views.case_transition, name="transition"),
    path("<uuid:case_id>/notes/", views.case_note, name="note"),
    path("<uuid:case_id>/tasks/", views.case_task, name="task"),
    path("<uuid:case_id>/appointments/", views.case_appointment, name="book"),
    path("<uuid:case_id>/refer/", views.case_refer, name="refer"),
    path("<uuid:case_id>/concern/", views.case_concern, name="concern"),
    path("<uuid:case_id>/reopen/", views.case_reopen, name="reopen"),
]
