from django.urls import path

from .views import carers, check_in, contacts, history, home, my_data, notebook, reminders, summary

app_name = "patients"
urlpatterns = [
    # Home, and where a first visit or a carer of several patients starts
    path("", home.home, name="home"),
    path("welcome/", home.first_visit, name="first_visit"),
    path("caring-for/<int:pk>/", home.choose_patient, name="choose_patient"),
    # The usual, the check-in, and what was said after it
    path("baseline/", check_in.baseline, name="baseline"),
    path("check-in/", check_in.check_in, name="check_in"),
    path("check-ins/<int:pk>/", check_in.check_in_result, name="check_in_result"),
    path("check-ins/", history.check_in_list, name="check_ins"),
    # Who to phone, and the treatment
    path("contacts/", contacts.contacts, name="contacts"),
    path("treatment/", contacts.treatment, name="treatment"),
    # The notebook
    path("questions/", notebook.questions, name="questions"),
    path("questions/suggested/", notebook.question_add_suggested, name="question_add_suggested"),
    path("questions/<int:pk>/asked/", notebook.question_asked, name="question_asked"),
    path("questions/<int:pk>/answer/", notebook.question_answer, name="question_answer"),
    path("questions/<int:pk>/delete/", notebook.question_delete, name="question_delete"),
    # The clinic summary: one page to print before an appointment
    path("summary/", summary.summary, name="summary"),
    # Carers
    path("carers/", carers.carers, name="carers"),
    path("carers/<int:pk>/resend/", carers.carer_resend, name="carer_resend"),
    path("carers/<int:pk>/revoke/", carers.carer_revoke, name="carer_revoke"),
    path("carer/accept/<str:token>/", carers.carer_accept, name="carer_accept"),
    # Reminders, and the data the service holds
    path("reminders/", reminders.reminder_settings, name="reminders"),
    path("reminders/stop/<str:token>/", reminders.stop_reminders, name="stop_reminders"),
    path("reminders/sms-card/", reminders.sms_card, name="sms_card"),
    path("my-data/", my_data.my_data, name="my_data"),
    path("my-data/export.json", my_data.export_as_json, name="my_data_json"),
    path("my-data/export.zip", my_data.export_as_csv, name="my_data_csv"),
]
