"""The AWS Query API at ``/api``: IAM and STS for the root user who owns the signing key.

A request, top to bottom (``endpoint.answer``): read the parameters (a form POST body over the
query string), parse the SigV4 data (no secret needed), read the key with its owner and the
owner's other key in one query, verify the signature with the key's secret and record the use
(``caller``: at most one UPDATE, before the action, so that GetAccessKeyLastUsed sees its own
call as at AWS), run the action (``iam``, ``sts``, through keys.services), answer AWS XML
(``xml``). Temporary credentials take the same path: their token opens without the database
(keys.session_tokens) and names the parent key, which is the one read. ``wsgi`` serves it
outside the console's middleware: the endpoint is signed, not cookie-authenticated (no session,
no CSRF). ``protocol`` holds what the modules share: the services, AWS's errors, validation
and paging.
"""
