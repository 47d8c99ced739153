"""Settings of the notify service, read once from the environment (NOTIFY_X wins over X)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, model_validator

from kinerja_shared.settings import service_settings_class

_Base = service_settings_class("notify")


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"NOTIFY_{name}", name)


class NotifySettings(_Base):  # type: ignore[misc, valid-type]
    """SMTP, e-mail pacing, webhook retry/circuit policy and the public address used in links."""

    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        validation_alias=_env("PUBLIC_BASE_URL"),
        description="where people open Kinerja; e-mail links start with it",
    )
    smtp_host: str = Field(default="127.0.0.1", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(default=25, ge=1, le=65535, validation_alias=_env("SMTP_PORT"))
    smtp_starttls: bool = Field(default=False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_tls: bool = Field(default=False, validation_alias=_env("SMTP_TLS"), description="implicit TLS (port 465)")
    smtp_username: str | None = Field(default=None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(default=None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_timeout_s: float = Field(default=30.0, gt=0, validation_alias=_env("SMTP_TIMEOUT_S"))
    mail_from: str = Field(default="Kinerja <noreply@kinerja.local>", validation_alias=_env("MAIL_FROM"))
    email_connections: int = Field(default=8, ge=1, le=64, validation_alias=_env("EMAIL_CONNECTIONS"))
    email_batch: int = Field(default=200, ge=1, le=5000, validation_alias=_env("EMAIL_BATCH"))
    email_domain_rate: float = Field(
        default=50.0, gt=0, validation_alias=_env("EMAIL_DOMAIN_RATE"), description="messages/s per domain"
    )
    email_domain_burst: float = Field(default=100.0, ge=1, validation_alias=_env("EMAIL_DOMAIN_BURST"))
    email_max_attempts: int = Field(default=6, ge=1, validation_alias=_env("EMAIL_MAX_ATTEMPTS"))
    send_lease_s: float = Field(
        default=120.0,
        gt=0,
        validation_alias=_env("SEND_LEASE_S"),
        description="a claimed send not recorded within this time is retried (the crash window)",
    )
    webhook_concurrency: int = Field(default=64, ge=1, le=1000, validation_alias=_env("WEBHOOK_CONCURRENCY"))
    webhook_batch: int = Field(default=500, ge=1, le=5000, validation_alias=_env("WEBHOOK_BATCH"))
    webhook_timeout_s: float = Field(default=10.0, gt=0, validation_alias=_env("WEBHOOK_TIMEOUT_S"))
    webhook_max_attempts: int = Field(default=8, ge=1, validation_alias=_env("WEBHOOK_MAX_ATTEMPTS"))
    retry_base_s: float = Field(default=30.0, gt=0, validation_alias=_env("RETRY_BASE_S"))
    retry_max_s: float = Field(default=6 * 3600.0, gt=0, validation_alias=_env("RETRY_MAX_S"))
    circuit_threshold: int = Field(default=5, ge=1, validation_alias=_env("CIRCUIT_THRESHOLD"))
    circuit_pause_s: float = Field(default=300.0, gt=0, validation_alias=_env("CIRCUIT_PAUSE_S"))
    dispatch_poll_s: float = Field(default=1.0, gt=0, validation_alias=_env("DISPATCH_POLL_S"))
    park_max_s: float = Field(
        default=3600.0,
        gt=0,
        validation_alias=_env("PARK_MAX_S"),
        description="a request waiting for its people's org facts goes out with what is known after this",
    )
    park_sweep_s: float = Field(default=30.0, gt=0, validation_alias=_env("PARK_SWEEP_S"))

    @property
    def allow_private_targets(self) -> bool:
        """Loopback/private webhook targets only where the receiver is ours (tests, a developer's machine)."""
        return self.environment in ("test", "development")

    @model_validator(mode="after")
    def _tls_choice(self) -> NotifySettings:
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("choose SMTP_TLS (implicit) or SMTP_STARTTLS, not both")
        return self
