"""A MySQL database of one's own for a test session: created, migrated, and dropped after.

Tests must not touch the shared ``test`` database, where other suites run at the same time,
so each suite that needs MySQL gets ``livequiz_test_<suite>_<random>`` on the same server.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from livequiz import db, migrate


@contextmanager
def scratch_database(server_url: str, suite: str) -> Iterator[str]:
    """Create and migrate a fresh database beside ``server_url``'s; yield its URL, then drop it."""
    name = f"livequiz_test_{suite}_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = db.create_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.execute(
                sa.text(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
        try:
            migrate.upgrade(url)
            yield url
        finally:
            db.dispose(url)
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        admin.dispose()
