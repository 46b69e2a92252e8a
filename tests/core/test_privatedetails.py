"""The personal-details check: what it asks about, and what it leaves alone."""

import pytest

from core import privatedetails as pd
from core.privatedetails import ADDRESS, BANK, CARD, EMAIL, NI_NUMBER, PHONE, POSTCODE, SCHOOL

POSITIVES = [
    # UK phone numbers, in the ways people write them
    ("Call me on 07911 123456", PHONE),
    ("my number is 07911123456", PHONE),
    ("text me 07911-123-456 any time", PHONE),
    ("+44 7911 123456 is my mobile", PHONE),
    ("+447911123456", PHONE),
    ("0044 7911 123456 (whatsapp)", PHONE),
    ("ring the house on 020 7946 0018", PHONE),
    ("landline (0161) 496 0000", PHONE),
    ("0113 496 0123 after 6", PHONE),
    ("my mobile's 07700 900123", PHONE),
    ("tel: 01632 960 001", PHONE),
    ("07911 123 456 - message me x", PHONE),
    # email addresses
    ("email me at sam.jones@example.com", EMAIL),
    ("SAM+village@Example.co.uk", EMAIL),
    ("my address is jo_b@mail.example.org if you want to chat", EMAIL),
    # postcodes
    ("we're in SW1A 1AA", POSTCODE),
    ("near M1 1AE", POSTCODE),
    ("postcode is ls6 2qd", POSTCODE),
    ("B33 8TH", POSTCODE),
    ("CR2 6XH is ours", POSTCODE),
    ("EC1A1BB", POSTCODE),
    # street addresses
    ("I'm at 14 Elm Road", ADDRESS),
    ("come to 22b Church Lane tomorrow", ADDRESS),
    ("Flat 3, 9 Mill Street", ADDRESS),
    ("we live at 7 the old orchard close", ADDRESS),
    ("my address is 41 station road", ADDRESS),
    ("it's 120 Kings Avenue, by the shop", ADDRESS),
    ("5 Rosehill Gardens", ADDRESS),
    # a school or nursery with a child
    ("my son goes to St Mary's", SCHOOL),
    ("My daughter is at Oakfield Primary", SCHOOL),
    ("our little one started at Busy Bees Nursery", SCHOOL),
    ("the twins are at St. Joseph's now", SCHOOL),
    ("Amelia is in year 2 at Hillside Infants", SCHOOL),
    ("my kids go to Greenway Academy", SCHOOL),
    # card numbers (Luhn-valid test cards)
    ("card 4111 1111 1111 1111 exp 09/27", CARD),
    ("5555555555554444", CARD),
    ("use 4012-8888-8888-1881", CARD),
    ("amex 3782 822463 10005", CARD),
    # bank details
    ("sort code 20-00-00 account 12345678", BANK),
    ("20-32-06 73849201 if you want to chip in", BANK),
    ("Sort code: 401276, acc no 91234567", BANK),
    ("account number 55779911", BANK),
    # National Insurance numbers
    ("my NI is JK 12 34 56 C", NI_NUMBER),
    ("AB123456C", NI_NUMBER),
    ("ni number jg 10 37 63 a", NI_NUMBER),
]

NEGATIVES = [
    # times and dates
    "See you at 19:30",
    "meetup is 10:30-12:00 on Saturday",
    "it runs 7.30pm till 9pm",
    "on 12/05/2024 we had a party",
    "12-05-24 was the day it all changed",
    "b4 8am the house is chaos",
    "see you 2 2pm then",
    # prices and counts
    "it cost £12.50 for the lot",
    "raised £1,250 for the hospice!",
    "we did 3000 steps today",
    "I've waited 45 minutes",
    "between 100 and 200 people came",
    "1 2 3 4 5 6 7 8 9 10 - counting to calm down",
    "that's 12345 points on the app",
    "order 1234567 arrived",
    # rooms, years, ages
    "we're in room 101 this week",
    "Room 2012, second floor",
    "back in 2019 I felt the same",
    "she was born in 2021 and is 3 now",
    "year 2 is hard for him",
    "my son is 7",
    # helplines are fine to share
    "Samaritans are on 116 123, free",
    "Childline 0800 1111",
    "call 999 if anyone is in danger",
    "NHS 111 helped us",
    # schools and places without the risky pairing
    "my son goes to school tomorrow at last",
    "my daughter loves nursery",
    "my son goes to bed at 7",
    "St Mary's hospital was great with us",
    "Oakfield Primary had a fire drill on the news",
    # streets without a number, roads in passing
    "it took 2 hours down the road",
    "walked 3 miles in the park",
    "we live near a busy road",
    # things that look a bit like the rest
    "the ratio was 20-00-00 somehow",
    "I scored 4111 1111 1111 1112",
    "our wifi is 0000 0000 0000 0000",
    "email me here in the chat instead",
    "@sam thanks!",
    "AB12 is my car's name",
    "M25 was awful",
    "QQ 12 is a game",
    "",
    "   ",
]


def test_the_tables_are_big_enough():
    assert len(POSITIVES) >= 40 and len(NEGATIVES) >= 40


@pytest.mark.parametrize("text, kind", POSITIVES)
def test_it_asks_about(text, kind):
    assert kind in pd.find(text), pd.find(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_it_leaves_alone(text):
    assert pd.find(text) == ()


def test_several_kinds_are_named_in_order():
    kinds = pd.find("I'm sam@example.com, 07911 123456, at 14 Elm Road, SW1A 1AA")
    assert kinds == (PHONE, EMAIL, POSTCODE, ADDRESS)
    assert pd.question(kinds) == (
        "This message includes a phone number, an email address, a postcode and a street "
        "address. Everyone in the group will see it. Send anyway?"
    )


def test_the_question_names_who_will_see_it():
    assert pd.question([PHONE]) == (
        "This message includes a phone number. Everyone in the group will see it. Send anyway?"
    )
    assert "facilitators will see it" in pd.question([PHONE], "checkin")
    assert pd.question([EMAIL], "profile").endswith("Save anyway?")
    assert "Everyone in the group will see them" in pd.question([EMAIL], "notes")


def test_clean_kinds_keeps_only_known_kinds():
    assert pd.clean_kinds(["email", "phone", "nonsense", 3, "phone"]) == [PHONE, EMAIL]


def test_the_module_is_pure():
    """No models and no database: chat, accounts and meetups all call it."""
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(pd.__file__).read_text())
    names = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n])
    }
    assert not {m for m in names if m and (m.startswith("django.db") or ".models" in m)}
