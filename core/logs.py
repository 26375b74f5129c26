"""Logging that never carries a secret, and whose lines nobody can forge."""

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import IO, Any

# Tokens travel in query strings (the WebSocket's ?token=, reset links).
_SECRET_IN_QUERY = re.compile(
    r"((?:token|secret|password|code|signature)=)[^&\s\"']+", re.IGNORECASE
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
# CR/LF in a logged request path would start a forged log line; other control
# characters can rewrite a terminal. All of them are shown escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    return _BEARER.sub(r"\1[redacted]", _SECRET_IN_QUERY.sub(r"\1[redacted]", text))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def one_line(text: str) -> str:
    """The message redacted and on one line, control characters escaped."""
    return _CONTROL.sub(_escape, redact(text))


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


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class TextFormatter(logging.Formatter):
    """Redaction and escaping in the formatter, so no handler that uses it can skip them."""

    def __init__(self, fmt: str = TEXT_FORMAT, **kwargs: Any) -> None:
        super().__init__(fmt, **kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))  # a traceback keeps its lines


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": one_line(record.getMessage()),
        }
        entry.update(
            {
                k: one_line(v) if isinstance(v, str) else v
                for k, v in record.__dict__.items()
                if k not in _STANDARD
            }
        )
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def production_handler(stream: IO[str], log_format: str = "text") -> logging.Handler:
    """The handler every finbot process logs through (tests build the very same one)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactSecrets())
    return handler


def logging_config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for every finbot process (uvicorn applies it in each worker too)."""
    # uvicorn's and aiogram's loggers hand their records to ours: one format, one redaction.
    passthrough = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "stderr": {
                "()": "core.logs.production_handler",
                "stream": "ext://sys.stderr",
                "log_format": log_format,
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": passthrough,
            "uvicorn.error": passthrough,
            "uvicorn.access": passthrough,
            "aiogram": passthrough,
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(log_format, level))
