"""The team's pure rules: keeping an admin, set-password links, one-time passwords, the audit log in words."""
import random
from datetime import date, datetime, timedelta

import pytest

from console.team import rules
from console.team.rules import LinkProblem

NOW = datetime(2026, 11, 18, 18, 30)


# --- keeping an active admin ------------------------------------------------------------------------------------

def test_the_last_active_admin_cannot_be_demoted():
    refusal = rules.role_change_refusal(is_self=False, is_admin=True, is_active=True, new_role_is_admin=False,
                                        other_active_admins=0)
    assert refusal == "This is the last active admin: make another user an admin first."


def test_an_admin_cannot_demote_themselves_even_when_other_admins_remain():
    refusal = rules.role_change_refusal(is_self=True, is_admin=True, is_active=True, new_role_is_admin=False,
                                        other_active_admins=3)
    assert refusal == "You cannot take the admin role from yourself: another admin must do it."


def test_an_admin_may_demote_another_admin_when_one_active_admin_remains():
    assert rules.role_change_refusal(is_self=False, is_admin=True, is_active=True, new_role_is_admin=False,
                                     other_active_admins=1) is None


def test_a_deactivated_admin_may_be_demoted_whoever_remains():
    # They are not the one keeping the console administered: the active admins are.
    assert rules.role_change_refusal(is_self=False, is_admin=True, is_active=False, new_role_is_admin=False,
                                     other_active_admins=0) is None


@pytest.mark.parametrize("is_self", [True, False])
def test_anyone_may_be_made_admin_and_non_admins_may_change_role_freely(is_self):
    assert rules.role_change_refusal(is_self=is_self, is_admin=False, is_active=True, new_role_is_admin=True,
                                     other_active_admins=0) is None
    assert rules.role_change_refusal(is_self=is_self, is_admin=False, is_active=True, new_role_is_admin=False,
                                     other_active_admins=0) is None
    assert rules.role_change_refusal(is_self=is_self, is_admin=True, is_active=True, new_role_is_admin=True,
                                     other_active_admins=0) is None


def test_the_last_active_admin_cannot_be_deactivated():
    assert rules.deactivation_refusal(is_self=False, is_admin=True, is_active=True, other_active_admins=0) == \
        "This is the last active admin: make another user an admin first."


def test_nobody_can_deactivate_themselves():
    assert rules.deactivation_refusal(is_self=True, is_admin=True, is_active=True, other_active_admins=2) == \
        "You cannot deactivate yourself: another admin must do it."


def test_a_user_who_is_already_deactivated_is_not_deactivated_again():
    assert rules.deactivation_refusal(is_self=False, is_admin=False, is_active=False, other_active_admins=1) == \
        "This user is already deactivated."


def test_any_other_user_may_be_deactivated():
    assert rules.deactivation_refusal(is_self=False, is_admin=False, is_active=True, other_active_admins=0) is None
    assert rules.deactivation_refusal(is_self=False, is_admin=True, is_active=True, other_active_admins=1) is None


# --- set-password links -----------------------------------------------------------------------------------------

def _problem(**overrides):
    facts = dict(found=True, used_at=None, expires_at=NOW + timedelta(hours=1), account_active=True, now=NOW)
    facts.update(overrides)
    return rules.link_problem(**facts)


def test_an_unused_link_of_an_active_account_works_until_it_expires():
    assert _problem() is None
    assert _problem(expires_at=NOW + timedelta(microseconds=1)) is None


def test_a_link_stops_working_at_its_expiry_moment():
    assert _problem(expires_at=NOW) == LinkProblem.EXPIRED
    assert _problem(expires_at=NOW - timedelta(seconds=1)) == LinkProblem.EXPIRED


def test_a_link_works_once():
    assert _problem(used_at=NOW - timedelta(minutes=5)) == LinkProblem.USED


def test_a_link_that_names_nothing_does_not_work():
    assert _problem(found=False, expires_at=None) == LinkProblem.UNKNOWN


def test_a_deactivated_accounts_link_does_not_work():
    assert _problem(account_active=False) == LinkProblem.ACCOUNT_INACTIVE


def test_links_last_three_days():
    assert rules.PASSWORD_LINK_LIFETIME == timedelta(hours=72)


# --- one-time passwords -----------------------------------------------------------------------------------------

def test_a_one_time_password_is_long_enough_and_easy_to_read_aloud():
    from console.auth.services import MIN_PASSWORD_LENGTH

    password = rules.one_time_password()
    groups = password.split("-")
    assert len(groups) == 4 and all(len(group) == 4 for group in groups)
    assert len(password.replace("-", "")) >= MIN_PASSWORD_LENGTH
    assert not set(password) & set("0O1lI")


def test_one_time_passwords_come_from_the_random_source_given():
    seeded = random.Random(7)
    assert rules.one_time_password(seeded.choice) == rules.one_time_password(random.Random(7).choice)
    assert len({rules.one_time_password() for _ in range(50)}) == 50


# --- the audit log in words ---------------------------------------------------------------------------------------

def test_known_actions_read_as_words_and_unknown_ones_stay_codes():
    assert rules.action_words("call.dispositioned") == "set a disposition"
    assert rules.action_words("user.deactivated") == "deactivated a user"
    assert rules.action_words("imports.something_new") is None


def test_a_detail_reads_on_one_line_with_yes_and_no_and_compact_json():
    detail = {"disposition": "busy", "lead_id": 12, "published": True, "note": None, "changes": {"name": ["A", "B"]}}
    assert rules.compact_detail(detail) == \
        'disposition: busy · lead_id: 12 · published: yes · note: — · changes: {"name":["A","B"]}'


def test_a_long_detail_is_cut_with_an_ellipsis():
    text = rules.compact_detail({"notes": "x" * 1000}, limit=50)
    assert len(text) == 50 and text.endswith("…")
    assert rules.compact_detail({}) == "" and rules.compact_detail(None) == ""


def test_a_date_range_covers_both_days_whole_in_utc():
    start, end = rules.utc_range(date(2026, 11, 2), date(2026, 11, 3))
    assert (start, end) == (datetime(2026, 11, 2), datetime(2026, 11, 4))
    assert rules.utc_range(None, date(2026, 11, 3)) == (None, datetime(2026, 11, 4))
    assert rules.utc_range(date(2026, 11, 2), None) == (datetime(2026, 11, 2), None)


def test_a_date_range_given_backwards_is_read_the_right_way_round():
    assert rules.utc_range(date(2026, 11, 3), date(2026, 11, 2)) == (datetime(2026, 11, 2), datetime(2026, 11, 4))
