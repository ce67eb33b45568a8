from django.urls import path

from . import views_imports as views

urlpatterns = [
    path("", views.import_upload, name="import_upload"),
    path("<int:pk>/", views.import_review, name="import_review"),
    path("<int:pk>/discard/", views.import_discard, name="import_discard"),
]
