"""forestall's WSGI application with ``FORESTALL_PROFILE_WITHOUT`` applied (an experiment).

Only ``python -m bench.profile_staff --served`` serves this: it measures under
gunicorn what the staff pages would cost without the safeguards named (see
``bench.profile_staff._leave_out``). Never a way to run forestall.
"""

import os

from django.core.wsgi import get_wsgi_application

from bench.profile_staff import _leave_out

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forestall.settings")
application = get_wsgi_application()
_leave_out(os.environ.get("FORESTALL_PROFILE_WITHOUT", ""))
