from django.urls import path

from . import data_views, invitation_views, reminder_views, views

app_name = "patients"
urlpatterns = [
    path("", views.home, name="home"),
    path("baseline/", views.baseline, name="baseline"),
    path("welcome/", invitation_views.first_visit, name="first_visit"),
    path("carers/", invitation_views.carers, name="carers"),
    path("carers/<int:pk>/resend/", invitation_views.carer_resend, name="carer_resend"),
    path("carers/<int:pk>/revoke/", invitation_views.carer_revoke, name="carer_revoke"),
    path("carer/accept/<str:token>/", invitation_views.carer_accept, name="carer_accept"),
    path("caring-for/<int:pk>/", views.choose_patient, name="choose_patient"),
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
    path("my-data/", data_views.my_data, name="my_data"),
    path("my-data/export.json", data_views.export_as_json, name="my_data_json"),
    path("my-data/export.zip", data_views.export_as_csv, name="my_data_csv"),
]
