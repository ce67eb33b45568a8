from django.urls import path

from . import views

urlpatterns = [
    path("", views.export_list, name="export_list"),
    path("records/", views.export_records, name="export_records"),
]
