"""The one place that wires the evaluation service: its routes, Kafka handlers and outbox."""

from __future__ import annotations

from pathlib import Path

from kinerja_evaluation.entrypoints.bulk_routes import bulk_router
from kinerja_evaluation.entrypoints.followup_pages import followup_pages_router, verification_router
from kinerja_evaluation.entrypoints.followup_routes import followup_api_router
from kinerja_evaluation.entrypoints.pages import pages_router
from kinerja_evaluation.entrypoints.privacy_routes import privacy_jobs, privacy_router
from kinerja_evaluation.entrypoints.routes import api_router
from kinerja_evaluation.entrypoints.scoring_pages import scoring_pages_router
from kinerja_evaluation.entrypoints.scoring_routes import scoring_api_router
from kinerja_evaluation.entrypoints.scoring_subscribers import scoring_handlers
from kinerja_evaluation.service.scoring_sweep import run_sweeps
from kinerja_shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="evaluation",
    title="Evaluasi Kinerja",
    description="SKP dan target terukur, penilaian oleh atasan, skor, predikat, kurva distribusi, TPP, "
    "dan tindak lanjut.",
    package_dir=Path(__file__).parent,
    routers=lambda _rt: [
        api_router(),
        bulk_router(),
        pages_router(),
        scoring_api_router(),
        scoring_pages_router(),
        # tindak lanjut (issue 9): rules, annual, curve, keberatan, TPP, rewards, pembinaan, training
        followup_api_router(),
        followup_pages_router(),
        verification_router(),
        privacy_router(),  # data subjects' access right (issue 11)
    ],
    # the scoring engine (issue 7) reads activity, evaluation, feedback and org facts in one batched handler
    handlers=lambda _rt: scoring_handlers(),
    org_read_model=True,
    # Table R1 target_at_risk is about time passing: checked on the clock from mid-period
    worker_tasks=lambda rt: {"target-sweep": lambda stop: run_sweeps(rt.db(), stop), **privacy_jobs(rt)},
    has_home=True,
)
