from django import forms
from django.utils.translation import gettext_lazy as _

from config.village import village


class MessageForm(forms.Form):
    """The no-JavaScript composer, to draw it and keep what was typed. It checks nothing:
    the form posts a chat command (`chat.commands`), which says what is wrong in the same
    words as over the websocket."""

    body = forms.CharField(
        label=_("Your message"),
        max_length=village("CHAT_MAX_MESSAGE_CHARS"),
        widget=forms.Textarea(attrs={"rows": 2, "data-composer-input": ""}),
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Change your message"),
        max_length=village("CHAT_MAX_MESSAGE_CHARS"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
