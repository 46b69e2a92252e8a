from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    """Extra fields for allauth's sign-up form."""

    display_name = forms.CharField(
        label=_("Your name in Village"),
        max_length=60,
        help_text=_("Other members see this name. A first name or a nickname is fine."),
    )

    field_order = ["display_name", "email", "password1", "password2"]

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
