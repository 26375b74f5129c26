"""Logging that never carries a secret."""

import logging
import re

# Tokens travel in query strings (the WebSocket's ?token=, reset links).
_SECRET_IN_QUERY = re.compile(
    r"((?:token|secret|password|code|signature)=)[^&\s\"']+", re.IGNORECASE
)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _SECRET_IN_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _SECRET_IN_QUERY.sub(r"\1[redacted]", record.msg)
        return True


def install_log_redaction() -> None:
    """Redact on the loggers that print request lines (uvicorn's)."""
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
