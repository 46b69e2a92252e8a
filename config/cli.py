"""`village`: manage.py for an installed Village (the wheel's console script).

`village migrate`, `village check --deploy`, `village run_huey` do what `python manage.py ...`
does in a checkout; daphne is started as `daphne config.asgi:application` either way.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
