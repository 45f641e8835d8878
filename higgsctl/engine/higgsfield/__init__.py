"""Async client for the Higgsfield generation API."""

from .client import HiggsfieldClient
from .retry import PollPolicy, RetryPolicy
from .status import RequestStatus, Status

__all__ = ["HiggsfieldClient", "PollPolicy", "RequestStatus", "RetryPolicy", "Status"]
