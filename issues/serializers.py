from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.texts import CodeField
from issues.models import Category, Event, Issue, Step
from issues.scope import sees_personal_data
from teams.models import Department, User, Village
from teams.scope import scope_for
from visits.models import Household, Visit


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "group"]


class StepSerializer(serializers.ModelSerializer):
    handler = serializers.CharField(source="handler.__str__", read_only=True)

    class Meta:
        model = Step
        fields = ["level", "handler", "team", "town", "department", "opened_at", "due_at", "ended_at", "outcome",
                  "on_time", "note"]


class StepFactSerializer(serializers.ModelSerializer):
    """A handling step as the timely-handling rate reads it."""

    issue = serializers.CharField(source="issue.display_code")

    class Meta:
        model = Step
        fields = ["id", "issue", "level", "team", "town", "department", "opened_at", "due_at", "ended_at", "outcome",
                  "on_time"]


class RatingSerializer(serializers.ModelSerializer):
    """A resident's rating at the time it was given, including one that reopened its issue."""

    issue = serializers.CharField(source="issue.display_code")
    village = serializers.IntegerField(source="issue.village_id")
    rated_at = serializers.DateTimeField(source="at")

    class Meta:
        model = Event
        fields = ["id", "issue", "village", "satisfaction", "rated_at"]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["at", "kind", "actor", "public_note", "internal_note", "satisfaction"]

    def get_actor(self, event) -> str | None:
        return str(event.actor) if event.actor_id else None


class IssueSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="display_code")
    category = serializers.CharField(source="category.code")
    first_responder_name = serializers.CharField(source="first_responder.__str__")
    town = serializers.IntegerField(source="village.town_id")
    handler = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    satisfaction = serializers.SerializerMethodField()

    class Meta:
        model = Issue
        fields = [
            "code", "title", "description", "category", "source", "village", "town", "household", "visit",
            "reporter_name", "reporter_phone", "first_responder", "first_responder_name", "level", "status",
            "handler", "due_at", "overdue", "received_at", "ended_at", "result", "feedback_note", "satisfaction",
        ]

    def get_handler(self, issue) -> str:
        return str(issue.current_step.handler) if issue.current_step_id else ""

    def to_representation(self, issue):
        data = super().to_representation(issue)
        if not sees_personal_data(scope_for(self.context["request"].user), issue):
            data.update(
                reporter_name=issue.masked_reporter_name, reporter_phone=issue.masked_reporter_phone, household=None
            )
        return data

    def get_overdue(self, issue) -> bool:
        return issue.is_overdue(timezone.now())

    def get_satisfaction(self, issue) -> str | None:
        return issue.satisfaction or None


class IssueDetailSerializer(IssueSerializer):
    steps = StepSerializer(many=True)
    timeline = EventSerializer(source="events", many=True)
    actions = serializers.SerializerMethodField()

    class Meta(IssueSerializer.Meta):
        fields = IssueSerializer.Meta.fields + ["steps", "timeline", "actions"]

    def get_actions(self, issue) -> list[str]:
        from issues.services import allowed_actions

        return allowed_actions(self.context["request"].user, issue)


class ReceivedAtField(serializers.DateTimeField):
    """DRF's, with the service's words for a time that cannot be held in the local time zone or in
    UTC (`0001-01-01T00:00:00` read in Asia/Shanghai is before year 1 in UTC): DRF's own check of the
    made-aware time raised an OverflowError, a 500, and an aware one got a bare "out of range"."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            pass
        except serializers.ValidationError as error:
            if error.get_codes() != ["overflow"]:
                raise
        from issues.services import received_at_refusal

        parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
        edge = datetime.min if parsed is None or parsed.year <= 1 else datetime.max
        refusal = received_at_refusal(edge.replace(tzinfo=UTC), timezone.now())
        raise serializers.ValidationError(refusal, code="overflow")


class RegisterSerializer(serializers.Serializer):
    """Free text is bounded by the service (`services.TITLE` …), whose refusal names the field."""

    title = serializers.CharField()
    description = serializers.CharField()
    category = CodeField(slug_field="code", queryset=Category.objects.all())
    source = serializers.ChoiceField(choices=Issue.Source.choices)
    village = serializers.PrimaryKeyRelatedField(queryset=Village.objects.all())
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all(), required=False, allow_null=True)
    visit = serializers.PrimaryKeyRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)
    reporter_name = serializers.CharField()
    reporter_phone = serializers.CharField(max_length=20)
    received_at = ReceivedAtField(required=False, allow_null=True)


class ActionSerializer(serializers.Serializer):
    step = serializers.IntegerField(required=False, min_value=1, help_text=_(
        "The id of the issue's current step as the client last saw it: if the issue has moved on "
        "since, the answer is 409 rather than acting on a state the user did not see."
    ))


class NoteSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    internal_note = serializers.CharField(required=False, allow_blank=True, default="")


class EscalateSerializer(ActionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text=_(
        "Why the issue goes up a level. Shown to the resident on the public status page."
    ))
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False,
                                                    allow_null=True, default=None)
    internal_note = serializers.CharField(required=False, allow_blank=True, default="", help_text=_(
        "For the handlers only; never shown to the resident."
    ))


class ResolveSerializer(ActionSerializer):
    result = serializers.CharField(required=False, allow_blank=True, default="")
    internal_note = serializers.CharField(required=False, allow_blank=True, default="")


class ExplainSerializer(ActionSerializer):
    explanation = serializers.CharField(required=False, allow_blank=True, default="")
    internal_note = serializers.CharField(required=False, allow_blank=True, default="")


class FeedbackSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RateSerializer(ActionSerializer):
    satisfaction = serializers.ChoiceField(choices=Issue.Satisfaction.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class HandoverSerializer(ActionSerializer):
    to = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    reason = serializers.CharField(required=False, allow_blank=True, default="")
