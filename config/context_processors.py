def village(request):
    """Values every page needs: the bell's unread count, where the source code is."""
    from config.source import source_code_url

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "source_code_url": source_code_url}

    def unread() -> int:
        from notifications.models import Notification

        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": unread, "source_code_url": source_code_url}
