"""E-mail addresses are checked when an account is made (email-validator's syntax
check, no DNS), and each person chooses how often the digest comes."""

from __future__ import annotations

import pytest

from core.models import Role
from core.people import accounts
from core.people.permissions import ANONYMOUS_VIEWER, Actor


@pytest.mark.parametrize(
    "address",
    [
        "a@b",  # no dot in the domain
        "ada@localhost",
        "ada@corp.local",  # a reserved name mail cannot be delivered to
        "ada@@example.org",
        "ada@exa mple.org",
        "Ada <ada@example.org>",
        "ada@example.org, bob@example.org",
        "ada@example.org\r\nBcc: eve@example.org",
        "adä@example.org",  # needs SMTPUTF8, which many servers lack
        "a" * 250 + "@example.org",
    ],
)
def test_junk_addresses_are_refused_on_create(session, address):
    with pytest.raises(accounts.AccountError, match="not a valid address"):
        accounts.create_user(session=session, username="ada", role="lead", email=address)
    assert accounts.get_user_by_username(session=session, username="ada") is None


def test_a_real_address_is_kept_lowercase(session):
    user = accounts.create_user(
        session=session, username="ada", role="lead", email="  Ada.Lovelace@Example.ORG "
    )
    assert user.email == "ada.lovelace@example.org"
    assert accounts.validate_email("") is None and accounts.validate_email(None) is None


def test_a_person_chooses_the_digest_frequency(session):
    user = accounts.create_user(session=session, username="ada", role="lead")
    me = Actor(user_id=user.id, username="ada", display_name="Ada", role=Role.LEAD)
    assert user.digest == "weekly"
    assert (
        accounts.set_digest_frequency(session=session, actor=me, frequency="Daily").digest
        == "daily"
    )
    assert accounts.set_digest_frequency(session=session, actor=me, frequency="off").digest == "off"
    with pytest.raises(accounts.AccountError, match="choose weekly, daily, off"):
        accounts.set_digest_frequency(session=session, actor=me, frequency="hourly")
    with pytest.raises(accounts.AccountError, match="Sign in"):
        accounts.set_digest_frequency(session=session, actor=ANONYMOUS_VIEWER, frequency="daily")
