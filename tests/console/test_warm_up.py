"""console.wsgi warms the console up where gunicorn loads it: in the master, before it forks."""

from unittest import mock

import pytest
from django.template import engines

from console.wsgi import warm_up
from tests.factories import make_access_key


def compiled_templates() -> set[str]:
    # Jinja2 keeps a compiled template under (a reference to its loader, its name).
    return {name for _loader, name in engines["jinja2"].env.cache.keys()}


def test_warming_up_compiles_every_template_without_touching_the_database() -> None:
    # No django_db mark: pytest-django fails this test if warm_up() reaches the database,
    # which it must not, as a connection opened in the master would be shared by the workers.
    env = engines["jinja2"].env
    env.cache.clear()
    warm_up()
    templates = set(env.list_templates(extensions=("html",)))
    assert "keys/security_credentials.html" in templates
    assert compiled_templates() == templates


@pytest.mark.django_db
def test_pages_after_warming_up_compile_no_template(alice, alice_client, anonymous_client) -> None:
    make_access_key(alice)
    env = engines["jinja2"].env
    env.cache.clear()
    warm_up()
    with mock.patch.object(env, "compile", wraps=env.compile) as compile_:
        page = alice_client.get("/iam/security_credentials")
        signin = anonymous_client.get("/signin")
    assert page.status_code == 200
    assert "Create New Access Key" in page.text
    assert signin.status_code == 200
    compile_.assert_not_called()
