"""The outbox's pure rules: the retry schedule, what may be posted to, and how statuses read."""
import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.outbox import rules
from console.outbox.rules import Family, Status


@given(st.integers(1, 30), st.integers(0, 2**32))
def test_a_retry_waits_between_nothing_and_the_doubling_ceiling_never_above_an_hour(attempts, seed):
    delay = rules.retry_delay(attempts, random.Random(seed))
    ceiling = min(rules.MAX_DELAY, rules.BASE_DELAY * 2 ** (attempts - 1))
    assert timedelta(0) <= delay <= ceiling


def test_the_ceiling_doubles_with_each_attempt_until_the_cap():
    class Top:  # the largest draw full jitter can make
        @staticmethod
        def random():
            return 1.0

    assert [rules.retry_delay(n, Top()).total_seconds() for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_full_jitter_spreads_retries_of_messages_that_failed_together():
    rng = random.Random(7)
    delays = {round(rules.retry_delay(5, rng).total_seconds()) for _ in range(50)}
    assert len(delays) > 40  # not one wave, but fifty different moments


def test_a_message_is_dead_after_its_last_attempt():
    assert not rules.out_of_attempts(rules.MAX_ATTEMPTS - 1)
    assert rules.out_of_attempts(rules.MAX_ATTEMPTS)


@pytest.mark.parametrize("url, problem", [
    ("https://crm.example.com/hooks", None),
    ("https://203.0.114.7/hooks", None),
    ("http://crm.example.com/hooks", "use https://"),
    ("https://127.0.0.1:8080/hooks", "loopback"),
    ("https://localhost/hooks", "loopback"),
    ("https://10.1.2.3/hooks", "private"),
    ("https://192.168.0.10/hooks", "private"),
    ("https://169.254.169.254/latest", "private or reserved"),
    ("https://[::1]/hooks", "loopback"),
    ("crm.example.com/hooks", "give a full URL"),
    ("ftp://crm.example.com/", "give a full URL"),
])
def test_only_https_to_a_public_address_unless_an_admin_allows_private_ones(url, problem):
    found = rules.webhook_url_problem(url, allow_private=False)
    assert (found is None) if problem is None else (problem in found)


def test_an_admin_may_allow_a_private_or_plain_http_endpoint():
    assert rules.webhook_url_problem("http://127.0.0.1:8080/hooks", allow_private=True) is None
    assert rules.webhook_url_problem("not a url", allow_private=True) is not None


def test_statuses_read_as_the_family_does():
    assert Status.label(Status.LEASED, Family.MESSAGE) == "sending"
    assert Status.label(Status.LEASED, Family.JOB) == "running"
    assert Status.label(Status.DONE, Family.MESSAGE) == "sent"
    assert Status.label(Status.HELD, Family.MESSAGE) == "held, not sent"


def test_a_response_is_kept_to_its_first_bytes():
    assert rules.excerpt(b"x" * 10_000) == "x" * 500
    assert rules.excerpt("\u00e9" * 600) == "\u00e9" * 500
    assert rules.excerpt(None) == ""
