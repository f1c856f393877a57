"""Settings of the baseline: Django's own project template, minus the database.

It runs with the same gunicorn settings as forestall, so the ratio of their
throughputs shows what forestall's own work (middleware, templates, queries)
costs on the same machine.
"""

import os

SECRET_KEY = os.environ.get("FORESTALL_SECRET_KEY", "bench-only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
# The middleware of `django-admin startproject`, as a plain Django site has it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.bare.urls"
WSGI_APPLICATION = "bench.bare.wsgi.application"
DATABASES: dict = {}
USE_TZ = True
LOGGING_CONFIG = None
