from django.shortcuts import render

from groups import selectors


def home(request):
    """The member's groups when logged in; a welcome and the directory when not."""
    if request.user.is_authenticated:
        groups, pending = selectors.my_groups(user=request.user)
        return render(request, "home.html", {"my_groups": groups, "pending": pending})
    return render(request, "home.html", {"teaser": selectors.directory_teaser()})
