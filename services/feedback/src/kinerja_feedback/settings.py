"""Settings of the feedback service, read once from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator

from kinerja_shared.settings import service_settings_class

_DEV_HASH_KEY = "dev-only-feedback-hash-key"


class FeedbackSettings(service_settings_class("feedback")):  # type: ignore[misc]
    """Service settings plus the public forms' abuse limits and the key that hashes device tokens and contacts."""

    hash_key: str = Field(
        default=_DEV_HASH_KEY,
        min_length=16,
        validation_alias=AliasChoices("FEEDBACK_HASH_KEY"),
        description="HMAC key for device tokens and citizen contacts (hashes only are stored)",
    )
    survey_rate_per_minute: float = Field(
        default=30, gt=0, validation_alias=AliasChoices("FEEDBACK_SURVEY_RATE_PER_MINUTE")
    )
    # a whole puskesmas queue may share one mobile carrier's NAT address: generous burst, steady refill
    survey_burst: int = Field(default=20, ge=1, validation_alias=AliasChoices("FEEDBACK_SURVEY_BURST"))
    post_rate_per_minute: float = Field(default=6, gt=0, validation_alias=AliasChoices("FEEDBACK_POST_RATE_PER_MINUTE"))
    post_burst: int = Field(default=5, ge=1, validation_alias=AliasChoices("FEEDBACK_POST_BURST"))
    survey_batch_max: int = Field(
        default=500, ge=1, le=5000, validation_alias=AliasChoices("FEEDBACK_SURVEY_BATCH_MAX")
    )

    # off: one transaction per answer, the path before group commit (kept as the bench's baseline)
    survey_group_commit: bool = Field(default=True, validation_alias=AliasChoices("FEEDBACK_SURVEY_GROUP_COMMIT"))

    @model_validator(mode="after")
    def _real_key_in_production(self) -> FeedbackSettings:
        if self.environment == "production" and self.hash_key == _DEV_HASH_KEY:
            raise ValueError("set FEEDBACK_HASH_KEY in production")
        return self
