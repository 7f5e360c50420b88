from django.urls import path

from . import ack_views, views

app_name = "alerts"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("ack/<str:token>/", ack_views.ack_link, name="ack"),
    path("flags/<int:pk>/", views.flag_detail, name="flag"),
    path("flags/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("flags/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("patients/<int:pk>/", views.patient_timeline, name="patient"),
    path("missed/", views.missed, name="missed"),
]
