"""Who may use the dashboard and the API: users with passwords, API tokens, failed-attempt limits.

Ground-level package (it imports only `scoring.atomic`, `scoring.errors`,
`scoring.paths`): the API, the CLI and the dashboard's sign-in module use it.
Secrets are never stored: passwords as Argon2id hashes, tokens as SHA-256
digests, in JSON files written atomically with mode 0600.
"""
