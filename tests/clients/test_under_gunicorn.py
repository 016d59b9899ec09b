"""boto3 and the AWS CLI against the console as `make run` serves it: gunicorn, whose /api
is the lean WSGI application (keys/api/wsgi.py), not the Django view the live server runs."""

import http.client
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.servers import (
    Account,
    Database,
    Gunicorn,
    gunicorns,
    new_account,
    signed_identity_request,
    sqlite_database,
)

from .test_awscli import AWS_CLI, AwsCli

pytestmark = pytest.mark.xdist_group("servers")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Gunicorn]]:
    tmp = tmp_path_factory.mktemp("served")
    # With gunicorn's access log on, so that the log tests see every request's line.
    access_log = {"GUNICORN_ACCESS_LOG": "-"}
    with sqlite_database(tmp) as database, gunicorns(database, tmp, env=access_log) as (server,):
        yield database, server


@pytest.fixture
def account(served: tuple[Database, Gunicorn]) -> Account:
    return new_account(*served)


def _client(server: Gunicorn, service: str, credentials: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """``credentials``: a key ID and secret, and a session token for temporary ones."""
    return boto3.session.Session().client(
        service,
        endpoint_url=f"{server.url}/api",
        region_name="us-east-1",
        aws_access_key_id=credentials[0],
        aws_secret_access_key=credentials[1],
        aws_session_token=credentials[2] if len(credentials) > 2 else None,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=20),
    )


def test_boto3_runs_the_whole_key_lifecycle(served, account):  # type: ignore[no-untyped-def]
    database, server = served
    signing = account.browser.create_key_with_secret()
    sts, iam = _client(server, "sts", signing), _client(server, "iam", signing)

    identity = sts.get_caller_identity()
    assert identity["Account"] == account.account_id
    assert identity["Arn"] == f"arn:aws:iam::{account.account_id}:root"

    created = iam.create_access_key()["AccessKey"]
    listed = iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [signing[0], created["AccessKeyId"]]
    with pytest.raises(ClientError) as refused:
        iam.create_access_key()
    assert refused.value.response["Error"]["Code"] == "LimitExceeded"

    new_sts = _client(server, "sts", (created["AccessKeyId"], created["SecretAccessKey"]))
    assert new_sts.get_caller_identity()["Account"] == account.account_id
    iam.update_access_key(AccessKeyId=created["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        new_sts.get_caller_identity()
    assert inactive.value.response["Error"]["Code"] == "InvalidClientTokenId"
    iam.delete_access_key(AccessKeyId=created["AccessKeyId"])

    last_used = iam.get_access_key_last_used(AccessKeyId=signing[0])["AccessKeyLastUsed"]
    assert last_used["ServiceName"] == "iam" and last_used["Region"] == "us-east-1"
    keys = database.access_keys(account.account_id)
    assert [k["access_key_id"] for k in keys] == [signing[0]]

    wrong = _client(server, "sts", (signing[0], "x" * 40))
    with pytest.raises(ClientError) as mismatch:
        wrong.get_caller_identity()
    assert mismatch.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_the_aws_cli_signs_against_it(served, account, tmp_path: Path):  # type: ignore[no-untyped-def]
    _, server = served
    credentials = account.browser.create_key_with_secret()
    aws = AwsCli(AWS_CLI, tmp_path / "home", f"{server.url}/api")
    identity = aws.json("sts", "get-caller-identity", credentials=credentials)
    assert identity["Account"] == account.account_id
    listed = aws.json("iam", "list-access-keys", credentials=credentials)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [credentials[0]]


def test_temporary_credentials_work_and_never_reach_the_servers_log(served, account):  # type: ignore[no-untyped-def]
    _, server = served
    signing = account.browser.create_key_with_secret()
    issued = _client(server, "sts", signing).get_session_token(DurationSeconds=900)
    temporary = issued["Credentials"]
    session = (temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"])
    session_sts = _client(server, "sts", session)
    assert session_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account.account_id}:root"
    url = session_sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url, timeout=20) as presigned:  # noqa: S310 - our own server
        assert presigned.status == 200
    with pytest.raises(ClientError) as refused:
        _client(server, "iam", session).list_access_keys()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as altered:
        _client(server, "sts", (*session[:2], session[2][:-2] + "xx")).get_caller_identity()
    assert altered.value.response["Error"]["Code"] == "InvalidClientTokenId"

    log = server.log_path.read_text(errors="replace")
    assert log.count('"POST /api HTTP/1.1" 200') >= 2  # the access log is on
    assert '"GET /api HTTP/1.1" 200' in log
    for secret in (*session[1:], signing[1]):
        assert secret not in log


def test_two_authorization_headers_are_refused_not_one_picked(served, account):  # type: ignore[no-untyped-def]
    # gunicorn joins repeated headers into one value ("bogus,real"); the verifier must see two.
    _, server = served
    access_key_id, secret = account.browser.create_key_with_secret()
    body, headers = signed_identity_request(f"{server.url}/api", access_key_id, secret)
    bogus = headers["Authorization"].rsplit("Signature=", 1)[0] + "Signature=" + "0" * 64

    def send(*authorizations: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        try:
            connection.putrequest("POST", "/api", skip_host="Host" in headers)
            for name, value in headers.items():
                if name != "Authorization":
                    connection.putheader(name, value)
            for authorization in authorizations:
                connection.putheader("Authorization", authorization)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    assert send(headers["Authorization"])[0] == 200
    for doubled in [(bogus, headers["Authorization"]), (headers["Authorization"], bogus)]:
        status, text = send(*doubled)
        assert status == 400
        assert "<Code>IncompleteSignature</Code>" in text
        assert "Only one Authorization header is allowed" in text


def test_a_chunked_body_is_refused_in_words_not_as_a_bad_signature(served, account):  # type: ignore[no-untyped-def]
    """No SDK sends the Query API chunked, and Django reads no chunked body: a client that does
    is told to send Content-Length (AWS's 411), instead of having its signature checked
    against an empty body. The same request with Content-Length then passes."""
    _, server = served
    access_key_id, secret = account.browser.create_key_with_secret()
    body, headers = signed_identity_request(f"{server.url}/api", access_key_id, secret)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        chunked = {**headers, "Transfer-Encoding": "chunked"}
        connection.request("POST", "/api", body=iter([body]), headers=chunked, encode_chunked=True)
        response = connection.getresponse()
        text = response.read().decode()
        assert response.status == 411, text
        assert "<Code>MissingContentLength</Code>" in text
        assert "You must provide the Content-Length HTTP header." in text
        connection.request("POST", "/api", body=body, headers=headers)  # the same connection
        response = connection.getresponse()
        assert response.status == 200, response.read()
        assert "<GetCallerIdentityResponse" in response.read().decode()
    finally:
        connection.close()


def test_head_gets_the_405_without_a_body(served):  # type: ignore[no-untyped-def]
    """HEAD is answered as GET would be, minus the body: gunicorn warns of a body sent on a
    no-body response, once per request, otherwise."""
    _, server = served
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        connection.request("HEAD", "/api")
        response = connection.getresponse()
        assert response.status == 405
        assert response.getheader("Allow") == "GET, POST"
        assert response.read() == b""
        connection.request("GET", "/healthz")  # the connection is still in step
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    assert "no-body response" not in server.log_path.read_text(errors="replace")
