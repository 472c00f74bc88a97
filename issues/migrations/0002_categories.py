from django.db import migrations

# The five committees of the Chaoyang seed, then the disputes the teams mediate.
CATEGORIES = [
    ("party", "党群工作", "committee"),
    ("governance", "社会治理", "committee"),
    ("planning", "城建规划", "committee"),
    ("livelihood", "民生文化", "committee"),
    ("economy", "经济发展", "committee"),
    ("land-dispute", "土地纠纷", "dispute"),
    ("forest-dispute", "山林纠纷", "dispute"),
    ("family-dispute", "婚姻家庭纠纷", "dispute"),
    ("demolition-dispute", "拆迁纠纷", "dispute"),
    ("neighbour-dispute", "邻里纠纷", "dispute"),
    ("labour-dispute", "劳资纠纷", "dispute"),
]


def add_categories(apps, schema_editor):
    Category = apps.get_model("issues", "Category")
    for position, (code, name, group) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(code=code, defaults={"name": name, "group": group, "position": position})


def remove_categories(apps, schema_editor):
    apps.get_model("issues", "Category").objects.filter(code__in=[c[0] for c in CATEGORIES], issues=None).delete()


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]

    operations = [migrations.RunPython(add_categories, remove_categories)]
