"""Scale: 100,000 accounts with 200,000 keys change neither what a request costs nor how the
database finds its rows.

The credentials page, a sign-in and two API calls (signed by botocore, served through the
Django test client) run the same number of queries with one account as with 100,000, and
each of those queries reaches keys and accounts through an index, never a full scan, on
SQLite and on PostgreSQL alike.
"""

import io
import json
import re
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keys.models import AccessKey
from keys.services import NewAccessKey
from tests.conftest import CsrfClient
from tests.factories import PASSWORD, make_access_key
from tests.servers import in_process_api_call

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("servers")]

ACCOUNTS = 100_000
BIG_TABLES = {"keys_accesskey", "accounts_rootuser"}

type Request = Callable[[], CaptureQueriesContext]


def _api(new_key: NewAccessKey, action: str, service: str) -> Request:
    access_key = new_key.access_key

    def call() -> CaptureQueriesContext:
        # Forget the last use, so that every call records it: one UPDATE each time.
        AccessKey.objects.filter(pk=access_key.pk).update(
            last_used_at=None, last_used_region="", last_used_service=""
        )
        with CaptureQueriesContext(connection) as queries:
            response = in_process_api_call(
                access_key_id=access_key.access_key_id,
                secret=new_key.secret_access_key,
                action=action,
                service=service,
            )
        assert response.status_code == 200, response.content
        return queries

    return call


def _page(client: CsrfClient) -> Request:
    def call() -> CaptureQueriesContext:
        client.get("/iam/security_credentials")  # stamps the session's last-seen time
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/iam/security_credentials")
        assert response.status_code == 200
        return queries

    return call


def _sign_in(email: str) -> Request:
    def call() -> CaptureQueriesContext:
        client = CsrfClient()
        client.post("/signin", {"email": email.upper()})  # any case signs in
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/signin/password", {"password": PASSWORD})
        assert response.status_code == 302, response.content
        return queries

    return call


def _measure(requests: dict[str, Request]) -> dict[str, list[str]]:
    return {
        name: [query["sql"] for query in request().captured_queries]
        for name, request in requests.items()
    }


def _full_scans(sql: str) -> list[str]:
    """The big tables that the query's plan reads from end to end."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            details = [row[-1] for row in cursor.fetchall()]
            # SQLite names a table by its alias in a plan: "SCAN T3". Any SCAN of a table is
            # a full one (an index scan reads "SCAN t USING INDEX", which is not a lookup
            # either); SEARCH is a lookup.
            return [detail for detail in details if re.match(r"SCAN (?!CONSTANT ROW)", detail)]
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return [
            node["Relation Name"]
            for node in _plan_nodes(plan[0]["Plan"])
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
        ]


def _plan_nodes(node: dict) -> list[dict]:
    return [node, *(n for child in node.get("Plans", []) for n in _plan_nodes(child))]


def _is_lookup(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))


def test_a_hundred_thousand_accounts_change_no_requests_queries_nor_their_plans(
    alice, alice_client
):  # type: ignore[no-untyped-def]
    signing_key = make_access_key(alice)
    make_access_key(alice)
    requests = {
        "credentials page": _page(alice_client),
        "sign-in": _sign_in(alice.email),
        "sts GetCallerIdentity": _api(signing_key, "GetCallerIdentity", "sts"),
        "iam ListAccessKeys": _api(signing_key, "ListAccessKeys", "iam"),
    }
    assert get_user_model().objects.count() == 1
    with_one_account = _measure(requests)

    call_command("seed_accounts", "--accounts", str(ACCOUNTS), stdout=io.StringIO())
    assert get_user_model().objects.count() == ACCOUNTS + 1
    assert AccessKey.objects.count() == 2 * ACCOUNTS + 2
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load; it cannot see this test's transaction.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE keys_accesskey, accounts_rootuser")
    at_scale = _measure(requests)

    counts = {name: len(queries) for name, queries in at_scale.items()}
    assert counts == {name: len(queries) for name, queries in with_one_account.items()}
    scans = {
        sql: _full_scans(sql) for queries in at_scale.values() for sql in queries if _is_lookup(sql)
    }
    assert not {sql: found for sql, found in scans.items() if found}


def test_the_key_lookup_and_the_owners_key_list_use_indexes(alice):  # type: ignore[no-untyped-def]
    """The two reads of every request, planned on a database with many accounts."""
    call_command("seed_accounts", "--accounts", "2000", stdout=io.StringIO())
    access_key = make_access_key(alice).access_key
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE keys_accesskey, accounts_rootuser")
    key_lookup = AccessKey.objects.select_related("owner").filter(pk=access_key.pk)
    owners_keys = AccessKey.objects.for_owner(alice)
    by_email = get_user_model().objects.with_email(alice.email.upper())
    by_account_id = get_user_model().objects.filter(account_id=alice.account_id)
    for queryset in (key_lookup, owners_keys, by_email, by_account_id):
        plan = queryset.explain()
        assert re.search(r"USING (INTEGER PRIMARY KEY|INDEX|COVERING INDEX)|Index", plan), plan
        assert not re.search(r"\bSCAN (?!CONSTANT ROW)|Seq Scan", plan), plan


def test_the_indexes_that_keep_lookups_fast_exist() -> None:
    with connection.cursor() as cursor:
        keys = connection.introspection.get_constraints(cursor, "keys_accesskey")
        accounts = connection.introspection.get_constraints(cursor, "accounts_rootuser")

    def indexed(constraints: dict, columns: list[str], *, unique: bool = False) -> bool:
        """An index (or a unique or primary key, which has one) led by these columns."""
        return any(
            c["columns"][: len(columns)] == columns
            and (c["index"] or c["unique"] or c["primary_key"])
            and (c["unique"] or c["primary_key"] or not unique)
            for c in constraints.values()
        )

    assert indexed(keys, ["access_key_id"], unique=True)  # the API's lookup by key ID
    assert indexed(keys, ["owner_id", "slot"], unique=True)  # the two-key rule
    assert indexed(keys, ["owner_id"])  # an owner's keys
    assert indexed(accounts, ["email"], unique=True)
    assert indexed(accounts, ["account_id"], unique=True)
    # Sign-in's case-insensitive lookup: the unique index on LOWER(email).
    assert accounts["rootuser_email_ci_unique"]["unique"]
