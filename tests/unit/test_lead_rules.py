"""The lead's own rules: its phone number, read and shown."""
import pytest

from console.leads.rules import InvalidPhoneNumber, normalise_phone, region_of


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
