from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from accounts import sessions

        user_model = get_user_model()
        user_logged_in.connect(sessions.session_stamp, dispatch_uid="accounts.session_stamp")
        user_logged_out.connect(sessions.session_forget, dispatch_uid="accounts.session_forget")
        # A user's sessions end when their password changes or they lose a role.
        pre_save.connect(sessions.user_before_save, sender=user_model, dispatch_uid="ns.user_pre")
        post_save.connect(sessions.user_after_save, sender=user_model, dispatch_uid="ns.user_post")
        m2m_changed.connect(
            sessions.groups_changed, sender=user_model.groups.through, dispatch_uid="ns.groups"
        )
