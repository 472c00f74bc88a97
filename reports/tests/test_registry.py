"""The columns that keep a metric's figures are declared in the models (a migration each); they
match the metric registry, which everything else iterates over."""

from reports.figures import registry
from reports.models import COUNTS, AssessmentResult, AssessmentRound, Snapshot


def _columns(model, suffixes):
    return [f.name for f in model._meta.get_fields() if f.name.endswith(suffixes)]


def test_a_snapshot_keeps_every_metric_and_count_in_the_registry_order():
    names = [f.name for f in Snapshot._meta.get_fields()]
    assert names[names.index("attendance_num"):] == registry.FIGURES
    for metric in registry.METRICS:
        assert Snapshot._meta.get_field(f"{metric.key}_num").verbose_name == metric.num_label
        assert Snapshot._meta.get_field(f"{metric.key}_den").verbose_name == metric.den_label
    assert registry.FIGURES[-len(COUNTS):] == list(COUNTS)


def test_an_assessment_keeps_the_weighed_metrics_with_their_default_weights():
    weighed = [m for m in registry.METRICS if m.weight is not None]
    in_place = tuple(m.key for m in sorted(weighed, key=lambda m: m.weight_place))
    assert in_place == registry.WEIGHED
    assert _columns(AssessmentResult, ("_num", "_den")) == [
        f"{key}_{part}" for key in registry.WEIGHED for part in ("num", "den")]
    assert [f.name for f in AssessmentRound._meta.get_fields() if f.name.startswith("weight_")] == [
        f"weight_{key}" for key in registry.WEIGHED]
    for metric in weighed:
        field = AssessmentRound._meta.get_field(f"weight_{metric.key}")
        assert (field.default, field.verbose_name) == (metric.weight, metric.weight_label)
        assert AssessmentResult._meta.get_field(f"{metric.key}_num").verbose_name == metric.num_label
        assert AssessmentResult._meta.get_field(f"{metric.key}_den").verbose_name == metric.den_label
    assert sum(m.weight for m in weighed) == 100


def test_every_metric_has_its_records_template_and_an_owner():
    from django.template.loader import get_template

    for metric in registry.METRICS:
        assert get_template(metric.template)
        assert metric.owners
