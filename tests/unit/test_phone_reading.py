"""Reading a phone number: console.compliance.rules.read_phone gives phonenumbers' own answer, in every format.

read_phone reads North American shapes without phonenumbers' parser and works out validity, type and zones
once; this holds it to the library's four public calls on numbers generated in every format a list holds.
"""
import os

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import geocoder, timezone

from console.compliance.rules import (InvalidPhoneNumber, area_states, area_states_from_geocoder, infer_time_zones,
                                      read_phone, state_code)


def reference(raw: str, region: str):
    """What phonenumbers' public API says: (E.164, zones), or None for a number that is not valid."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    zones = tuple(zone for zone in timezone.time_zones_for_number(number) if zone != timezone.UNKNOWN_TIMEZONE)
    state = None
    if number.country_code == 1 and phonenumbers.is_number_geographical(number):
        description = geocoder.description_for_number(number, "en")
        state = state_code(description.rsplit(", ", 1)[-1]) or state_code(description)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), zones, state


def ours(raw: str, region: str):
    try:
        facts = read_phone(raw, region)
    except InvalidPhoneNumber:
        return None
    return facts.e164, facts.zones, facts.state


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
separator = st.sampled_from(["", " ", "-", ".", " - ", "  "])
nanp = st.builds(
    lambda prefix, area, open_, close, sep1, exchange, sep2, line: f"{prefix}{open_}{area}{close}{sep1}{exchange}{sep2}{line}",
    st.sampled_from(["", "1", "1 ", "1-", "+1", "+1 ", "+1-", "+ 1 ", " ", "001 ", "+"]),
    st.integers(0, 999).map(lambda n: f"{n:03d}"),
    st.sampled_from(["", "("]), st.sampled_from(["", ")", ") "]), separator,
    st.integers(0, 999).map(lambda n: f"{n:03d}"), separator, st.integers(0, 9999).map(lambda n: f"{n:04d}"))
other = st.one_of(
    st.text(alphabet="0123456789 +-().x", max_size=20),
    st.sampled_from(["+44 20 7946 0958", "+33 1 42 68 53 00", "020 7946 0958", "1-800-FLOWERS", "(212) 555-0101 ext 4",
                     "+1 (212) 555-0101", "212-555-010", "2125550101 x12", "", "   ", "+", "++12125550101",
                     "(212)) 555-0101", "1 1 212 555 0101", "+52 55 1234 5678", "0044 20 7946 0958"]),
    st.text(max_size=15),
)


# PHONE_EXAMPLES=60000 for a deeper run (it passed at 60,000 when read_phone was written).
@settings(max_examples=int(os.environ.get("PHONE_EXAMPLES", "3000")), deadline=None)
@given(raw=st.one_of(nanp, other), region=st.sampled_from(["US", "CA", "GB", "MX", "FR"]))
def test_read_phone_says_what_phonenumbers_says(raw, region):
    assert ours(raw, region) == reference(raw, region)


@pytest.mark.parametrize("raw, e164", [("(212) 555-0101", "+12125550101"), ("212.555.0101", "+12125550101"),
                                       ("+1 212 555 0101", "+12125550101"), ("1-212-555-0101", "+12125550101"),
                                       ("+44 20 7946 0958", "+442079460958")])
def test_a_number_in_any_common_format_is_stored_in_e164(raw, e164):
    assert read_phone(raw).e164 == e164


@pytest.mark.parametrize("raw, state", [("(212) 555-0101", "NY"), ("(312) 555-0101", "IL"), ("(206) 555-0101", "WA"),
                                        ("(416) 555-0101", "ON"), ("(907) 555-1234", "AK"), ("(800) 555-0101", None),
                                        ("+44 20 7946 0958", None)])
def test_a_north_american_numbers_area_code_says_its_state(raw, state):
    assert read_phone(raw).state == state


def test_zones_given_by_the_caller_are_the_ones_read_from_the_number():
    facts = read_phone("(907) 555-1234")
    assert infer_time_zones(facts.e164, "AK", phone_zones=facts.zones) == infer_time_zones(facts.e164, "AK")
    assert infer_time_zones(facts.e164, None, phone_zones=facts.zones) == ["America/Adak", "America/Anchorage"]


def test_the_shipped_area_states_are_what_the_installed_geocoder_says():
    # Regenerate with scripts/make_area_states.py after upgrading phonenumbers.
    assert area_states() == area_states_from_geocoder()
