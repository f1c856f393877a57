"""Shared state of one demo seeding run (see ``forestall seed-demo``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    centre: str | None
    totp_secret: str


@dataclass
class DemoNetwork:
    """What the seeders share: a seeded random source, the centres and logins made."""

    seed: int = 2026
    stdout: TextIO | Any = None
    random: random.Random = field(init=False)
    centres: dict[str, Any] = field(default_factory=dict)  # slug → Centre
    staff: dict[str, Any] = field(default_factory=dict)  # username → User
    logins: list[DemoLogin] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 - demo data, not security

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)

    def credentials(self) -> list[dict[str, Any]]:
        return [login.__dict__.copy() for login in self.logins]
