"""Notify's part of the personal data duties (docs/privacy.md register rows 2, 12 and 13): what an ASN's export
contains and the retention rules the worker's daily purge applies."""

from __future__ import annotations

from datetime import timedelta

from kinerja_shared.privacy import ExportSection, RetentionRule, RetentionSettings


def retention_rules(cfg: RetentionSettings) -> list[RetentionRule]:
    """Bounces and suppressions stay while the address is in use (they stop mail to a dead address)."""
    inbox = timedelta(days=cfg.inbox_days)
    deliveries = timedelta(days=cfg.delivery_days)
    return [
        RetentionRule("notify.inbox_item", "inbox_item", "created_at", inbox),
        RetentionRule("notify.notification", "notification", "created_at", inbox),
        RetentionRule(
            "notify.email_delivery",
            "email_delivery",
            "created_at",
            deliveries,
            where="status NOT IN ('pending', 'sending')",
        ),
        # attempts go with their delivery (ON DELETE CASCADE)
        RetentionRule(
            "notify.webhook_delivery", "webhook_delivery", "created_at", deliveries, where="status <> 'delivering'"
        ),
    ]


EXPORT_SECTIONS = (
    ExportSection("org_asn", 2, "SELECT * FROM org_asn WHERE asn_id = $1"),
    ExportSection("notification", 12, "SELECT * FROM notification WHERE asn_id = $1 ORDER BY created_at"),
    ExportSection("inbox_item", 12, "SELECT * FROM inbox_item WHERE recipient_id = $1 ORDER BY created_at"),
    ExportSection("preference", 12, "SELECT * FROM preference WHERE asn_id = $1"),
    ExportSection(
        "email_delivery",
        12,
        "SELECT id, notification_id, address, subject, status, attempts, sent_at, created_at FROM email_delivery"
        " WHERE recipient_id = $1 ORDER BY created_at",
    ),
    ExportSection("hr_admin", 12, "SELECT * FROM hr_admin WHERE asn_id = $1"),
    ExportSection(
        "notification_parked",
        12,
        "SELECT notification_id, request, parked_at FROM notification_parked WHERE asn_id = $1",
    ),
)
