"""No file ever arrives: every file part of a request is dropped unread.

Threat model: forestall takes no attachments (a prevention service must
never receive abuse material, see ARCHITECTURE.md), and none of its forms
has a file field. Django would still accept a file that anyone adds to a
``multipart/form-data`` POST: any POST to any address is parsed (the CSRF
check reads ``request.POST``), a small file is kept in memory and a larger
one is written to a temporary file on the server's disk, where its blocks
can outlive the request. ``RefuseFiles`` is the only upload handler
(``FILE_UPLOAD_HANDLERS``): it skips every file part before a byte of it is
kept, while the form's other fields (the words someone wrote) arrive as
usual. ``request.FILES`` is therefore always empty.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class RefuseFiles(FileUploadHandler):
    """An upload handler that keeps no file: each one is skipped and read past."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:  # pragma: no cover
        return None  # never reached: new_file skipped the file

    def file_complete(self, file_size: int) -> None:  # pragma: no cover
        return None  # never reached: new_file skipped the file
