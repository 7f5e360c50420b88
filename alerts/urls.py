from django.urls import include, path

from .views import ack, enrolment, flag, patient, phone, queue, sms, summary, teams

app_name = "alerts"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("missed/", queue.missed, name="missed"),
    path("ack/<str:token>/", ack.ack_link, name="ack"),
    path("patients/<int:pk>/", patient.patient_timeline, name="patient"),
    path("patients/", phone.patient_search, name="patient_search"),
    path("patients/<int:pk>/call/", phone.call, name="call"),
    path("patients/<int:pk>/call/preview/", phone.call_preview, name="call_preview"),
    path("patients/<int:pk>/summary/", summary.patient_summary, name="patient_summary"),
    path("patients/<int:pk>/welcome-letter/", enrolment.letter, name="welcome_letter"),
    path("patients/<int:pk>/sms-card/", sms.patient_sms_card, name="patient_sms_card"),
    path("patients/<int:pk>/sms-code/", sms.text_code_again, name="text_sms_code"),
    path("enrol/", enrolment.enrol, name="enrol"),
    path(
        "flags/<int:pk>/",
        include(
            [
                path("", flag.flag_detail, name="flag"),
                path("acknowledge/", flag.acknowledge, name="acknowledge"),
                path("action/", flag.record_action, name="action"),
                path("resolve/", flag.resolve, name="resolve"),
            ]
        ),
    ),
    path(
        "teams/<int:pk>/",
        include(
            [
                path("contacts/", teams.contact_list, name="contacts"),
                path("contacts/edit/", teams.edit_contacts, name="edit_contacts"),
                path("figures/", teams.team_figures_page, name="figures"),
            ]
        ),
    ),
]
