from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workspace", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="todo",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True)),
                fields=["target_type", "target_id"],
                name="todo_open_target_idx",
            ),
        ),
    ]
