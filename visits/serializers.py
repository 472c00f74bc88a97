from rest_framework import serializers

from core.listing import IdListField
from visits.models import MEMBERS_COUNT, Household, HouseholdTag, Visit


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
    tags = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=HouseholdTag.objects.all(), required=False, default=list
    )
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
