"""The ``forestall`` command: Django's manage.py under the project's name.

Configuration errors (a missing secret or host in production) are printed as
one line naming the variable, not as a traceback.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forestall.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv or sys.argv)
    except ImproperlyConfigured as error:
        print(f"forestall: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
