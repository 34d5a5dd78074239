"""Exceptions that carry a message meant for the user, not a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad input, missing artefact); the CLI prints it and exits 2."""


class ArtefactMissing(UserError):
    """A required artefact has not been built yet; the message names the command that builds it."""


class UnknownClient(LookupError):
    """No client with that id exists (the API answers 404). Defined here, at the ground layer,
    because the SHAP cache raises it and the service protocol exposes it."""
