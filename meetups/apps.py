from django.apps import AppConfig


class MeetupsConfig(AppConfig):
    name = "meetups"
    verbose_name = "Meetups"

    def ready(self) -> None:
        from accounts import privacy

        from . import privacy as meetups_privacy

        privacy.register("meetups", export=meetups_privacy.export, erase=meetups_privacy.erase)

        from notifications import links
        from notifications.models import Kind

        from . import tokens

        # Personal, signed one-tap answers in reminder and nudge emails.
        links.register(
            Kind.MEETUP_REMINDER, tokens.reminder_email_links, push=tokens.reminder_push_actions
        )
        links.register(Kind.MISSED_YOU, tokens.nudge_email_links, push=tokens.nudge_push_actions)
