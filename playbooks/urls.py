from django.urls import path

from playbooks import views

urlpatterns = [
    path("day/", views.my_day, name="my_day"),
    path("tasks/complete/", views.tasks_complete_view, name="tasks_complete"),
    path("tasks/undo/", views.tasks_undo_view, name="tasks_undo"),
    path("tasks/<int:task_id>/complete/", views.task_complete_view, name="task_complete"),
    path("tasks/<int:task_id>/snooze/", views.task_snooze_view, name="task_snooze"),
    path("tasks/<int:task_id>/reassign/", views.task_reassign_view, name="task_reassign"),
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/new/", views.playbook_edit, name="playbook_create"),
    path("playbooks/<int:playbook_id>/", views.playbook_detail, name="playbook_detail"),
    path("playbooks/<int:playbook_id>/edit/", views.playbook_edit, name="playbook_edit"),
    path("playbooks/<int:playbook_id>/dry-run/", views.playbook_dry_run, name="playbook_dry_run"),
    path("playbooks/<int:playbook_id>/active/", views.playbook_toggle, name="playbook_toggle"),
]
