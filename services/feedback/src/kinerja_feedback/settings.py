"""Settings of the feedback service, read once from the environment."""

from kinerja_shared.settings import service_settings_class

FeedbackSettings = service_settings_class("feedback")
