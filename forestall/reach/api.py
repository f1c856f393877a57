"""The reach part of the partner API (mounted at /api/v1/reach/).

``catalogue``, ``fragment`` and ``public-key`` need no key: the catalogue and
the fragments are public text (the same for every caller, so they are built
once and served from the cache), signed so that partners can trust them
wherever they were cached. A key would add nothing to protect and would put
a secret into every partner's page-rendering path. Their links use
``FORESTALL_SITE_URL``, never the request's Host header, so no request can
make forestall sign a link to somewhere else.
``impressions`` takes a partner's daily aggregates with its Bearer key. The
report is read by hand rather than by a schema so that any field it does not
know (in particular anything that could carry a query) is refused by name.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Query, Router

from forestall.api import schemas
from forestall.reach import actions, catalogue, fragment, keys, signing
from forestall.reach.models import Variant

router = Router(tags=["reach"])

_REPORT_FIELDS = {"day", "counts"}
_COUNT_FIELDS = {"variant", "language", "impressions"}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
MAX_ROWS = 10_000


def _error(status: int, detail: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"detail": detail, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


_SIGNED_HEADERS = {
    "ETag": {
        "description": "Of the body; ask again with If-None-Match to get 304 while unchanged.",
        "schema": {"type": "string"},
    },
    "X-Forestall-Signature": {
        "description": "Base64 Ed25519 signature of the exact body bytes.",
        "schema": {"type": "string", "format": "byte"},
    },
    "X-Forestall-Key-Id": {
        "description": "The key that signed it: GET /api/v1/reach/public-key?key_id=…",
        "schema": {"type": "string"},
    },
}
_NOT_MODIFIED = {
    "description": "Unchanged since the ETag in If-None-Match; no body.",
    "headers": _SIGNED_HEADERS,
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the copy you hold.",
    "schema": {"type": "string"},
}


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _send_signed(
    request: HttpRequest, signed: catalogue.SignedCatalogue, content_type: str
) -> HttpResponse:
    if request.headers.get("If-None-Match") == signed.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(signed.body, content_type=content_type)
    response["ETag"] = signed.etag
    response["X-Forestall-Signature"] = signed.signature
    response["X-Forestall-Key-Id"] = signed.key_id
    # Like every dynamic response it is sent with no-store (PrivacyHeadersMiddleware):
    # partners keep the body and its ETag themselves and ask with If-None-Match.
    return response


@router.get(
    "/catalogue",
    summary="The signed message catalogue in one language (ETag; X-Forestall-Signature)",
    response={200: schemas.Catalogue, 304: None, 400: schemas.ReachError},
    openapi_extra={
        "parameters": [_IF_NONE_MATCH],
        "responses": {200: {"headers": _SIGNED_HEADERS}, 304: _NOT_MODIFIED},
    },
)
def catalogue_view(request: HttpRequest, language: str = "en") -> HttpResponse:
    if language not in _languages():
        return _error(400, "unknown language", languages=_languages())
    signed = catalogue.signed(language, settings.FORESTALL_SITE_URL)
    return _send_signed(request, signed, "application/json; charset=utf-8")


@router.get(
    "/fragment",
    summary="A ready, signed HTML fragment of one variant (no scripts, no styles, no requests)",
    description=(
        "Server-side HTML to embed as it is: one variant's title and the four elements in "
        "the language asked for, and a link to the landing page for your short name. Class "
        "names start with `forestall-reach`; it has no script, style, image or form. Signed "
        "like the catalogue."
    ),
    response={200: None, 304: None, 400: schemas.ReachError, 404: schemas.ReachError},
    openapi_extra={
        "parameters": [_IF_NONE_MATCH],
        "responses": {
            200: {
                "description": "The fragment (UTF-8 HTML).",
                "headers": _SIGNED_HEADERS,
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            304: _NOT_MODIFIED,
        },
    },
)
def fragment_view(
    request: HttpRequest,
    variant: str = Query("", description="Required: a variant id from the catalogue."),
    partner: str = Query("", description="Required: your short name (it goes into the link)."),
    language: str = "en",
) -> HttpResponse:
    if language not in _languages():
        return _error(400, "unknown language", fields=["language"], languages=_languages())
    if not _SLUG.match(partner):
        return _error(
            400, "partner must be your short name, e.g. ?partner=search-one", fields=["partner"]
        )
    try:
        variant_id = uuid.UUID(variant)
    except ValueError:
        return _error(404, "unknown variant: use an id from the catalogue", fields=["variant"])
    try:
        signed = fragment.signed(variant_id, language, partner)
    except fragment.UnknownVariant:
        return _error(
            404,
            f"unknown variant: no variant {variant_id} in the catalogue in '{language}'",
            fields=["variant"],
        )
    except fragment.UnknownPartner:
        return _error(404, f"unknown partner '{partner}'", fields=["partner"])
    response = _send_signed(request, signed, "text/html; charset=utf-8")
    response["Content-Language"] = language
    return response


@router.get(
    "/public-key",
    summary="The key that signs the catalogue and fragments (or an older one by ?key_id=)",
    response={200: schemas.PublicKey, 404: schemas.ReachError},
)
def public_key(request: HttpRequest, key_id: str = "") -> HttpResponse:
    key = signing.key_by_id(key_id) if key_id else signing.current_key()
    if key is None:
        return _error(404, "no such key", key_ids=[k.key_id for k in signing.signing_keys()])
    return JsonResponse(
        {
            "key_id": key.key_id,
            "algorithm": "Ed25519",
            "public_key": key.public_base64,
            "keys": [
                {"key_id": k.key_id, "public_key": k.public_base64} for k in signing.signing_keys()
            ],
        }
    )


def _unknown(fields: Any, allowed: set[str], where: str) -> list[str]:
    return [f"{where}{name}" for name in sorted(set(fields) - allowed)]


def _variant_key(value: Any, known: dict[str, Variant]) -> str | None:
    """The catalogue id ``value`` names (any spelling of a UUID), or None."""
    if isinstance(value, str) and value in known:  # the canonical spelling: no parsing
        return value
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _parse_report(
    body: Any,
) -> tuple[datetime.date, list[tuple[Variant, str, int]]] | JsonResponse:
    """Validate a report; every problem is named, nothing is stored unless all is well.

    The hot path of the ingest (a partner reports a few hundred counts a day,
    a network thousands of partners): one query for the variants, no model
    or UUID object per count where the id is spelt canonically.
    """
    if not isinstance(body, dict):
        return _error(400, "the report must be a JSON object with 'day' and 'counts'")
    unknown = _unknown(body, _REPORT_FIELDS, "")
    counts = body.get("counts")
    if isinstance(counts, list):
        for index, row in enumerate(counts):
            if isinstance(row, dict) and row.keys() - _COUNT_FIELDS:
                unknown += _unknown(row, _COUNT_FIELDS, f"counts[{index}].")
    if unknown:
        return _error(400, "unknown fields: " + ", ".join(unknown), fields=unknown)
    missing = sorted(_REPORT_FIELDS - set(body))
    if missing:
        return _error(400, "missing fields: " + ", ".join(missing), fields=missing)
    try:
        day = datetime.date.fromisoformat(str(body["day"]))
    except ValueError:
        return _error(422, "day must be a date as YYYY-MM-DD", fields=["day"])
    if day > timezone.localdate():
        return _error(422, "day is in the future", fields=["day"])
    if not isinstance(counts, list):
        return _error(422, "counts must be a list", fields=["counts"])
    if len(counts) > MAX_ROWS:
        return _error(422, f"at most {MAX_ROWS} counts per report", fields=["counts"])
    # The catalogue is small (tens of variants): one query, then dictionary lookups.
    known = {str(variant.pk): variant for variant in Variant.objects.all()}
    parsed: list[tuple[Variant, str, int]] = []
    problems: list[str] = []
    match_language = _LANGUAGE.match
    for index, row in enumerate(counts):
        if not isinstance(row, dict):
            problems.append(f"counts[{index}]: must be an object")
            continue
        if len(row) != len(_COUNT_FIELDS):
            missing = sorted(_COUNT_FIELDS - set(row))
            problems.append(f"counts[{index}]: missing {', '.join(missing)}")
            continue
        impressions, language, variant = row["impressions"], row["language"], row["variant"]
        fine = True
        if type(impressions) is not int or impressions < 0:  # bool and float refused too
            problems.append(f"counts[{index}].impressions: must be a whole number, 0 or more")
            fine = False
        if not isinstance(language, str) or not match_language(language):
            problems.append(f"counts[{index}].language: must be a language code such as 'en'")
            fine = False
        variant_id = _variant_key(variant, known)
        if variant_id is None or variant_id not in known:
            problems.append(f"counts[{index}].variant: unknown variant {variant_id or ''}".rstrip())
            continue
        if fine:
            parsed.append((known[variant_id], language, impressions))
    if problems:
        return _error(422, "; ".join(problems[:20]), problems=problems[:100])
    return day, parsed


@router.post(
    "/impressions",
    summary="Report a day's impressions (Bearer key; a resend replaces)",
    response={
        200: schemas.ImpressionReceipt,
        400: schemas.ReachError,
        401: schemas.ReachError,
        413: schemas.ReachError,
        422: schemas.ReachError,
        429: schemas.ReachError,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImpressionReport"}}
            },
        },
        "security": [{"partnerKey": []}],
        "responses": {
            401: {
                "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}}
            },
            429: {
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until the key's budget refills.",
                        "schema": {"type": "integer"},
                    }
                }
            },
        },
    },
)
def impressions(request: HttpRequest) -> HttpResponse:
    scheme, _space, presented = request.headers.get("Authorization", "").partition(" ")
    key = actions.authenticate_key(presented.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        response = _error(401, "a valid partner key is needed: Authorization: Bearer <key>")
        response["WWW-Authenticate"] = "Bearer"
        return response
    if keys.over_rate(key.prefix):
        response = _error(429, "too many requests for this key; try again in a minute")
        response["Retry-After"] = "60"
        return response
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return _error(413, "the report is too large")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error(400, "the body must be JSON")
    parsed = _parse_report(body)
    if isinstance(parsed, JsonResponse):
        return parsed
    day, rows = parsed
    written = actions.replace_impressions(key.partner, day, rows, key=key)
    return JsonResponse({"partner": key.partner.slug, "day": day.isoformat(), "rows": written})
