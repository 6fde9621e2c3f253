"""Frozen settings built from the environment once, then passed in; nothing reads them at import."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'samordna.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    workflows_dir: Path = PROJECT_ROOT / "workflows"
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "src" / "samordna" / "web" / "static"
    timezone: str = "Europe/Oslo"
    secure_cookies: bool = False
    max_body_bytes: int = 1_000_000
    debug: bool = False
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Database connections each server process keeps open (SQLAlchemy's QueuePool).
    db_pool_size: int = 5

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        if env.get("SAMORDNA_DATABASE_URL"):
            values["database_url"] = env["SAMORDNA_DATABASE_URL"]
        if env.get("SAMORDNA_SECRET_KEY"):
            values["secret_key"] = env["SAMORDNA_SECRET_KEY"]
        if env.get("SAMORDNA_WORKFLOWS"):
            values["workflows_dir"] = Path(env["SAMORDNA_WORKFLOWS"])
        if env.get("SAMORDNA_SECURE_COOKIES"):
            values["secure_cookies"] = env["SAMORDNA_SECURE_COOKIES"].lower() in ("1", "true", "yes")
        if env.get("SAMORDNA_TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(
                p.strip() for p in env["SAMORDNA_TRUSTED_PROXIES"].split(",") if p.strip()
            )
        if env.get("SAMORDNA_DB_POOL_SIZE"):
            size = env["SAMORDNA_DB_POOL_SIZE"].strip()
            if not size.isdigit() or not 1 <= int(size) <= 1000:
                raise ValueError(f"SAMORDNA_DB_POOL_SIZE must be a whole number from 1 to 1000, not {size!r}")
            values["db_pool_size"] = int(size)
        if env.get("SAMORDNA_DEBUG"):
            values["debug"] = env["SAMORDNA_DEBUG"].lower() in ("1", "true", "yes")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
