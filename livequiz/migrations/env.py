"""Alembic environment: runs the revisions in ``versions/`` against one MySQL database.

The URL comes from ``config.attributes["url"]`` when ``livequiz.migrate`` sets it, and from
``Settings.mysql_url`` otherwise. It is kept out of ``sqlalchemy.url`` because configparser
would read a ``%`` in a password as interpolation.
"""

from alembic import context

from livequiz import db
from livequiz.config import get_settings

config = context.config


def database_url() -> str:
    url = config.attributes.get("url")
    if isinstance(url, str) and url:
        return url
    return get_settings().mysql_url


def run_offline() -> None:
    context.configure(url=database_url(), literal_binds=True, target_metadata=db.metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = db.create_engine(database_url())
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=db.metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
