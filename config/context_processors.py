def village(request):
    """Values every page needs: the bell's unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    def unread() -> int:
        from notifications.models import Notification

        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": unread}
