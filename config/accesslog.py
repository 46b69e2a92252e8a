"""daphne's access log, with secret tokens masked (config.logfilters.mask_secrets).

daphne writes its access log ("GET /meetups/feed/<token>.ics" 404 ...) straight to a stream
(stdout, or the --access-log file), not through logging, so the logging filter never sees it.
`install()` swaps the access-log writer the daphne command line builds for one that masks
each line first. config.asgi calls it: daphne imports the application before it builds the
server and its access log, so however daphne is started (./dev up, the README's production
command) the masked writer is the one used. Other servers (uvicorn) are left alone.
"""

from __future__ import annotations

import sys

from daphne.access import AccessLogGenerator

from config.logfilters import mask_secrets


class MaskedAccessLog(AccessLogGenerator):
    def write_entry(self, host, date, request, status=None, length=None, ident=None, user=None):
        from config.requestid import json_logs

        if json_logs():  # config.requestid writes the access line, as JSON, with its id
            return
        super().write_entry(
            host, date, mask_secrets(request), status=status, length=length, ident=ident, user=user
        )


def install() -> None:
    """Make the daphne command line use `MaskedAccessLog` (idempotent; no-op without it)."""
    cli = sys.modules.get("daphne.cli")
    if cli is not None:
        cli.AccessLogGenerator = MaskedAccessLog
