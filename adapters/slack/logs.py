"""Keep credentials out of the logs of the Slack libraries.

slack_sdk's Socket Mode client logs every received envelope at DEBUG, and a DM or modal that
carries a pasted credential is such an envelope. The adapter hands the libraries one logger with
this filter attached, so their DEBUG output stays usable without ever holding a token.
"""
from __future__ import annotations

import logging
import re

# Broader than core's intake pattern on purpose: a truncated or malformed paste is still secret.
_ANTHROPIC = re.compile(r"sk-ant-[A-Za-z0-9_-]{4,}")
REDACTED = "[credential redacted]"


def redact(text: str) -> str:
    return _ANTHROPIC.sub(REDACTED, text)


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
