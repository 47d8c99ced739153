"""Settings of the evaluation service, read once from the environment."""

from kinerja_shared.settings import service_settings_class

EvaluationSettings = service_settings_class("evaluation")
