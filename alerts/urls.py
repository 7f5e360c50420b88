from django.urls import path

from . import ack_views, contact_views, figures_views, flag_views, views

app_name = "alerts"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("ack/<str:token>/", ack_views.ack_link, name="ack"),
    path("flags/<int:pk>/", flag_views.flag_detail, name="flag"),
    path("flags/<int:pk>/acknowledge/", flag_views.acknowledge, name="acknowledge"),
    path("flags/<int:pk>/action/", flag_views.record_action, name="action"),
    path("flags/<int:pk>/resolve/", flag_views.resolve, name="resolve"),
    path("patients/<int:pk>/", views.patient_timeline, name="patient"),
    path("missed/", views.missed, name="missed"),
    path("teams/<int:pk>/figures/", figures_views.team_figures_page, name="figures"),
    path("teams/<int:pk>/contacts/", contact_views.contact_list, name="contacts"),
    path("teams/<int:pk>/contacts/edit/", contact_views.edit_contacts, name="edit_contacts"),
]
