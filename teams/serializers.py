from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from teams.models import Attendance, Department, LiaisonDay, Membership, Role, Schedule, Team, Town, Village


class TownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Town
        fields = ["id", "name", "kind", "county"]


class VillageSerializer(serializers.ModelSerializer):
    county = serializers.IntegerField(source="town.county_id", read_only=True)

    class Meta:
        model = Village
        fields = ["id", "name", "kind", "town", "county"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "county"]


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.name")
    role_display = serializers.SerializerMethodField()
    required = serializers.BooleanField(source="is_required")

    class Meta:
        model = Membership
        fields = ["user", "name", "role", "role_display", "required", "start_date", "end_date"]

    def get_role_display(self, member) -> str:
        # The enum's label, not get_role_display(): Django hashes every choice's lazy label
        # on each call, a tenth of a millisecond that a page of 500 members pays 500 times.
        return str(Role(member.role).label)


class ScheduleSerializer(serializers.ModelSerializer):
    weekday = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = ["weekday", "every_weeks", "half_day", "place"]

    def get_weekday(self, schedule) -> int:
        return schedule.effective_weekday(schedule.team.village.town.county)


class NextDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = LiaisonDay
        fields = ["id", "date", "half_day", "place"]


class TeamSerializer(serializers.ModelSerializer):
    town = serializers.IntegerField(source="village.town_id")
    members = MemberSerializer(source="current_memberships", many=True)
    schedule = ScheduleSerializer(allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "name", "village", "town", "is_active", "members", "schedule"]


class AttendanceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["member", "name", "status", "note", "checked_in_at", "updated_at"]


class LiaisonDaySerializer(serializers.ModelSerializer):
    attendance = AttendanceSerializer(many=True, read_only=True)

    class Meta:
        model = LiaisonDay
        fields = [
            "id", "team", "date", "scheduled_date", "half_day", "place", "status", "change_reason", "attendance",
        ]


class RowVersionField(serializers.DateTimeField):
    """A row's `updated_at` as the client saw it; a moment no clock reaches (year 1 in Shanghai
    is before year 1 in UTC) is a wrong value, not a server error."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("invalid", format="ISO 8601")


class AttendanceEntrySerializer(serializers.Serializer):
    member = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[Attendance.Status.PRESENT, Attendance.Status.ABSENT, Attendance.Status.LEAVE],
        error_messages={"invalid_choice": _("Choose present, absent or leave.")},
    )
    # Bounded by the service (`attendance.ATTENDANCE_NOTE`), whose refusal names the member.
    note = serializers.CharField(required=False, allow_blank=True, default="")
    seen = serializers.ChoiceField(choices=Attendance.Status.choices, required=False, help_text=_(
        "The row's status as the client last saw it: if someone else has changed it since, the answer is 409."
    ))
    seen_at = RowVersionField(required=False, help_text=_(
        "The row's `updated_at` as the client last saw it (the liaison day's rows give it): if the row has "
        "changed in any way since, its note included, the answer is 409. Without it (or `seen`), the row is "
        "judged as the request found it on arrival."
    ))


class MembershipSerializer(serializers.ModelSerializer):
    """A membership as recorded, ended ones included: `required` says whether it counts for
    attendance (auxiliary members help but are not counted)."""

    required = serializers.BooleanField(source="is_required")

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "role", "required", "start_date", "end_date"]
