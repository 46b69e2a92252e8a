def village(request):
    """Values every page needs: the bell's unread count; the opaque per-member id the offline
    copies are kept under (config.pwa.member_key); where the source code is."""
    from config.source import source_code_url

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "source_code_url": source_code_url}

    def unread() -> int:
        from notifications.models import Notification

        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    def offline_key() -> str:
        from config.pwa import member_key

        return member_key(user)

    return {
        "unread_notifications": unread,
        "member_key": offline_key,
        "source_code_url": source_code_url,
    }
