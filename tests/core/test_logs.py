"""Issue 13: log lines cannot be forged through a request path, and secrets are
redacted by the formatter of the production handler, whatever logger speaks."""

import io
import json
import logging

import pytest

from core.logs import production_handler


@pytest.fixture
def access_log():
    def attach(log_format: str) -> io.StringIO:
        output = io.StringIO()
        handler = production_handler(output, log_format)
        logger = logging.getLogger("finbot.access")
        logger.addHandler(handler)
        attached.append((logger, handler, logger.level))
        logger.setLevel(logging.INFO)
        return output

    attached: list[tuple[logging.Logger, logging.Handler, int]] = []
    yield attach
    for logger, handler, level in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_cr_lf_in_a_path_cannot_forge_a_log_line(client, access_log, log_format):
    output = access_log(log_format)
    forged = "/api/x%0d%0a2026-01-01 00:00:00,000 INFO finbot.access: GET /admin 200"
    await client.get(forged)
    [line] = output.getvalue().splitlines()
    message = json.loads(line)["message"] if log_format == "json" else line
    assert "/api/x\\r\\n2026-01-01" in message


def test_every_logger_is_redacted_by_the_formatter_without_any_filter():
    output = io.StringIO()
    handler = production_handler(output, "text")
    handler.filters.clear()  # the formatter alone must do it
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    try:
        logger.warning("calling %s", "https://x/?token=abc123&secret=s3 with Bearer tok.en")
    finally:
        logger.removeHandler(handler)
    logged = output.getvalue()
    assert "abc123" not in logged and "s3 " not in logged and "tok.en" not in logged
    assert "token=[redacted]" in logged and "Bearer [redacted]" in logged
