from django.urls import path

from . import views_instruments as views

# /instruments/<id>/<version>/quality/ belongs to the assessments app.
urlpatterns = [
    path("", views.instrument_list, name="instrument_list"),
    path("<slug:instrument_id>/<str:version>/xlsform/", views.instrument_xlsform,
         name="instrument_xlsform"),
]
