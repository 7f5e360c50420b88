from django.urls import path

from .views import ack, flag, patient, queue, teams

app_name = "alerts"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("ack/<str:token>/", ack.ack_link, name="ack"),
    path("flags/<int:pk>/", flag.flag_detail, name="flag"),
    path("flags/<int:pk>/acknowledge/", flag.acknowledge, name="acknowledge"),
    path("flags/<int:pk>/action/", flag.record_action, name="action"),
    path("flags/<int:pk>/resolve/", flag.resolve, name="resolve"),
    path("patients/<int:pk>/", patient.patient_timeline, name="patient"),
    path("missed/", queue.missed, name="missed"),
    path("teams/<int:pk>/figures/", teams.team_figures_page, name="figures"),
    path("teams/<int:pk>/contacts/", teams.contact_list, name="contacts"),
    path("teams/<int:pk>/contacts/edit/", teams.edit_contacts, name="edit_contacts"),
]
