from rest_framework import serializers

from core.listing import IdListField
from core.texts import CodeField
from visits.models import MEMBERS_COUNT, Assignment, Household, HouseholdTag, Visit


class HouseholdSerializer(serializers.ModelSerializer):
    """Phone and ID number are masked unless the context says `full` for this household."""

    tags = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    last_visit = serializers.DateField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Household
        fields = [
            "id", "village", "head_name", "address", "phone", "id_number", "members_count", "tags",
            "registered_on", "is_active", "moved_out_on", "last_visit",
        ]

    def to_representation(self, household):
        data = super().to_representation(household)
        if not self.context.get("full"):
            data["phone"] = household.masked_phone
            data["id_number"] = household.masked_id_number
        return data


class HouseholdInputSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    # Bounded by the service (`services.HEAD_NAME`, `services.ADDRESS`), whose refusal names the field.
    head_name = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    members_count = serializers.IntegerField(min_value=MEMBERS_COUNT[0], max_value=MEMBERS_COUNT[-1], default=1)
    tags = CodeField(slug_field="code", many=True, queryset=HouseholdTag.objects.all(), required=False, default=list)
    registered_on = serializers.DateField(required=False, default=None)


class VisitSerializer(serializers.ModelSerializer):
    cadres = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    households = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id", "kind", "date", "village", "team", "cadres", "households", "notes", "needs_follow_up",
            "recorded_by", "recorded_at",
        ]


class VisitInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Visit.Kind.choices)
    date = serializers.DateField()
    village = serializers.IntegerField()
    cadres = IdListField(required=False, default=list)
    households = IdListField(required=False, default=list)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    needs_follow_up = serializers.BooleanField(required=False, default=False)


class AssignmentSerializer(serializers.ModelSerializer):
    """A 定点联系 row as recorded, ended ones included."""

    member = serializers.IntegerField(source="membership.user_id", read_only=True, help_text="the member's user id")
    member_name = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="membership.team_id", read_only=True)
    village = serializers.IntegerField(source="household.village_id", read_only=True)
    end_date = serializers.DateField(
        source="ends_on", read_only=True, allow_null=True,
        help_text="The last day in force (inclusive): the assignment's own end or its membership's, whichever "
                  "is first; null while both go on. An assignment ends with its member's membership.")

    class Meta:
        model = Assignment
        fields = ["id", "household", "member", "member_name", "team", "village", "start_date", "end_date",
                  "assigned_by", "assigned_at", "ended_by"]

    def get_member_name(self, assignment) -> str:
        user = assignment.membership.user
        return user.name or user.username


class UnassignedHouseholdSerializer(serializers.ModelSerializer):
    """A household on the roll that no member has on the day asked."""

    tags = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Household
        fields = ["id", "village", "head_name", "address", "tags", "registered_on"]


class AssignInputSerializer(serializers.Serializer):
    households = IdListField(allow_empty=False, help_text="households of one village")
    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="the member's user id")
    start_date = serializers.DateField(required=False, default=None, help_text="default today; never in the future")
    pair = serializers.BooleanField(
        required=False, default=False,
        help_text="keep the household's current member beside the new one (at most two)")
    client_id = serializers.UUIDField(
        required=False, default=None,
        help_text="the client's id for this request: a repeat creates nothing and answers the rows first created")


class ReassignInputSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    from_member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="user id")
    to_member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="user id")
    start_date = serializers.DateField(required=False, default=None, help_text="default today; never in the future")


class UnassignInputSerializer(serializers.Serializer):
    households = IdListField(allow_empty=False, help_text="households of one village")
    member = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, default=None,
        help_text="only this member's assignments end (default: every member's)")
    start_date = serializers.DateField(
        required=False, default=None, help_text="the first day without: default today; never in the future")


class DistributeInputSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    members = IdListField(required=False, default=None, allow_null=True,
                          help_text="user ids (default: every member of the team that day)")
    start_date = serializers.DateField(required=False, default=None, help_text="default today; never in the future")


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="households moved, or assignments ended")
