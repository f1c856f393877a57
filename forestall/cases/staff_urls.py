"""Staff-side URLs of the cases app (mounted at /staff/cases/)."""

from django.urls import path

from forestall.cases import staff_views

app_name = "cases"
urlpatterns = [
    path("", staff_views.case_list, name="list"),
    path("new/", staff_views.case_new, name="new"),
    path("break-glass/", staff_views.break_glass, name="break_glass"),
    path("tasks/", staff_views.task_list, name="tasks"),
    path("tasks/<uuid:task_id>/done/", staff_views.task_done, name="task_done"),
    path("tasks/<uuid:task_id>/take/", staff_views.task_take, name="task_take"),
    path("waiting-list/", staff_views.waiting_list, name="waiting_list"),
    path("waiting-list/<uuid:entry_id>/priority/", staff_views.waiting_priority, name="priority"),
    path("agenda/", staff_views.agenda, name="agenda"),
    path("appointments/<uuid:appointment_id>/", staff_views.appointment_detail, name="appointment"),
    path(
        "appointments/<uuid:appointment_id>/cancel/",
        staff_views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("groups/", staff_views.group_list, name="groups"),
    path("groups/<uuid:group_id>/", staff_views.group_detail, name="group"),
    path("referrals/", staff_views.referral_list, name="referrals"),
    path("referrals/<uuid:referral_id>/", staff_views.referral_detail, name="referral"),
    path(
        "referrals/<uuid:referral_id>/withdraw/",
        staff_views.referral_withdraw,
        name="referral_withdraw",
    ),
    path("clients/<uuid:client_id>/", staff_views.client_detail, name="client"),
    path("<uuid:case_id>/", staff_views.case_detail, name="case"),
    path("<uuid:case_id>/move/", staff_views.case_transition, name="transition"),
    path("<uuid:case_id>/notes/", staff_views.case_note, name="note"),
    path("<uuid:case_id>/tasks/", staff_views.case_task, name="task"),
    path("<uuid:case_id>/lead/", staff_views.case_lead, name="lead"),
    path("<uuid:case_id>/appointments/", staff_views.case_appointment, name="book"),
    path("<uuid:case_id>/refer/", staff_views.case_refer, name="refer"),
    path("<uuid:case_id>/concern/", staff_views.case_concern, name="concern"),
    path("<uuid:case_id>/reopen/", staff_views.case_reopen, name="reopen"),
]
