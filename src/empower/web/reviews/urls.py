from django.urls import path

from . import views_protocol as protocol
from . import views_work as work

urlpatterns = [
    path("", protocol.project_list, name="review_list"),
    path("new/", protocol.project_create, name="review_create"),
    path("<int:pk>/", protocol.project_detail, name="review_detail"),
    path("<int:pk>/criteria/", protocol.criterion_add, name="review_criterion_add"),
    path("<int:pk>/searches/", protocol.search_add, name="review_search_add"),
    path("<int:pk>/import/", work.import_records, name="review_import"),
    path("<int:pk>/duplicates/", work.duplicates, name="review_duplicates"),
    path("<int:pk>/screen/", work.screen, name="review_screen"),
    path("<int:pk>/conflicts/", work.conflicts, name="review_conflicts"),
    path("<int:pk>/full-text/", work.full_text, name="review_full_text"),
    path("<int:pk>/full-text/seek/", work.send_to_full_text, name="review_seek"),
    path("<int:pk>/prisma/", work.prisma_view, name="review_prisma"),
    path("<int:pk>/synthesis/", work.themes, name="review_themes"),
    path("<int:pk>/download/<str:what>", work.download, name="review_download"),
]
