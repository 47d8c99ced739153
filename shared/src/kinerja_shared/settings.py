"""Settings read once from the environment and passed to bootstrap(); nothing else reads os.environ."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


def _env(service: str, name: str) -> AliasChoices:
    """`EVALUATION_DATABASE_URL` wins over `DATABASE_URL`, so one shell can run every service."""
    return AliasChoices(f"{service.upper()}_{name}", name)


class KafkaSettings(BaseSettings):
    """How to reach Kafka; SASL/SCRAM is used when a username is set."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"),
        description="host:port[,host:port] of the Kafka brokers",
    )
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = Field(
        default="PLAINTEXT", validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL")
    )
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = Field(
        default="SCRAM-SHA-512", validation_alias=AliasChoices("KAFKA_SASL_MECHANISM")
    )
    sasl_username: str | None = Field(default=None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME"))
    sasl_password: str | None = Field(default=None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD"))
    topic_namespace: str = Field(
        default="",
        pattern=r"^[a-z0-9._-]*$",
        validation_alias=AliasChoices("KAFKA_TOPIC_NAMESPACE"),
        description="prefix for every topic and group id, e.g. 'staging.'; lets environments share a cluster",
    )

    @field_validator("bootstrap_servers")
    @classmethod
    def _host_port_list(cls, v: str) -> str:
        for part in v.split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"expected host:port[,host:port], got {v!r}")
        return v

    def topic(self, name: str) -> str:
        """The topic's name on this cluster."""
        return f"{self.topic_namespace}{name}"

    def group(self, name: str) -> str:
        """The consumer group id on this cluster."""
        return f"{self.topic_namespace}{name}"

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments shared by every aiokafka client."""
        kw: dict[str, str] = {"bootstrap_servers": self.bootstrap_servers}
        if self.sasl_username:
            kw |= {
                "security_protocol": self.security_protocol
                if self.security_protocol != "PLAINTEXT"
                else "SASL_PLAINTEXT",
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password or "",
            }
        elif self.security_protocol != "PLAINTEXT":
            kw["security_protocol"] = self.security_protocol
        return kw


class ServiceSettings(BaseSettings):
    """Base of every service's settings; a subclass sets `service` and adds its own fields."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service: str = "kinerja"
    environment: Environment = Field(default="development", validation_alias=AliasChoices("KINERJA_ENV"))
    database_url: str = Field(default="", description="app role (non-owner, RLS applies)")
    migration_database_url: str = Field(default="", description="owner role, used only to run migrations")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    worker_http_port: int = Field(default=8001, ge=1, le=65535, description="worker's health and metrics")
    root_path: str = Field(default="", description="path prefix behind the front door, e.g. /evaluation")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias=AliasChoices("LOG_LEVEL")
    )
    jwt_issuer: str = Field(default="http://127.0.0.1/dev-issuer", validation_alias=AliasChoices("JWT_ISSUER"))
    jwt_audience: str = Field(default="kinerja", validation_alias=AliasChoices("JWT_AUDIENCE"))
    jwt_public_key_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("JWT_PUBLIC_KEY_FILE"), description="PEM public key"
    )
    jwt_jwks_url: str | None = Field(default=None, validation_alias=AliasChoices("JWT_JWKS_URL"))
    dev_issuer_key_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("DEV_ISSUER_KEY_FILE"),
        description="private key of the local dev issuer; refused in production",
    )
    consumer_batch_size: int = Field(default=500, ge=1, le=10_000)
    consumer_batch_wait_ms: int = Field(default=200, ge=1, le=60_000)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    csp_report_only: bool = Field(
        default=False,
        validation_alias=AliasChoices("CSP_REPORT_ONLY"),
        description="send the Content-Security-Policy as report-only (while fixing a page); default enforces it",
    )
    csrf_trusted_origins: str = Field(
        default="",
        validation_alias=AliasChoices("CSRF_TRUSTED_ORIGINS"),
        description="extra origins (comma-separated, e.g. https://kinerja.jambiprov.go.id) allowed to POST with "
        "the session cookie, when the front door rewrites Host without X-Forwarded-Host",
    )

    @model_validator(mode="after")
    def _safe_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            if self.dev_issuer_key_file is not None:
                raise ValueError("DEV_ISSUER_KEY_FILE must not be set in production")
            if not (self.jwt_public_key_file or self.jwt_jwks_url):
                raise ValueError("set JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL in production")
        for name in ("database_url", "migration_database_url"):
            url = getattr(self, name)
            if url and not url.startswith(("postgresql://", "postgres://")):
                raise ValueError(f"{name.upper()} must start with postgresql://, got {url[:20]!r}")
        return self


def service_settings_class(service: str) -> type[ServiceSettings]:
    """A settings class for one service, reading `<SERVICE>_DATABASE_URL` before `DATABASE_URL`."""

    name = service

    class _Settings(ServiceSettings):
        model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

        service: str = name
        database_url: str = Field(default="", validation_alias=_env(service, "DATABASE_URL"))
        migration_database_url: str = Field(default="", validation_alias=_env(service, "MIGRATION_DATABASE_URL"))
        http_host: str = Field(default="127.0.0.1", validation_alias=_env(service, "HTTP_HOST"))
        http_port: int = Field(default=8000, ge=1, le=65535, validation_alias=_env(service, "HTTP_PORT"))
        worker_http_port: int = Field(default=8001, ge=1, le=65535, validation_alias=_env(service, "WORKER_HTTP_PORT"))
        root_path: str = Field(default="", validation_alias=_env(service, "ROOT_PATH"))

    _Settings.__name__ = f"{service.capitalize()}Settings"
    return _Settings
