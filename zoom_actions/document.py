"""The action document: the contract between the build step and the runtime.

The build step writes these shapes (``zoom_actions/codegen``); the runtime,
adapters, sandbox and contract check read them. ``CATALOG_FORMAT`` changes
whenever a field the runtime relies on is added, removed or changes
meaning; the catalog's ``index.json`` records it, and loading a catalog of
another format is refused with the command that rebuilds it.

Format history: 1, the first catalog; 2, ``pagination`` and the query
parameter ``style`` are computed at build time, required path parameters declare
``minLength: 1``; 3, every Zoom product: ``also_in`` (other products whose
document holds the same operation) on actions and index entries, and
``master_account`` on each index ``specs`` entry. Still 3, added beside
the operations (a runtime that does not know them never sees them):
``workflows`` in ``index.json`` (name -> :class:`WorkflowEntry`) and in
``names.json`` (name -> ``[product]``), composite actions from
``spec/workflows.json`` whose documents (:class:`WorkflowDocument`) have
``kind: "workflow"``, ``operation: None`` and ``steps``; and on an action
whose success body is not JSON (a file download), ``response_content_type``
(the media type Zoom declares, which the runtime asks for in ``Accept``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

CATALOG_FORMAT = 3


class Operation(TypedDict):
    method: str                   # upper case
    path: str                     # Zoom's template, e.g. /meetings/{meetingId}
    server: str                   # the operation's server URL
    operation_id: str | None


class ParameterLocation(TypedDict, total=False):
    # where one flat parameter goes: path/query/header by `name`, body/multipart by key `path`
    name: str
    path: list[str]
    file: bool                    # a multipart file part
    style: Literal["comma"]       # a query array Zoom documents as comma-separated


class Pagination(TypedDict):
    kind: Literal["next_page_token", "page_number"]
    list_field: str | None        # the array in the answer that pages add to


class RequestBody(TypedDict, total=False):
    content_type: str
    required: bool
    kind: str                     # object, union, array, scalar, ...
    schema: dict
    containers: list[list[str]]   # flattened objects to create even when empty


class Annotations(TypedDict):
    read_only: bool
    destructive: bool
    idempotent: bool


class Scopes(TypedDict):
    classic: list[str]
    granular: list[str]


class ActionDocument(TypedDict):
    name: str
    title: str
    description: str
    short_description: str
    product: str
    tags: list[str]
    operation: Operation
    scopes: Scopes
    rate_limit: str | None
    annotations: Annotations
    deprecated: bool
    input_schema: dict            # flat, JSON Schema 2020-12
    output_schema: dict           # the envelope, `data` typed by Zoom's 2xx schema
    parameters: dict[str, dict]   # flat name -> ParameterLocation (with "in")
    aliases: dict[str, str]
    request_body: RequestBody | None
    success_status: int | None
    errors: dict[str, list[dict]]
    pagination: Pagination | None
    also_in: list[str]            # other products whose document holds this same operation
    response_content_type: NotRequired[str]   # a non-JSON success body's media type (downloads)


class IndexEntry(TypedDict):
    title: str
    short_description: str
    product: str
    tags: list[str]
    method: str
    path: str
    rate_limit: str | None
    annotations: Annotations
    scopes: list[str]
    parameters: list[str]
    required: list[str]
    also_in: list[str]


class SpecEntry(TypedDict):
    title: str
    file: str
    sha256: str
    master_account: bool          # a master-account API: left out of default selections


class Names(TypedDict):
    """``names.json``: what listing and product filters need, read without the index."""
    format: int
    specs: dict[str, SpecEntry]
    products: dict[str, list[str]]   # name -> [product, *also_in]


class WorkflowStep(TypedDict, total=False):
    id: str
    action: str                   # a catalog action, run through Toolkit.execute
    download: str                 # or a recording download (what it fetches)
    when: str                     # when the step runs, for readers


class WorkflowDocument(ActionDocument):
    """A composite action: the ActionDocument fields (``operation`` None, no
    ``parameters``: its flat input goes to its runner, not onto the wire)."""
    kind: Literal["workflow"]
    runner: str                   # the function in zoom_actions/workflows.py
    steps: list[WorkflowStep]


class WorkflowEntry(IndexEntry):
    kind: Literal["workflow"]     # method and path are "" (no single HTTP operation)
    steps: list[str]              # the step actions


class Index(TypedDict, total=False):
    format: int
    specs: dict[str, SpecEntry]
    count: int                    # operations (workflows not counted)
    actions: dict[str, IndexEntry]
    workflows: dict[str, WorkflowEntry]
