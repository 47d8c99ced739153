"""The one place that wires the notify service: its routes, Kafka handlers, dispatchers and read models."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from fastapi import APIRouter

from kinerja_notify.adapters.smtp import SmtpSender, sender_domain
from kinerja_notify.adapters.webhook_http import HttpPoster
from kinerja_notify.domain.ratelimit import DomainRateLimiter
from kinerja_notify.entrypoints import pages, routes
from kinerja_notify.entrypoints.privacy_routes import privacy_jobs, privacy_router
from kinerja_notify.entrypoints.subscribers import handlers
from kinerja_notify.service.email_dispatch import EmailDispatcher, EmailPolicy
from kinerja_notify.service.intake import Links
from kinerja_notify.service.loop import run_dispatch_loop, run_parked_sweep
from kinerja_notify.service.webhook_dispatch import WebhookDispatcher, WebhookPolicy
from kinerja_notify.settings import NotifySettings
from kinerja_shared.runtime import Runtime, ServiceDefinition, WorkerTask


def _settings(rt: Runtime) -> NotifySettings:
    s = rt.settings
    assert isinstance(s, NotifySettings)
    return s


def email_dispatcher(rt: Runtime, sender: SmtpSender) -> EmailDispatcher:
    s = _settings(rt)
    policy = EmailPolicy(
        batch=s.email_batch,
        max_attempts=s.email_max_attempts,
        lease_s=s.send_lease_s,
        retry_base_s=s.retry_base_s,
        retry_max_s=s.retry_max_s,
        message_domain=sender_domain(s.mail_from),
    )
    limiter = DomainRateLimiter(rate=s.email_domain_rate, burst=s.email_domain_burst)
    return EmailDispatcher(rt.db(), sender, limiter, policy, Links(s.public_base_url))


def webhook_dispatcher(rt: Runtime, poster: HttpPoster) -> WebhookDispatcher:
    s = _settings(rt)
    policy = WebhookPolicy(
        batch=s.webhook_batch,
        max_attempts=s.webhook_max_attempts,
        lease_s=s.send_lease_s,
        retry_base_s=s.retry_base_s,
        retry_max_s=s.retry_max_s,
        circuit_threshold=s.circuit_threshold,
        circuit_pause_s=s.circuit_pause_s,
    )
    return WebhookDispatcher(rt.db(), poster, policy)


def worker_tasks(rt: Runtime) -> Mapping[str, WorkerTask]:
    """The senders: they claim what the consumer queued and deliver it outside any Kafka transaction."""
    s = _settings(rt)

    async def emails(stop: asyncio.Event) -> None:
        sender = SmtpSender(s)
        try:
            await run_dispatch_loop(
                "email", s.database_url, email_dispatcher(rt, sender).step, stop, poll_s=s.dispatch_poll_s
            )
        finally:
            await sender.close()

    async def webhooks(stop: asyncio.Event) -> None:
        poster = HttpPoster(
            timeout_s=s.webhook_timeout_s, concurrency=s.webhook_concurrency, allow_private=s.allow_private_targets
        )
        try:
            await run_dispatch_loop(
                "webhook", s.database_url, webhook_dispatcher(rt, poster).step, stop, poll_s=s.dispatch_poll_s
            )
        finally:
            await poster.close()

    async def parked(stop: asyncio.Event) -> None:
        links = Links(s.public_base_url)
        await run_parked_sweep(rt.db(), links, stop, max_age_s=s.park_max_s, every_s=s.park_sweep_s)

    return {
        "email-dispatcher": emails,
        "webhook-dispatcher": webhooks,
        "parked-sweep": parked,
        **privacy_jobs(rt),
    }


def _routers(rt: Runtime) -> list[APIRouter]:
    return [routes.router(), pages.router(), privacy_router()]


DEFINITION = ServiceDefinition(
    name="notify",
    title="Notifikasi",
    description="Kotak masuk dalam aplikasi, e-mail, dan webhook bertanda tangan untuk instansi lain.",
    package_dir=Path(__file__).parent,
    routers=_routers,
    handlers=lambda rt: handlers(Links(_settings(rt).public_base_url)),
    publishes=False,
    has_home=True,
    org_read_model=True,
    worker_tasks=worker_tasks,
)
