"""The inspection calendar: the pure rule engine (rules.v1.yaml, dates, engine) and its preview endpoints."""


def init_app(app) -> None:
    """Name a facility's recorded history in the audit trail: what was done and the appraisal's result."""
    from ..audit.reading import register_labels
    from .labels import KINDS, RESULT_LABELS

    register_labels("asset", "kind", KINDS)
    register_labels("asset", "result", RESULT_LABELS)
