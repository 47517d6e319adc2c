"""Accounts: users, their roles and assignments, and passwords.

Service functions take keyword-only arguments, like the full-stack-fastapi-template's
`crud.py`, and flush rather than commit: the caller's transaction
(`core.store.db.write_session`, the app's `ui.actions.run`) commits. Usernames and
emails are stored lowercase. A change of password, role or activation bumps the user's
`credentials_version`, which signs out their other sessions (ui/auth.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import email_validator
from argon2 import PasswordHasher
from sqlmodel import Session, col, select

from core.errors import TrackerError
from core.models import (
    Assignment,
    DigestFrequency,
    LogicModel,
    Organisation,
    Region,
    Role,
    Strategy,
    User,
)
from core.people.permissions import Actor

# Argon2id with argon2-cffi's defaults; tests may swap in a cheaper hasher.
password_hasher = PasswordHasher()

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class AccountError(TrackerError, ValueError):
    """A user-management request that cannot be done; the message says why."""


class UserNotFound(AccountError):
    pass


def normalize_username(username: str) -> str:
    return username.strip().lower()


def validate_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"Username {username!r} is not valid: use 1 to 80 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter or digit."
        )
    return name


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of the commonest passwords (lowercase; see the file's header)."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _is_blank(password: str) -> bool:
    # Spaces, line breaks and invisible format characters (e.g. zero-width space) only.
    return all(ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf"} for ch in password)


def validate_password(password: str) -> str:
    """The password if it may be used (NIST SP 800-63B: long enough, not blank, not
    one of the commonest passwords), else AccountError saying why."""
    if _is_blank(password):
        raise AccountError("The password is blank or only spaces: use letters, digits or symbols.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters "
            f"(it has {len(password)})."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters."
        )
    if password.strip().lower() in common_passwords():
        raise AccountError(
            "This password is one of the most common passwords, which are guessed first: "
            "choose another (a few unrelated words make a good one)."
        )
    return password


def validate_role(role: str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"Unknown role {role!r}: choose one of {choices}.") from None


def validate_email(email: str | None) -> str | None:
    """The address, lowercase, or None when blank; AccountError saying what is wrong
    when it is not one address mail can be sent to (email-validator's syntax check:
    one @, a domain with a dot, no spaces, display names, lists or reserved domains
    such as .local; the domain is not looked up)."""
    if email is None or not email.strip():
        return None
    address = email.strip().lower()
    try:
        checked = email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=False
        )
    except email_validator.EmailNotValidError as exc:
        raise AccountError(f"Email {email!r} is not a valid address: {exc}") from None
    if len(checked.normalized) > 254:
        raise AccountError(f"Email {email!r} is not a valid address: it is too long.")
    return checked.normalized.lower()


def hash_password(password: str) -> str:
    return password_hasher.hash(validate_password(password))


def get_user_by_username(*, session: Session, username: str) -> User | None:
    name = normalize_username(username)
    return session.exec(select(User).where(User.username == name)).first()


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """The user whose email matches (case-insensitive), for mapping an OIDC identity."""
    address = email.strip().lower()
    if not address:
        return None
    return session.exec(select(User).where(User.email == address)).first()


def require_user(*, session: Session, username: str) -> User:
    user = get_user_by_username(session=session, username=username)
    if user is None:
        raise UserNotFound(f"No user named {normalize_username(username)!r}.")
    return user


def list_users(*, session: Session, include_inactive: bool = True) -> list[User]:
    query = select(User).order_by(User.username)
    if not include_inactive:
        query = query.where(User.active == True)  # noqa: E712
    return list(session.exec(query).all())


def create_user(
    *,
    session: Session,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """Create an active user. Without a password the user can only sign in via OIDC."""
    name = validate_username(username)
    checked_role = validate_role(role)
    address = validate_email(email)
    password_hash = hash_password(password) if password is not None else None
    if get_user_by_username(session=session, username=name) is not None:
        raise AccountError(f"A user named {name!r} already exists.")
    if address and get_user_by_email(session=session, email=address) is not None:
        raise AccountError(f"Another user already has the email {address!r}.")
    display = (display_name or "").strip() or name
    if len(display) > 120:
        raise AccountError("The display name is too long: use at most 120 characters.")
    if "\x00" in display:  # PostgreSQL cannot store it
        raise AccountError("The display name contains a NUL character; please remove it.")
    user = User(
        username=name,
        display_name=display,
        email=address,
        role=checked_role,
        password_hash=password_hash,
    )
    session.add(user)
    session.flush()
    return user


def _credentials_changed(*, session: Session, user: User) -> User:
    """Save a change of password, role or activation; the user's sessions that signed
    in before it are signed out at their next interaction."""
    user.credentials_version = (user.credentials_version or 0) + 1
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str) -> User:
    user.password_hash = hash_password(password)
    return _credentials_changed(session=session, user=user)


def set_role(*, session: Session, user: User, role: str) -> User:
    """Change the role. A lead's assignments are kept (and ignored) under other roles."""
    new_role = validate_role(role)
    if user.role == Role.ADMIN and new_role != Role.ADMIN:
        _refuse_removing_last_admin(session=session, user=user, action="change the role of")
    if user.role == new_role:
        return user
    user.role = new_role
    return _credentials_changed(session=session, user=user)


