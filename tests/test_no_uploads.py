"""No file ever arrives: a file added to any POST is dropped before a byte is kept.

None of forestall's forms has a file field, and a prevention service must
never receive abuse material; yet Django keeps any file someone adds to a
multipart POST (in memory, or a larger one in a temporary file on disk)
unless told otherwise (``forestall.lib.uploads``).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files import uploadedfile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from forestall.inbox.models import Message
from tests.test_bad_input_never_500 import _public_paths
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db

# Bigger than Django's in-memory limit: it would go to a temporary file on disk.
PICTURE = b"\xff\xd8\xff\xe0" + b"\x00" * (settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1024)


def _picture() -> SimpleUploadedFile:
    return SimpleUploadedFile("picture.jpg", PICTURE, "image/jpeg")


@pytest.fixture
def kept_files(monkeypatch) -> list[str]:
    """Names of the files Django kept, in memory or on disk, during the test."""
    kept: list[str] = []
    for name in ("TemporaryUploadedFile", "InMemoryUploadedFile"):
        original = getattr(uploadedfile, name).__init__

        def spy(self, *args, _original=original, **kwargs):
            if not isinstance(self, SimpleUploadedFile):  # the test's own, being sent
                kept.append(type(self).__name__)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(getattr(uploadedfile, name), "__init__", spy)
    return kept


def test_a_file_posted_to_any_public_address_is_never_kept(kept_files):
    for path in _public_paths():
        client = Client(raise_request_exception=False)
        response = client.post(path, {"body": "words", "picture": _picture()})
        assert response.status_code < 500, path
    assert kept_files == []


def test_a_file_posted_to_the_staff_sign_in_is_never_kept(kept_files):
    Client(raise_request_exception=False).post(
        "/staff/login/", {"auth-username": "someone", "picture": _picture()}
    )
    assert kept_files == []


def test_a_request_never_has_files_but_keeps_its_other_fields():
    request = RequestFactory().post("/mailbox/write/", {"body": "my words", "picture": _picture()})
    assert request.FILES.keys() == set()
    assert request.POST["body"] == "my words"


def test_a_message_sent_with_a_file_arrives_without_it(client, kept_files):
    open_new_mailbox(client)
    response = client.post(
        "/mailbox/write/", {"body": "Please read this", "centre": "", "picture": _picture()}
    )
    assert response.status_code == 302
    assert [m.body for m in Message.objects.all()] == ["Please read this"]
    assert kept_files == []
