"""The lead's own rules: its phone number (read, shown, searched) and its contact data as a person types it."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.leads.rules import InvalidPhoneNumber, check_contact, normalise_phone, phone_search_terms, region_of


def test_phone_numbers_are_normalised_to_e164():
    assert normalise_phone("(212) 555-0123") == "+12125550123"
    assert normalise_phone("+1 312 555 0147") == "+13125550147"


@pytest.mark.parametrize("raw", ["", "hello", "123", "+1 999 555 0100"])
def test_invalid_numbers_are_rejected_with_a_reason(raw):
    with pytest.raises(InvalidPhoneNumber, match="not a"):
        normalise_phone(raw)


def test_a_referrals_number_is_read_in_the_country_of_the_lead_it_came_from():
    assert region_of("+442071838750") == "GB"
    assert region_of("+12125550123") == "US"
    assert region_of("garbage") == "US"


# --- The shortcut for plainly typed North American numbers gives phonenumbers' own answer ----------------------

def _by_phonenumbers(raw: str, region: str) -> str | None:
    """What normalise_phone answered before the shortcut: phonenumbers.parse, is_valid_number, E.164."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _answer(raw: str, region: str) -> str | None:
    try:
        return normalise_phone(raw, region)
    except InvalidPhoneNumber:
        return None


@settings(max_examples=3000, deadline=None)
@given(raw=st.one_of(
    st.text(alphabet="+0123456789 ().-", max_size=22),
    st.builds(lambda head, digits: head + digits, st.sampled_from(["", "+", "1", "+1 ", "1-", "(", "1 (", "+1 ("]),
              st.text(alphabet="0123456789", min_size=9, max_size=12)),
    st.builds("({}) {}-{}".format, st.integers(100, 999), st.integers(100, 999), st.integers(0, 9999)),
), region=st.sampled_from(["US", "CA", "GB", "FR"]))
def test_a_plainly_typed_north_american_number_reads_as_phonenumbers_reads_it(raw, region):
    assert _answer(raw, region) == _by_phonenumbers(raw, region)


@pytest.mark.parametrize("raw", ["(212) 555-0123", "212.555.0123", "1-212-555-0123", "+1 212 555 0123", "2125550123"])
def test_every_usual_way_of_writing_a_us_number_gives_the_same_number(raw):
    assert normalise_phone(raw) == "+12125550123"


# --- A number typed as a search -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("+1 (212) 555-0123", ("+12125550123", None)),
    ("212.555.0123", ("+12125550123", None)),
    ("212 555", (None, "+1212555")),  # the first digits: the country code put in front
    ("1 212 555", (None, "+1212555")),  # typed with it
    ("+1 212", (None, "+1212")),
    ("+44 20", (None, "+4420")),
    ("no digits", (None, None)),
    ("", (None, None)),
])
def test_a_typed_number_searches_for_itself_or_for_the_numbers_its_digits_begin(typed, expected):
    assert phone_search_terms(typed) == expected


# --- Contact data as a person types it ------------------------------------------------------------------------

STATES = {"NY", "CA", "TX", "ON"}


def test_contact_data_is_trimmed_and_normalised():
    check = check_contact({"first_name": "  Ann ", "last_name": "Lee", "phone": "(415) 555-0100",
                           "alternate_phone": "", "email": "Ann.Lee@Example.COM", "state": "ca", "country": "us",
                           "title": "", "buying_role": "champion"}, known_states=STATES)
    assert check.errors == {}
    assert check.values == {"first_name": "Ann", "last_name": "Lee", "phone": "+14155550100", "alternate_phone": None,
                            "email": "Ann.Lee@example.com", "state": "CA", "country": "US", "title": None,
                            "buying_role": "champion"}


def test_each_wrong_field_says_what_is_wrong():
    check = check_contact({"first_name": "", "last_name": "x" * 81, "phone": "12345", "alternate_phone": "call me",
                           "email": "not an address", "state": "ZZ", "country": "XX"}, known_states=STATES)
    assert set(check.errors) == {"first_name", "last_name", "phone", "alternate_phone", "email", "state", "country"}
    assert check.errors["phone"] == "12345 is not a valid phone number."
    assert check.errors["state"].startswith("ZZ is not a US state")
    assert check.errors["email"].startswith("Not an email address")


def test_a_number_without_its_country_code_is_read_in_the_leads_country():
    assert check_contact({"phone": "020 7946 0958"}, known_states=STATES, current_phone="+12125550100") \
        .errors == {"phone": "020 7946 0958 is not a valid phone number."}
    assert check_contact({"phone": "020 7946 0958", "country": "GB"}, known_states=STATES).values["phone"] == \
        "+442079460958"
    assert check_contact({"phone": "020 7946 0958"}, known_states=STATES, current_phone="+442071838750") \
        .values["phone"] == "+442079460958"


def test_only_the_campaigns_own_fields_are_kept_and_empty_ones_dropped():
    check = check_contact({"custom_fields": {"fleet_size": " 40 ", "crm": "", "smuggled": "x"}}, known_states=STATES,
                          custom_keys=["fleet_size", "crm"])
    assert check.values == {"custom_fields": {"fleet_size": "40"}}
    too_long = check_contact({"custom_fields": {"crm": "x" * 501}}, known_states=STATES, custom_keys=["crm"])
    assert too_long.errors == {"custom:crm": "At most 500 characters."}
