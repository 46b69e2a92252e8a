from django import forms
from django.utils.translation import gettext_lazy as _

from config.village import village


class MessageForm(forms.Form):
    """The no-JavaScript composer. The service does the real checks; this keeps the text."""

    body = forms.CharField(
        label=_("Your message"),
        max_length=village("CHAT_MAX_MESSAGE_CHARS"),
        widget=forms.Textarea(attrs={"rows": 2, "data-composer-input": ""}),
        error_messages={
            "required": _("Your message is empty. Type something first."),
            "max_length": _("That message is a little long: please keep it under 4000 characters."),
        },
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Change your message"),
        max_length=village("CHAT_MAX_MESSAGE_CHARS"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
