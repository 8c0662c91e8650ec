-- the S3 credentials and endpoint from the environment (flows/storage/object_store.py), for this
-- connection only; without them DuckDB uses the machine's persistent secrets
create or replace temporary secret newsprint_s3 (
    type s3,
    key_id $key_id,
    secret $secret,
    session_token $session_token,
    region $region,
    endpoint $endpoint,
    url_style $url_style,
    use_ssl $use_ssl
)
