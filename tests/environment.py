"""The test run's configuration, given the ordinary way: environment variables.

Loaded as a pytest plugin (``-p tests.environment`` in pyproject's pytest
options), so these are in ``os.environ`` before pytest-django imports
``forestall.settings``. The suite runs the production settings with test
values, not a test mode: every secret comes from here, as it would from a
deployment's environment. A variable already set (a developer's own, or
``DATABASE_URL`` for PostgreSQL) wins.

The values are for tests only and public: never use them anywhere else.
"""

from __future__ import annotations

import os

TEST_ENVIRONMENT = {
    "FORESTALL_SECRET_KEY": "test-only-secret-key-not-for-any-deployment-0123456789abcdef",
    # 32-byte AES key and 32-byte Ed25519 seed, base64 ("id:key").
    "FORESTALL_KEYS": "k1:dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
    "FORESTALL_REACH_SIGNING_KEYS": "r1:dGVzdC1vbmx5LXJlYWNoLXNpZ25pbmctc2VlZC0zMmI=",
    "FORESTALL_PEPPER": "test-only-pepper-not-for-any-deployment",
    "FORESTALL_AUDIT_KEY": "test-only-audit-key-not-for-any-deployment",
    "FORESTALL_RESEARCH_SECRET": "test-only-research-secret-not-for-any-deployment",
    # Django's test client asks for "testserver"; the live server is on loopback.
    "FORESTALL_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    # The test client and the live server speak plain HTTP (as a TLS proxy's
    # backend does): no redirect to HTTPS. Cookies stay Secure, as in production.
    "FORESTALL_SSL_REDIRECT": "0",
    # Static files from the apps' folders: no collectstatic before a test run.
    "FORESTALL_STATIC_FROM_APPS": "1",
    # The origin of the absolute links handed to partners (reach): the test client's host.
    "FORESTALL_SITE_URL": "http://testserver",
    # Every reach landing is written at once (the batching has its own tests).
    "FORESTALL_REACH_LANDING_BATCH": "1",
    # Public pages are rendered afresh; the page cache has its own tests, which turn it on.
    "FORESTALL_PAGE_CACHE_SECONDS": "0",
}

for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
