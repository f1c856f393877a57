"""The partner API (mounted under /api/v1/), with its OpenAPI schema at /api/v1/openapi.json.

Public statistics need no key: they are the same suppressed release as the
public page and its downloads (``forestall.stats.release``); nothing from the
staff side is reachable here. The interactive documentation page is switched
off because it loads scripts from a third-party CDN.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError

from forestall.api import schemas
from forestall.stats import opendata
from forestall.stats.release import public_release


class ForestallAPI(NinjaAPI):
    """The partner API, with what ninja cannot infer from views that write their own bodies."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(**kwargs)
        components = document["components"]
        # The impressions report is read by hand (unknown fields refused by name),
        # so ninja does not see its schema: the operation refers to it here.
        components["schemas"].update(schemas.component_schemas(schemas.ImpressionReport))
        components["securitySchemes"] = {
            "partnerKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A partner key (fsr_<prefix>_<secret>), made by a network admin.",
            }
        }
        return document


api = ForestallAPI(
    title="forestall partner API",
    version="1",
    description=(
        "De-identified statistics of the forestall prevention network, after disclosure "
        "control (small numbers withheld as null). Schema of the figures: "
        "forestall-statistics/1, see the documentation of the statistics."
    ),
    docs_url=None,
    # The schema is read, never written: PUT, DELETE or TRACE get 405, not the
    # schema. Exempt from the CSRF check (it changes nothing), which otherwise
    # answers every method but GET, HEAD, OPTIONS and TRACE first, with the
    # browser page "This form expired" (403), before require_safe is asked.
    docs_decorator=lambda view: csrf_exempt(require_safe(view)),
    urls_namespace="api",
)


class LanguageQuery(Schema):
    language: str = "en"


def _release_json(language: str) -> dict[str, Any]:
    if language not in ("en", "de"):
        raise HttpError(400, "language must be 'en' or 'de'")
    with translation.override(language):
        return opendata.release_json(public_release())


@api.get(
    "/statistics/",
    response=schemas.StatisticsRelease,
    by_alias=True,
    summary="The whole public statistics release",
    tags=["statistics"],
)
def statistics(request: HttpRequest, query: Query[LanguageQuery]) -> dict[str, Any]:
    return _release_json(query.language)


@api.get(
    "/statistics/tables/",
    response=list[schemas.TableSummary],
    summary="The tables of the release",
    tags=["statistics"],
)
def statistics_tables(request: HttpRequest, query: Query[LanguageQuery]) -> list[dict[str, Any]]:
    return _release_json(query.language)["tables"]


@api.get(
    "/statistics/tables/{table_id}",
    response={200: schemas.StatisticsTable, 404: schemas.Error},
    summary="One table of the release",
    tags=["statistics"],
)
def statistics_table(request: HttpRequest, table_id: str, query: Query[LanguageQuery]) -> Any:
    for table in _release_json(query.language)["tables"]:
        if table["id"] == table_id:
            return table
    return Status(404, {"detail": "no such table"})


@api.get(
    "/statistics/estimates",
    response=list[schemas.Estimate],
    summary="Rates and times: medians, 90th percentiles, outcome rates with 95% intervals",
    tags=["statistics"],
)
def statistics_estimates(request: HttpRequest, query: Query[LanguageQuery]) -> list[dict[str, Any]]:
    return _release_json(query.language)["estimates"]


@api.get(
    "/statistics/funnel",
    response=schemas.Funnel,
    summary="The network's funnel from first contact to completed therapy",
    tags=["statistics"],
)
def statistics_funnel(request: HttpRequest, query: Query[LanguageQuery]) -> dict[str, Any]:
    release = _release_json(query.language)
    table = next(t for t in release["tables"] if t["id"] == "funnel_by_region")
    return {
        "period": release["period"],
        "steps": [
            {"step": column["key"], "label": column["label"], "count": count}
            for column, count in zip(table["columns"], table["column_totals"], strict=True)
        ],
    }


api.add_router("/reach/", "forestall.reach.api.router")

# include("forestall.api.urls") mounts these under the namespace ninja reverses ("api").
app_name = "api"
urlpatterns = api.urls[0]
