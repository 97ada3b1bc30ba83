from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import m2m_changed

        from audit import receivers

        # Sign-ins come from Django's login, the admin's and (later) single sign-on alike, and
        # role changes from the admin, the shell or an identity provider's groups: the signals
        # are the one place all of them pass.
        user_logged_in.connect(receivers.signed_in, dispatch_uid="audit.signed_in")
        user_login_failed.connect(receivers.sign_in_failed, dispatch_uid="audit.sign_in_failed")
        m2m_changed.connect(
            receivers.roles_changed, sender=User.groups.through, dispatch_uid="audit.roles"
        )