def deactivate_user(*, session: Session, user: User) -> User:
    """Stop the user signing in; their rows, history and assignments stay."""
    if user.role == Role.ADMIN and user.active:
        _refuse_removing_last_admin(session=session, user=user, action="deactivate")
    if not user.active:
        return user
    user.active = False
    return _credentials_changed(session=session, user=user)


def activate_user(*, session: Session, user: User) -> User:
    if user.active:
        return user
    user.active = True
    return _credentials_changed(session=session, user=user)


def _refuse_removing_last_admin(*, session: Session, user: User, action: str) -> None:
    others = session.exec(
        select(User).where(User.role == Role.ADMIN, User.active == True, User.id != user.id)  # noqa: E712
    ).first()
    if others is None:
        raise AccountError(
            f"Cannot {action} {user.username!r}: they are the only active admin. "
            "Make another user admin first."
        )


def list_assignments(*, session: Session, user: User) -> list[Assignment]:
    return list(
        session.exec(
            select(Assignment)
            .where(Assignment.user_id == user.id)
            .order_by(
                col(Assignment.strategy_id).is_not(None),
                col(Assignment.region_id),
                col(Assignment.strategy_id),
            )
        ).all()
    )


def _scope_filter(region_id: str | None, strategy_id: str | None):
    if (region_id is None) == (strategy_id is None):
        raise AccountError("Give exactly one of a region or a strategy.")
    if region_id is not None:
        return Assignment.region_id == region_id
    return Assignment.strategy_id == strategy_id


def assign(
    *,
    session: Session,
    user: User,
    region_id: str | None = None,
    strategy_id: str | None = None,
) -> Assignment:
    """Let a lead update the outcomes of a region (all its strategies) or of one strategy.

    Idempotent: assigning the same scope twice returns the existing assignment."""
    scope = _scope_filter(region_id, strategy_id)
    if user.role != Role.LEAD:
        raise AccountError(
            f"{user.username!r} is {'an' if user.role == Role.ADMIN else 'a'} {user.role}; "
            "only leads have assignments. Make them a lead first."
        )
    if region_id is not None and session.get(Region, region_id) is None:
        known = ", ".join(session.exec(select(Region.id).order_by(col(Region.position))).all())
        raise AccountError(f"No region {region_id!r}. Regions: {known}.")
    if strategy_id is not None and session.get(Strategy, strategy_id) is None:
        raise AccountError(
            f"No strategy {strategy_id!r}. Strategy ids look like 'st-louis.legal-services'."
        )
    if user.id is None:
        raise AccountError(f"{user.username!r} is not saved yet; create the user first.")
    existing = session.exec(select(Assignment).where(Assignment.user_id == user.id, scope)).first()
    if existing is not None:
        return existing
    assignment = Assignment(user_id=user.id, region_id=region_id, strategy_id=strategy_id)
    session.add(assignment)
    session.flush()
    return assignment


def unassign(
    *,
    session: Session,
    user: User,
    region_id: str | None = None,
    strategy_id: str | None = None,
) -> None:
    scope = _scope_filter(region_id, strategy_id)
    existing = session.exec(select(Assignment).where(Assignment.user_id == user.id, scope)).first()
    if existing is None:
        what = f"region {region_id!r}" if region_id is not None else f"strategy {strategy_id!r}"
        raise AccountError(f"{user.username!r} is not assigned to {what}.")
    session.delete(existing)
    session.flush()


def region_of_strategy(*, session: Session, strategy_id: str) -> str | None:
    """A strategy's region: the region of its logic model."""
    return session.exec(
        select(LogicModel.region_id)
        .join(Strategy, col(Strategy.logic_model_id) == LogicModel.id)
        .where(Strategy.id == strategy_id)
    ).first()


def set_organisation(*, session: Session, user: User, organisation_id: str | None) -> User:
    """Say which organisation the user belongs to (None: none); what they write from
    now on carries it. Refused for an unknown, retired or merged organisation."""
    if organisation_id is not None:
        org = session.get(Organisation, organisation_id)
        if org is None:
            raise AccountError(f"There is no organisation {organisation_id!r}.")
        if org.merged_into_id:
            raise AccountError(
                f"{org.name} was merged into {org.merged_into_id!r}; choose that one instead."
            )
        if org.retired:
            raise AccountError(f"{org.name} is retired; choose an active organisation.")
    user.organisation_id = organisation_id
    session.add(user)
    session.flush()
    return user


def set_digest_frequency(*, session: Session, actor: Actor, frequency: str) -> User:
    """How often the signed-in person gets the e-mail digest of their My work:
    weekly (the default), daily or off."""
    try:
        chosen = DigestFrequency(str(frequency).strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in DigestFrequency)
        raise AccountError(f"Unknown digest frequency {frequency!r}: choose {choices}.") from None
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        raise AccountError("Sign in to choose how often you get the e-mail digest.")
    user.digest = chosen
    session.add(user)
    session.flush()
    return user
