"""Forms parse and check what people type; writes happen in groups.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone

from .models import Group, Topic
from .services import MAX_ANSWER_CHARS


class DirectoryForm(forms.Form):
    q = forms.CharField(
        label=_("Group name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. Brierley Hill")}),
    )
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args, topics: list[Topic], areas: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("Any topic"))] + [(t.slug, t.name) for t in topics]
        self.fields["area"].choices = [("", _("Anywhere"))] + [(a, a) for a in areas]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"q": (self.data.get("q") or "")[:100]}
        return {k: self.cleaned_data.get(k) or "" for k in ("q", "topic", "area")}


class RequestForm(forms.Form):
    """One answer box per question the group asks."""

    def __init__(self, *args, questions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for i, question in enumerate(questions):
            self.fields[f"answer_{i}"] = forms.CharField(
                label=question,
                max_length=MAX_ANSWER_CHARS,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("Please answer this question.")},
            )

    def answers(self) -> list[str]:
        return [self.cleaned_data[f"answer_{i}"] for i in range(len(self.questions))]


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=_("A message for them (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RemoveForm(forms.Form):
    ban = forms.BooleanField(
        label=_("Don't let them join or ask to join again"),
        required=False,
    )


class InviteForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("The link works for"),
        coerce=int,
        initial=14,
        choices=[(1, _("1 day")), (7, _("1 week")), (14, _("2 weeks")), (30, _("30 days"))],
    )


class GroupForm(forms.ModelForm):
    question_1 = forms.CharField(label=_("Question 1"), required=False, max_length=200)
    question_2 = forms.CharField(label=_("Question 2"), required=False, max_length=200)
    question_3 = forms.CharField(label=_("Question 3"), required=False, max_length=200)
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Group
        fields = [
            "name", "description", "topics", "area", "meeting_mode", "visibility",
            "join_policy", "member_limit", "time_zone", "house_rules", "private_details_check",
        ]  # fmt: skip
        help_texts = {
            "description": _("A few warm sentences: who it's for and what happens."),
            "house_rules": _("Shown to everyone before they join."),
            "member_limit": _("Leave empty for no limit."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "house_rules": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        questions = list(self.instance.join_questions or []) if self.instance.pk else []
        for i, q in enumerate(questions[:3], start=1):
            self.fields[f"question_{i}"].initial = q
        self.fields["time_zone"].validators = [validate_time_zone]

    def questions(self) -> list[str]:
        return [self.cleaned_data.get(f"question_{i}", "") for i in (1, 2, 3)]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description", ""),
            "area": data.get("area", ""),
            "meeting_mode": data["meeting_mode"],
            "visibility": data["visibility"],
            "join_policy": data["join_policy"],
            "join_questions": self.questions(),
            "member_limit": data.get("member_limit"),
            "time_zone": data["time_zone"],
            "house_rules": data.get("house_rules", ""),
            "private_details_check": data.get("private_details_check", True),
        }
