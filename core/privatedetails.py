"""Does a piece of text include personal details that are risky to share with a group?

A pure check (no models, no database, no logging): `find(text)` answers with the *kinds* it
saw, never the details themselves, so callers can ask the author "send anyway?" and store
nothing. Used before a chat message is sent (chat.commands), and on profile "about me" and
meetup notes. It leans towards asking: a gentle question too many is cheaper than a phone
number in a room of 40. What it looks for, and what it deliberately leaves alone (times,
prices, room numbers, years, helpline numbers), is in docs/safeguarding.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PHONE = "phone"
EMAIL = "email"
POSTCODE = "postcode"
ADDRESS = "address"
SCHOOL = "school"
CARD = "card"
BANK = "bank"
NI_NUMBER = "ni_number"

#: Every kind, in the order they are named to the member.
KINDS: tuple[str, ...] = (PHONE, EMAIL, POSTCODE, ADDRESS, SCHOOL, CARD, BANK, NI_NUMBER)

#: How each kind is named in "This message includes ..." (and in "don't ask me again for ...").
NAMES = {
    PHONE: gettext_lazy("a phone number"),
    EMAIL: gettext_lazy("an email address"),
    POSTCODE: gettext_lazy("a postcode"),
    ADDRESS: gettext_lazy("a street address"),
    SCHOOL: gettext_lazy("a child's school or nursery"),
    CARD: gettext_lazy("a card number"),
    BANK: gettext_lazy("bank account details"),
    NI_NUMBER: gettext_lazy("a National Insurance number"),
}
PLURAL_NAMES = {
    PHONE: gettext_lazy("phone numbers"),
    EMAIL: gettext_lazy("email addresses"),
    POSTCODE: gettext_lazy("postcodes"),
    ADDRESS: gettext_lazy("street addresses"),
    SCHOOL: gettext_lazy("schools and nurseries"),
    CARD: gettext_lazy("card numbers"),
    BANK: gettext_lazy("bank details"),
    NI_NUMBER: gettext_lazy("National Insurance numbers"),
}
CHOICES = [(k, format_lazy("{}", PLURAL_NAMES[k])) for k in KINDS]

# --- phone numbers: Google's libphonenumber, as the `phonenumbers` package ---------------------

#: Numbers that belong to a person or a home. Freephone, shared-cost and premium numbers are
#: helplines and businesses (Childline's 0800 1111 is fine to share).
_PERSONAL_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.VOIP,
}


#: How many candidate numbers one message may cost the matcher (a long message of digit groups
#: would otherwise make it try each: tens of milliseconds of CPU per send).
_PHONE_TRIES = 40


def _has_phone(text: str) -> bool:
    if sum(c.isdigit() for c in text) < 7:  # no personal number is shorter (999, 116 123 aren't)
        return False
    matcher = phonenumbers.PhoneNumberMatcher(
        text, "GB", leniency=phonenumbers.Leniency.POSSIBLE, max_tries=_PHONE_TRIES
    )
    for match in matcher:
        number = match.number
        if phonenumbers.is_valid_number(number):
            if phonenumbers.number_type(number) in _PERSONAL_TYPES:
                return True
            continue
        # Not a number in service, but shaped like a UK mobile or landline (10 digits after
        # the 0 or +44, such as Ofcom's ranges for drama): still somebody's number to the reader.
        national = str(number.national_number)
        raw = match.raw_string.lstrip("(")
        if (
            number.country_code == 44
            and len(national) == 10
            and national[0] in "127"
            and (raw.startswith("0") or raw.startswith("+"))
        ):
            return True
    return False


# --- the rest: patterns --------------------------------------------------------------------------

# The local part is bounded and must start where a word starts: an unbounded `[\w.+-]+@` tries
# every position of a long run of letters against the whole rest of it (quadratic).
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[a-z]{2,24}", re.IGNORECASE
)

# A full UK postcode (outward and inward code). "b4 8am" is a chat shorthand, not a postcode.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)

_STREET = (
    r"(?:Road|Rd|Street|Avenue|Ave|Lane|Close|Drive|Crescent|Gardens|Grove|Terrace|Mews|"
    r"Way|Place|Court|Square|Row|Parade|Walk|Rise|Hill|Park|View|Green|Vale|Wharf)"
)
# "14 Elm Road", "22b Church Lane", "Flat 3, 9 Mill Street": a number, capitalised words, a
# street word. Lower case only after "I live at", "my address is" and the like, so that
# "2 hours down the road" is left alone.
_ADDRESS = re.compile(
    rf"\b\d{{1,4}}[a-zA-Z]?,?\s+(?:[A-Z][\w']+\s+){{1,3}}{_STREET}\b"
    rf"|\b(?:[Ll]ive (?:at|on)|[Aa]ddress(?: is)?:?|[Hh]ouse is (?:at|on)|[Cc]ome round to)\s+"
    rf"(?:[Ff]lat \d+,?\s+)?\d{{1,4}}[a-zA-Z]?,?\s+(?:[\w']+\s+){{0,3}}(?i:{_STREET})\b"
)

_CHILD = re.compile(
    r"\b(?:son|sons|daughter|daughters|child|children|kid|kids|boy|girl|twins|toddler|"
    r"little one|lo|ds|dd|stepson|stepdaughter|grandson|granddaughter|"
    r"year \d{1,2}|reception class|in reception)\b",
    re.IGNORECASE,
)
_SCHOOL_WORD = (
    r"(?:Primary|Junior|Juniors|Infant|Infants|Nursery|Academy|School|High|Preschool|"
    r"Pre-school|Playgroup|College|Montessori|C of E|CofE|RC|Federation)"
)
_SCHOOL_NAME = re.compile(
    r"\b(?:St\.?|Saint)\s+[A-Z][\w']+"  # St Mary's, St. Joseph's
    rf"|\b[A-Z][\w']+(?:\s+[A-Z][\w']+){{0,3}}\s+{_SCHOOL_WORD}\b"  # Oakfield Primary
    r"|\b(?:goes to|go to|attends|attend|started at|starts at|is at|moved to|got into)\s+"
    r"(?:the\s+)?[A-Z][\w']+(?:\s+[A-Z][\w']+){0,2}'s\b"  # goes to Bishop Road's
)

# 13 to 19 digits, in groups: a card number only if its Luhn check digit is right.
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")

_SORT_CODE = re.compile(r"(?<![\d-])\d{2}[- ]\d{2}[- ]\d{2}(?![\d-])")
_ACCOUNT = re.compile(r"(?<![\d-])\d{8}(?![\d-])")
_SORT_WORD = re.compile(r"\bsort\s*code\b\W{0,3}\d{2}[- ]?\d{2}[- ]?\d{2}\b", re.IGNORECASE)
_ACCOUNT_WORD = re.compile(r"\bacc(?:oun)?t\.?\s*(?:no\.?|number)?\W{0,3}\d{8}\b", re.IGNORECASE)

# National Insurance number: two letters (not D, F, I, Q, U, V; no O second; not BG, GB, KN,
# NK, NT, TN, ZZ), six digits, A to D.
_NINO = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TY-Z][A-CEGHJ-NPR-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    re.IGNORECASE,
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _has_card(text: str) -> bool:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and _luhn(digits):
            return True
    return False


def _has_bank(text: str) -> bool:
    if _SORT_WORD.search(text) or _ACCOUNT_WORD.search(text):
        return True
    return bool(_SORT_CODE.search(text) and _ACCOUNT.search(text))


def _has_postcode(text: str) -> bool:
    for m in _POSTCODE.finditer(text):
        inward = m.group()[-3:].lower()
        if inward[1:] in ("am", "pm"):  # "b4 8am", "see you 2 2pm"
            continue
        return True
    return False


def _has_school(text: str) -> bool:
    return bool(_CHILD.search(text) and _SCHOOL_NAME.search(text))


def find(text: str | None) -> tuple[str, ...]:
    """The kinds of personal detail in `text`, in KINDS order (empty if none)."""
    if not text or not text.strip():
        return ()
    found = {
        PHONE: _has_phone(text),
        EMAIL: "@" in text and bool(_EMAIL.search(text)),
        POSTCODE: _has_postcode(text),
        ADDRESS: bool(_ADDRESS.search(text)),
        SCHOOL: _has_school(text),
        CARD: _has_card(text),
        BANK: _has_bank(text),
        NI_NUMBER: bool(_NINO.search(text)),
    }
    return tuple(k for k in KINDS if found[k])


def clean_kinds(values: Iterable) -> list[str]:
    """Only known kinds, each once, in KINDS order (for stored "don't ask me again" choices)."""
    wanted = {v for v in values if isinstance(v, str)}
    return [k for k in KINDS if k in wanted]


def _join(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(most)s and %(last)s") % {"most": ", ".join(names[:-1]), "last": names[-1]}


#: Who will see it, by where it is being shared.
AUDIENCES = {
    "group": gettext_lazy("Everyone in the group will see it."),
    "checkin": gettext_lazy("The group's facilitators will see it."),
    "profile": gettext_lazy("Other members can see your profile."),
}


def question(kinds: Iterable[str], audience: str = "group") -> str:
    """"This message includes a phone number. Everyone in the group will see it. Send anyway?\""""
    names = [str(NAMES[k]) for k in kinds if k in NAMES]
    what = _join(names) if names else _("personal details")
    if audience == "notes":
        return _(
            "These notes include %(what)s. Everyone in the group will see them. Save anyway?"
        ) % {"what": what}
    if audience == "profile":
        return _("This includes %(what)s. %(who)s Save anyway?") % {
            "what": what,
            "who": AUDIENCES["profile"],
        }
    return _("This message includes %(what)s. %(who)s Send anyway?") % {
        "what": what,
        "who": AUDIENCES.get(audience, AUDIENCES["group"]),
    }


def to_ask(text: str | None, *, skip: Iterable[str] = (), enabled: bool = True) -> tuple[str, ...]:
    """The kinds to ask the author about: what `find` saw, less those they said not to ask
    about again (`skip`); nothing when the check is turned off (`enabled`)."""
    if not enabled:
        return ()
    skipped = set(skip or ())
    return tuple(k for k in find(text) if k not in skipped)
