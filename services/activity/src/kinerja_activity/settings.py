"""Settings of the activity service, read once from the environment."""

from kinerja_shared.settings import service_settings_class

ActivitySettings = service_settings_class("activity")
