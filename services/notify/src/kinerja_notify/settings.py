"""Settings of the notify service, read once from the environment."""

from kinerja_shared.settings import service_settings_class

NotifySettings = service_settings_class("notify")
