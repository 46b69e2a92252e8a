"""The rules for the name other members see.

A name must show something, fit in 60 characters, and not claim a role or speak for the site:
"Jo (facilitator)" or "Village team" would look exactly like the people members are told to
trust. Roles are shown by Village itself, as badges next to names.

The role check compares names in a reduced alphabet, so spacing, case, accents, digits for
letters ("V1llage"), and Cyrillic or Greek lookalikes ("Vіllage" with a Cyrillic і) all reduce
to the same word.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from config.text import collapse_spaces, is_blank, without_format_chars

MAX_DISPLAY_NAME_CHARS = 60

# Found anywhere in the name, even run together with other words ("VillageTeamJo").
CLAIMS_ANYWHERE = (
    "village",
    "facilitator",
    "moderator",
    "administrator",
    "official",
    "safeguarding",
)
# Short, everyday words: a claim only as a word of their own ("Staff", "Jo - admin"), so
# "Stafford" or "Steam" stay fine.
CLAIMS_AS_A_WORD = ("admin", "admins", "staff", "team", "mod", "mods")

_LOOKALIKES = str.maketrans(
    {
        # digits and symbols for letters
        "0": "o", "1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a",
        "5": "s", "$": "s", "7": "t", "8": "b", "9": "g",
        # letters read as one another: l and I look alike in many fonts
        "l": "i", "ı": "i",
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ӏ": "i", "ԛ": "q", "ԝ": "w", "ɡ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "μ": "m",
    }
)  # fmt: skip


def _reduce(text: str) -> str:
    """Lower case, no accents, lookalikes folded, "rn" read as "m", repeated letters once."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().translate(_LOOKALIKES).replace("rn", "m")
    return re.sub(r"(.)\1+", r"\1", text)


def _words(name: str) -> list[str]:
    """The name's words in the reduced alphabet; "S t a f f" is one word, as is "JoAdmin"'s
    second half ("Jo", "Admin")."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", without_format_chars(name))
    words = [w for w in re.split(r"[\W_]+", _reduce(name)) if w]
    merged: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1:
            run += word
            continue
        if run:
            merged.append(run)
            run = ""
        merged.append(word)
    if run:
        merged.append(run)
    return [re.sub(r"(.)\1+", r"\1", w) for w in merged]


_ANYWHERE = tuple(_reduce(term) for term in CLAIMS_ANYWHERE)
_AS_A_WORD = frozenset(_reduce(term) for term in CLAIMS_AS_A_WORD)


def claims_a_role(name: str) -> bool:
    """True when a name says its owner is a facilitator, moderator, staff or the site."""
    words = _words(name)
    joined = re.sub(r"(.)\1+", r"\1", "".join(words))
    return any(term in joined for term in _ANYWHERE) or any(w in _AS_A_WORD for w in words)


def clean_display_name(value: str | None) -> str:
    """The name tidied (one space between words); ValidationError with a kind message."""
    name = collapse_spaces(value)
    if is_blank(name):
        raise ValidationError(_("Please choose a name other members will see."), code="blank")
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        raise ValidationError(
            _("Please keep your name to %(n)s characters.") % {"n": MAX_DISPLAY_NAME_CHARS},
            code="too_long",
        )
    if claims_a_role(name):
        raise ValidationError(
            _(
                "Please choose a name that doesn't mention a role or Village itself, such as "
                "facilitator, moderator or team. Village shows people's roles next to their "
                "names, so members know who is who."
            ),
            code="claims_role",
        )
    return name
