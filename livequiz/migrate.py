"""Apply the database migrations: ``python -m livequiz.migrate`` upgrades to the latest revision.

    python -m livequiz.migrate                  upgrade to head
    python -m livequiz.migrate upgrade 0001     upgrade to a revision
    python -m livequiz.migrate downgrade base   drop every table
    python -m livequiz.migrate current          print the applied revision

The database comes from ``LIVEQUIZ_MYSQL_URL`` unless ``--url`` is given.
"""

import argparse
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

from livequiz.config import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Build the alembic configuration in code, so no ``alembic.ini`` is needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url or get_settings().mysql_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m livequiz.migrate", description=__doc__)
    parser.add_argument(
        "action", nargs="?", default="upgrade", choices=("upgrade", "downgrade", "current")
    )
    parser.add_argument("revision", nargs="?", help="target revision (default: head for upgrade)")
    parser.add_argument(
        "--url", help="SQLAlchemy URL of the database (default: LIVEQUIZ_MYSQL_URL)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.action == "upgrade":
        upgrade(args.url, args.revision or "head")
    elif args.action == "downgrade":
        if not args.revision:
            parser.error("downgrade needs a revision, for example base")
        downgrade(args.url, args.revision)
    else:
        command.current(alembic_config(args.url), verbose=True)


if __name__ == "__main__":
    main()
