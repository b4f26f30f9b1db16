"""Keep credentials out of the logs of the Slack libraries.

slack_sdk's Socket Mode client logs every received envelope at DEBUG, and a DM or modal that
carries a pasted credential is such an envelope. The adapter hands the libraries one logger with
this filter attached, so their DEBUG output stays usable without ever holding a token. What counts
as a credential is core's rule (`core.secrets.credentials.redact`): the envelope is JSON, so a wrapped or
zero-width paste arrives there escaped (`\\n`, `\\u200b`), and the intake accepts such pastes.
"""
from __future__ import annotations

import logging

from core.secrets import credentials

REDACTED = "[credential redacted]"


def redact(text: str) -> str:
    return credentials.redact(text, REDACTED)


class RedactCredentials(logging.Filter):
    """Rewrites a record's message (and traceback text) with every Anthropic credential removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def library_logger(name: str = "adapters.slack.wire") -> logging.Logger:
    """The logger given to bolt and slack_sdk objects (idempotent: one filter per logger)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactCredentials) for f in logger.filters):
        logger.addFilter(RedactCredentials())
    return logger
