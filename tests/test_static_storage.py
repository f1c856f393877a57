"""The production static storage remembers each address, and only what the manifest has."""

from __future__ import annotations

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from forestall.lib.staticfiles import RememberedManifestStaticFilesStorage


def _storages(tmp_path):
    manifest = {"version": "1.1", "paths": {"public/site.css": "public/site.0123456789ab.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return (
        RememberedManifestStaticFilesStorage(location=tmp_path, base_url="/static/"),
        CompressedManifestStaticFilesStorage(location=tmp_path, base_url="/static/"),
    )


def test_each_address_is_the_manifests_on_every_call(tmp_path):
    remembered, plain = _storages(tmp_path)
    for _round in range(3):
        assert remembered.url("public/site.css") == plain.url("public/site.css")
    assert remembered.url("public/site.css") == "/static/public/site.0123456789ab.css"


def test_a_name_missing_from_the_manifest_fails_every_time(tmp_path):
    remembered, _plain = _storages(tmp_path)
    for _round in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            remembered.url("public/missing.js")
