"""User accounts in MySQL: registration and password login with argon2id hashes."""

import logging
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.errors import ConflictError, UnauthorizedError
from livequiz.ids import UserId

logger = logging.getLogger(__name__)

# The defaults of argon2-cffi 25.1: argon2id, time cost 3, 64 MiB of memory, parallelism 4.
hasher = PasswordHasher()
BAD_CREDENTIALS = "the e-mail address or the password is wrong"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher.hash("a password that no account has")


def normalise_email(email: str) -> str:
    """Return the form an address is stored and looked up in: trimmed and lower case."""
    return email.strip().lower()


def register(engine: Engine, email: str, password: str, display_name: str) -> UserId:
    """Create an account, or raise ``ConflictError`` if the e-mail address is taken."""
    address = normalise_email(email)
    password_hash = hasher.hash(password)
    statement = sa.insert(db.users).values(
        email=address, display_name=display_name, password_hash=password_hash
    )
    try:
        with engine.begin() as connection:
            user_id = UserId(connection.execute(statement).lastrowid)
    except sa.exc.IntegrityError as error:
        raise ConflictError(
            "email_taken", "an account with this e-mail address exists: log in instead"
        ) from error
    logger.info("registered user %s", user_id)
    return user_id


def authenticate(engine: Engine, email: str, password: str) -> UserId:
    """Check a password, raising ``UnauthorizedError`` with one message for every failure.

    An unknown address still costs one hash verification, so response times do not tell
    which addresses have accounts.
    """
    query = sa.select(db.users.c.id, db.users.c.password_hash).where(
        db.users.c.email == normalise_email(email)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    stored_hash = row.password_hash if row is not None else _dummy_hash()
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError) as error:
        raise UnauthorizedError("invalid_credentials", BAD_CREDENTIALS) from error
    if row is None:
        raise UnauthorizedError("invalid_credentials", BAD_CREDENTIALS)
    user_id = UserId(int(row.id))
    if hasher.check_needs_rehash(stored_hash):
        _rehash(engine, user_id, password)
    logger.info("user %s logged in", user_id)
    return user_id


def _rehash(engine: Engine, user_id: UserId, password: str) -> None:
    statement = (
        sa.update(db.users)
        .where(db.users.c.id == user_id)
        .values(password_hash=hasher.hash(password))
    )
    with engine.begin() as connection:
        connection.execute(statement)
    logger.info("rehashed the password of user %s with the current argon2 parameters", user_id)
