"""Where the tables' files live: a ``file://`` directory every node mounts, or an ``s3://``
bucket and prefix on any S3 API (AWS, MinIO, a JuiceFS gateway, …).

For S3 the endpoint and credentials come the usual AWS way, from the environment
(``io_properties``); pyiceberg's FileIO (pyarrow's S3 filesystem) writes and reads the files.
Every other file operation of the store goes through that same filesystem
(``filesystem``), so reading a trace, compaction and orphan removal work alike on both:
paths here are the filesystem's own (``/dir/file`` locally, ``bucket/key`` on S3).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pyarrow import fs
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import PyArrowFileIO

from tracechat.errors import TracechatError
from tracechat.store.iceberg.catalog import CommitCatalog

SCHEMES: Final = ("file", "s3")
DEFAULT_REGION: Final = "us-east-1"
"""The region signed for when none is set (an S3-compatible store ignores it; pyiceberg
would otherwise ask AWS where the bucket is)."""


class WarehouseError(TracechatError):
    """A warehouse URI tracechat cannot use (a command refuses it before starting)."""

    code = "configuration"


def check(warehouse: str) -> str:
    """``warehouse`` if it is a ``file:///dir`` or ``s3://bucket[/prefix]`` URI."""
    parsed = urlparse(warehouse)
    if parsed.scheme not in SCHEMES:
        raise WarehouseError(f"--warehouse must be a file:///… or s3://bucket/prefix URI, not {warehouse!r}")
    if parsed.scheme == "s3" and not parsed.netloc:
        raise WarehouseError(f"--warehouse {warehouse!r} names no bucket: s3://bucket/prefix")
    if parsed.scheme == "file" and (parsed.netloc or not parsed.path.startswith("/")):
        raise WarehouseError(f"--warehouse {warehouse!r} is not an absolute file:/// path")
    return warehouse


def io_properties(warehouse: str, environ: Mapping[str, str]) -> dict[str, str]:
    """pyiceberg FileIO properties for ``warehouse``: for S3, the endpoint
    (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``), region (``AWS_REGION`` or
    ``AWS_DEFAULT_REGION``, else ``DEFAULT_REGION``) and keys (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``) of ``environ``. Keys left unset fall to
    the AWS SDK's own chain (profile, instance role)."""
    if urlparse(warehouse).scheme != "s3":
        return {}
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    properties = {"s3.region": region}
    for name, variables in (
        ("s3.endpoint", ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")),
        ("s3.access-key-id", ("AWS_ACCESS_KEY_ID",)),
        ("s3.secret-access-key", ("AWS_SECRET_ACCESS_KEY",)),
        ("s3.session-token", ("AWS_SESSION_TOKEN",)),
    ):
        value = next((environ[v] for v in variables if environ.get(v)), None)
        if value is not None:
            properties[name] = value
    return properties


def open_catalog(sqlalchemy_uri: str, warehouse: str, environ: Mapping[str, str] | None = None) -> CommitCatalog:
    """The Iceberg catalog on PostgreSQL with its FileIO set up for ``warehouse``."""
    properties = io_properties(check(warehouse), os.environ if environ is None else environ)
    return CommitCatalog("tracechat", uri=sqlalchemy_uri, warehouse=warehouse, pool_pre_ping="true", **properties)


def is_local(location: str) -> bool:
    return urlparse(location).scheme in ("", "file")


@dataclass(frozen=True, slots=True)
class Located:
    filesystem: fs.FileSystem
    path: str
    """The location as ``filesystem`` names it."""


def filesystem(io: FileIO, location: str) -> Located:
    """The pyarrow filesystem the table's FileIO uses for ``location`` (the same client, the
    same credentials), and the location's path on it."""
    if not isinstance(io, PyArrowFileIO):
        raise WarehouseError(f"the table's FileIO is {type(io).__name__}, not pyarrow's")
    scheme, netloc, path = PyArrowFileIO.parse_location(location)
    return Located(io.fs_by_scheme(scheme, netloc), path)


def path_of(location: str) -> str:
    """``location`` as its filesystem names it (what ``list_files`` yields)."""
    return PyArrowFileIO.parse_location(location)[2]


def list_files(io: FileIO, location: str) -> Iterator[tuple[str, float]]:
    """Every file under ``location`` (a table's directory): its path and modification time
    (seconds since the epoch). On S3, every object under the prefix."""
    where = filesystem(io, location)
    selector = fs.FileSelector(where.path.rstrip("/"), recursive=True, allow_not_found=True)
    for info in where.filesystem.get_file_info(selector):
        if info.type == fs.FileType.File:
            modified = info.mtime.timestamp() if info.mtime is not None else 0.0
            yield info.path, modified


def delete(io: FileIO, path: str, like: str) -> bool:
    """Delete the file at ``path`` on the filesystem of location ``like``; False when it was
    gone already."""
    where = filesystem(io, like)
    try:
        where.filesystem.delete_file(path)
    except FileNotFoundError:
        return False
    return True


def read_table(io: FileIO, locations: Sequence[str], columns: Sequence[str] | None = None) -> pa.Table:
    """The rows of Parquet files ``locations`` (all on one filesystem)."""
    if not locations:
        raise ValueError("no files to read")
    where = filesystem(io, locations[0])
    paths = [path_of(location) for location in locations]
    dataset = ds.dataset(paths, format="parquet", filesystem=where.filesystem)
    return dataset.to_table(columns=list(columns) if columns is not None else None)


def trace_keys_by_file(
    io: FileIO, locations: Sequence[str], where: pc.Expression | None = None, chunk: int = 200
) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Each of the Parquet files ``locations`` with the (project, trace id) pairs of its rows
    (matching ``where``), read ``chunk`` files at a time: two columns, not the payload."""
    for start in range(0, len(locations), chunk):
        part = locations[start : start + chunk]
        by_path = {path_of(location): location for location in part}
        where_fs = filesystem(io, part[0])
        dataset = ds.dataset(list(by_path), format="parquet", filesystem=where_fs.filesystem)
        rows = dataset.to_table(columns=["project", "trace_id", "__filename"], filter=where)
        pairs = rows.group_by(["__filename", "project", "trace_id"]).aggregate([])
        found: dict[str, list[tuple[str, str]]] = {location: [] for location in part}
        columns = (pairs.column(n).to_pylist() for n in ("__filename", "project", "trace_id"))
        for name, project, trace_id in zip(*columns, strict=True):
            if trace_id is not None:
                found[by_path[name]].append((project, trace_id))
        yield from found.items()


def read_trace(io: FileIO, locations: Sequence[str], columns: Sequence[str], project: str, trace_id: str) -> pa.Table:
    """The rows of one trace in Parquet files ``locations``: row groups whose trace-id
    statistics exclude it are skipped, so a sorted file costs its footer and a row group."""
    where = filesystem(io, locations[0])
    dataset = ds.dataset([path_of(loc) for loc in locations], format="parquet", filesystem=where.filesystem)
    matching = (pc.field("project") == project) & (pc.field("trace_id") == trace_id)
    return dataset.to_table(columns=list(columns), filter=matching)
