from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("", views.home, name="home"),
    path("baseline/", views.baseline, name="baseline"),
    path("check-in/", views.check_in, name="check_in"),
    path("check-ins/", views.check_in_list, name="check_ins"),
    path("check-ins/<int:pk>/", views.check_in_result, name="check_in_result"),
    path("contacts/", views.contacts, name="contacts"),
]
