"""The staff console's pages, mounted under /admin/console/ (config/urls.py), each behind the admin's login."""

from django.contrib import admin
from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("dashboard/", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("export/", admin.site.admin_view(views.export_all), name="export"),
    path("import/", admin.site.admin_view(views.import_upload), name="import"),
    path("import/<int:pk>/", admin.site.admin_view(views.import_preview), name="import_preview"),
]
