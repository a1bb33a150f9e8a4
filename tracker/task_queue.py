"""Queueing Celery tasks from a request: a short wait on the broker, then a clear refusal."""

import logging

from celery import Task
from django.conf import settings
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The broker did not take the task; nothing was queued."""


def enqueue(task: Task, *args) -> None:
    """Send `task(*args)` to the broker now, or raise QueueUnavailable within about
    REDIS_SOCKET_TIMEOUT (twice that for a broker that accepts and never answers).

    The request gets a connection of its own with short timeouts and no retries: the shared
    producer pool retries with back-off for seconds, longer than a page can wait.
    """
    timeout = settings.REDIS_SOCKET_TIMEOUT
    transport = {"max_retries": 0, "socket_connect_timeout": timeout, "socket_timeout": timeout}
    try:
        with task.app.connection_for_write(
            connect_timeout=timeout, transport_options=transport
        ) as connection:
            task.apply_async(args, connection=connection, retry=False)
    except OperationalError as error:
        logger.warning("Could not queue %s: %s", task.name, error)
        raise QueueUnavailable from error
