from django.urls import path

from . import reminder_views, views

app_name = "patients"
urlpatterns = [
    path("", views.home, name="home"),
    path("baseline/", views.baseline, name="baseline"),
    path("check-in/", views.check_in, name="check_in"),
    path("check-ins/", views.check_in_list, name="check_ins"),
    path("check-ins/<int:pk>/", views.check_in_result, name="check_in_result"),
    path("contacts/", views.contacts, name="contacts"),
    path("questions/", views.questions, name="questions"),
    path("questions/suggested/", views.question_add_suggested, name="question_add_suggested"),
    path("questions/<int:pk>/asked/", views.question_asked, name="question_asked"),
    path("questions/<int:pk>/answer/", views.question_answer, name="question_answer"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("treatment/", views.treatment, name="treatment"),
    path("reminders/", reminder_views.reminder_settings, name="reminders"),
    path("reminders/stop/<str:token>/", reminder_views.stop_reminders, name="stop_reminders"),
]
