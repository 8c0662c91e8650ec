"""A lake's Parquet files on object storage: S3 and S3-compatible stores (MinIO, R2…) and GCS.

DuckDB reads and writes `s3://`, `gs://` and `r2://` paths through its httpfs extension,
loaded here from the `duckdb-extension-httpfs` wheel. The credentials come from the
environment, under the names every AWS client reads, or from DuckDB's own secrets:

    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN)   the keys
    AWS_REGION (or AWS_DEFAULT_REGION)                               default us-east-1
    AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL)                        another store: http://minio:9000
    NEWSPRINT_S3_URL_STYLE                                           path | vhost (default: path
                                                                     with an endpoint, else vhost)

With no key in the environment no secret is made, and DuckDB uses the persistent secrets of
the machine (`CREATE PERSISTENT SECRET`, kept in `~/.duckdb/stored_secrets`): the way for GCS
(HMAC keys, `TYPE gcs`) or for keys kept out of the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

OBJECT_STORE_SCHEMES = ("s3://", "s3a://", "s3n://", "gs://", "gcs://", "r2://")


def is_object_store(path: str) -> bool:
    """Tell whether a data path is on object storage (httpfs), not a local or mounted folder."""
    return path.lower().startswith(OBJECT_STORE_SCHEMES)


@dataclass(frozen=True)
class S3Secret:
    """The S3 settings of a DuckDB secret, as `sql/lake/create_s3_secret.sql` takes them."""

    key_id: str
    secret: str
    session_token: str
    region: str
    endpoint: str  # host[:port], no scheme
    url_style: str  # path | vhost
    use_ssl: bool

    def params(self) -> dict[str, object]:
        return asdict(self)


def s3_secret_from_env(env: Mapping[str, str]) -> S3Secret | None:
    """Read the AWS clients' variables (see the module); None without an access key."""
    key_id = env.get("AWS_ACCESS_KEY_ID", "")
    if not key_id:
        return None
    url = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or ""
    parts = urlsplit(url if "://" in url else f"https://{url}") if url else None
    endpoint = parts.netloc if parts else "s3.amazonaws.com"
    style = env.get("NEWSPRINT_S3_URL_STYLE") or ("path" if parts else "vhost")
    if style not in ("path", "vhost"):
        raise ValueError(f"NEWSPRINT_S3_URL_STYLE is path or vhost, not {style!r}")
    return S3Secret(
        key_id=key_id,
        secret=env.get("AWS_SECRET_ACCESS_KEY", ""),
        session_token=env.get("AWS_SESSION_TOKEN", ""),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint=endpoint,
        url_style=style,
        use_ssl=parts is None or parts.scheme != "http",
    )
