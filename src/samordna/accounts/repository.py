"""Users, memberships, passwords (argon2id) and API tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, and_, bindparam, select, update
from sqlmodel import Session

from samordna.domain.actor import Actor, MemberView
from samordna.domain.errors import NotAuthenticated
from samordna.i18n import gettext
from samordna.store.db import connection_of
from samordna.store.models import ApiToken, Area, Membership, SavedView, Unit, User, utcnow
from samordna.store.prepared import Prepared

# OWASP's argon2id parameters: m=19 MiB, t=2, p=1 (about 25 ms per verify on the project's machines).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash("samordna-timing-equaliser")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MEMBER_COLUMNS = (Membership.area_id, Area.slug, Area.name, Membership.role, Membership.unit_id, Unit.name)

# Built once: asked on every page and every API call.
MEMBERSHIPS = (
    select(*MEMBER_COLUMNS)
    .join(Area, Area.id == Membership.area_id)
    .outerjoin(Unit, Unit.id == Membership.unit_id)
    .where(Membership.user_id == bindparam("user_id"), Membership.active)
    .order_by(Area.name)
)
# The token's user and the user's active memberships in one query (one row per membership, or one row
# of NULL memberships for a user who has none).
TOKEN_ACTOR = Prepared(
    select(User.id, User.name, User.email, *MEMBER_COLUMNS)
    .select_from(ApiToken)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.active))
    .outerjoin(Area, Area.id == Membership.area_id)
    .outerjoin(Unit, Unit.id == Membership.unit_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.active, User.active)
    .order_by(Area.name)
)


def load_actor(session: Session, user: User) -> Actor:
    rows = session.execute(MEMBERSHIPS, {"user_id": user.id}).all()
    return Actor(
        user_id=user.id,  # type: ignore[arg-type]
        name=user.name,
        email=user.email,
        memberships={r[0]: MemberView(*r) for r in rows},
    )


def actor_for_token(session: Session | Connection, token: str) -> Actor:
    """The active user holding the (active) token, with their active memberships; NotAuthenticated otherwise.

    One prepared query on the transaction's connection (tokens are looked up by their SHA-256 hash, never
    stored as sent), so the API can resolve the caller inside the very transaction that serves the request."""
    rows = TOKEN_ACTOR.rows(connection_of(session), {"token_hash": hash_token(token)})
    if not rows:
        raise NotAuthenticated(gettext("Ugyldig eller utløpt API-nøkkel."))
    user_id, name, email = rows[0][:3]
    return Actor(
        user_id=user_id,
        name=name,
        email=email,
        memberships={r[3]: MemberView(*r[3:]) for r in rows if r[3] is not None},
    )


def create_token(session: Session, *, user_id: int, name: str = "") -> str:
    token = "sam_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, token_hash=hash_token(token), name=name, created_at=utcnow()))
    return token


def find_user(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


# The session's user, its active memberships and their areas, in one query (one row per membership, or
# one row of NULL memberships for a user who has none); no row for a deactivated user.
SESSION_ACTOR = (
    select(User.name, User.email, User.password_hash, *MEMBER_COLUMNS, Area.kind, Area.language)
    .select_from(User)
    .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.active))
    .outerjoin(Area, Area.id == Membership.area_id)
    .outerjoin(Unit, Unit.id == Membership.unit_id)
    .where(User.id == bindparam("user_id"), User.active)
    .order_by(Area.name)
)


def session_actor_rows(connection: Connection, user_id: int) -> list[Any]:
    """(name, email, password_hash, *MEMBER_COLUMNS, area kind, area language) per active membership."""
    return list(connection.execute(SESSION_ACTOR, {"user_id": user_id}).all())


# ---------------------------------------------------------------- saved views of the measure list


def saved_views(connection: Session | Connection, user_id: int, area_id: int) -> list[tuple[int, str, str]]:
    """(id, name, query) of the user's saved views in the area, by name."""
    statement = (
        select(SavedView.id, SavedView.name, SavedView.query)
        .where(SavedView.user_id == user_id, SavedView.area_id == area_id)
        .order_by(SavedView.name)
    )
    return [(r[0], r[1], r[2]) for r in connection.execute(statement)]


def save_view(session: Session, *, user_id: int, area_id: int, name: str, query: str, now: datetime) -> int:
    """Save (or, under a name already used, replace) a view; its id."""
    found = session.execute(
        select(SavedView).where(SavedView.user_id == user_id, SavedView.area_id == area_id, SavedView.name == name)
    ).scalar_one_or_none()
    if found is None:
        found = SavedView(user_id=user_id, area_id=area_id, name=name, query=query, created_at=now)
    else:
        found.query = query
    session.add(found)
    session.flush()
    return found.id  # type: ignore[return-value]


def delete_view(session: Session, *, user_id: int, area_id: int, view_id: int) -> bool:
    found = session.get(SavedView, view_id)
    if found is None or found.user_id != user_id or found.area_id != area_id:
        return False
    session.delete(found)
    return True
