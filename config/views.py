from django.shortcuts import render


def home(request):
    """The member's groups when logged in; a welcome and the directory when not."""
    return render(request, "home.html", {})
