"""The warehouse URI and the S3 settings taken from the usual ``AWS_*`` variables."""

from __future__ import annotations

import pytest

from tracechat.store.iceberg.warehouse import DEFAULT_REGION, WarehouseError, check, io_properties, is_local, path_of


@pytest.mark.parametrize("uri", ["file:///shared/tracechat", "s3://bucket", "s3://bucket/some/prefix"])
def test_a_file_or_s3_warehouse_is_taken(uri: str) -> None:
    assert check(uri) == uri


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("gs://bucket/x", "file:///… or s3://bucket/prefix"),
        ("/shared/dir", "file:///… or s3://bucket/prefix"),
        ("s3:///prefix", "names no bucket"),
        ("file://relative/dir", "not an absolute file:/// path"),
    ],
)
def test_another_warehouse_is_refused_with_what_is_wrong(uri: str, reason: str) -> None:
    with pytest.raises(WarehouseError, match=reason) as refused:
        check(uri)
    assert refused.value.code == "configuration"


def test_a_local_warehouse_needs_no_s3_settings() -> None:
    assert io_properties("file:///w", {"AWS_ACCESS_KEY_ID": "k", "AWS_REGION": "eu-west-1"}) == {}


def test_s3_settings_come_from_the_aws_variables() -> None:
    environ = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
        "AWS_REGION": "eu-west-1",
    }
    assert io_properties("s3://b/p", environ) == {
        "s3.endpoint": "http://127.0.0.1:9000",
        "s3.access-key-id": "key",
        "s3.secret-access-key": "secret",
        "s3.session-token": "token",
        "s3.region": "eu-west-1",
    }


def test_the_s3_specific_endpoint_wins_and_a_region_is_always_set() -> None:
    environ = {"AWS_ENDPOINT_URL": "http://general", "AWS_ENDPOINT_URL_S3": "http://s3-only", "AWS_REGION": ""}
    assert io_properties("s3://b/p", environ) == {"s3.endpoint": "http://s3-only", "s3.region": DEFAULT_REGION}
    assert io_properties("s3://b", {"AWS_DEFAULT_REGION": "ap-south-1"}) == {"s3.region": "ap-south-1"}


def test_paths_are_what_the_filesystem_lists() -> None:
    assert path_of("s3://bucket/w/tracechat/spans/data/f.parquet") == "bucket/w/tracechat/spans/data/f.parquet"
    assert path_of("file:///shared/w/f.parquet") == "/shared/w/f.parquet"
    assert is_local("file:///shared/w/f.parquet")
    assert not is_local("s3://bucket/f.parquet")
