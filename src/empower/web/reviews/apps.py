from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "empower.web.reviews"
    label = "reviews"
    verbose_name = "Evidence reviews"
