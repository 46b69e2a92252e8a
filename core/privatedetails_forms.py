"""The personal-details question on ordinary forms (profile "about me", meetup notes): the
form isn't saved the first time, the author alone is asked "Save anyway?", and everything
typed stays in the form. Pressing "Save anyway" (`private_ok=yes`) saves it as it is."""

from __future__ import annotations

from collections.abc import Iterable

from . import privatedetails


class PrivateDetailsFormMixin:
    """Mix into a Form; list the fields to check in `private_details_fields`, and who will
    see them in `private_details_audience` ("profile", "notes", "group")."""

    private_details_fields: tuple[str, ...] = ()
    private_details_audience = "group"

    def __init__(
        self, *args, private_details_skip: Iterable[str] = (), private_details_on=True, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self._private_skip = tuple(private_details_skip or ())
        self._private_on = private_details_on
        #: The question to ask, when the form was held back for it ("" otherwise).
        self.private_question = ""

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        if self.data.get("private_ok") == "yes":
            return True
        kinds: list[str] = []
        for name in self.private_details_fields:
            for kind in privatedetails.to_ask(
                self.cleaned_data.get(name), skip=self._private_skip, enabled=self._private_on
            ):
                if kind not in kinds:
                    kinds.append(kind)
        if kinds:
            ordered = [k for k in privatedetails.KINDS if k in kinds]
            self.private_question = privatedetails.question(
                ordered, self.private_details_audience
            )
            return False
        return True
