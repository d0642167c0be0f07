import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
application = get_wsgi_application()
# What start-up loaded (Django, URL resolvers, translations, model metadata) lives as long as
# the process: frozen out of the collector's generations, full collections stop walking it.
gc.freeze()
