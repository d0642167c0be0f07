from django.urls import path

from . import views

app_name = "workspace"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/bell/", views.notification_bell, name="notification_bell"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path(
        "notifications/read-all/",
        views.notification_mark_all_read,
        name="notification_mark_all_read",
    ),
    path("todos/", views.todo_list, name="todo_list"),
    path("todos/<int:pk>/toggle/", views.todo_toggle, name="todo_toggle"),
]
