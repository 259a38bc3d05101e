"""Django admin's change form of web_pages.py's 40-field model, for real_forms.py: its
own virtual environment (made once with `python -m venv` and pip from PyPI, never in the
project's dependencies), a generated project, its seed, its gunicorn and its log-in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import web_pages as synthetic
from web_pages import FIELDS, GROUPS, HOST, OPTIONS, PASSWORD, USERNAME, WORKERS, Server

DJANGO = "django>=4.2"


def django_python(venv: Path) -> Path:
    """The python of a virtual environment with Django and gunicorn, made once."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"making a virtual environment for Django in {venv} (python -m venv; pip)")
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", DJANGO, "gunicorn"], check=True
        )
    return python


def _django_field(f) -> str:
    """The model field of one of web_pages.py's fields."""
    if f.kind == "text":
        return f"models.CharField(max_length={f.max_length or 255}, blank={not f.required})"
    if f.kind == "email":
        return f"models.EmailField(blank={not f.required})"
    if f.kind == "select":
        choices = [(v, label) for v, label in OPTIONS[f.name]]
        return f"models.CharField(max_length=40, choices={choices!r}, blank={not f.required})"
    if f.kind == "currency":
        return "models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)"
    if f.kind == "integer":
        bounds = []
        if f.min is not None:
            bounds.append(f"MinValueValidator({f.min})")
        if f.max is not None:
            bounds.append(f"MaxValueValidator({f.max})")
        return f"models.IntegerField(null=True, blank=True, validators=[{', '.join(bounds)}])"
    if f.kind == "date":
        return f"models.DateField(null={not f.required}, blank={not f.required})"
    if f.kind == "switch":
        return "models.BooleanField(default=False)"
    raise ValueError(f.kind)


DJANGO_SETTINGS = """
SECRET_KEY = "real-forms-benchmark-django"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth",
    "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages",
    "django.contrib.staticfiles", "bench"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware"]
ROOT_URLCONF = "benchsite.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
    "APP_DIRS": True, "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": %(database)r}}
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

DJANGO_SEED = """
import django, json, sys
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from bench.models import Customer
call_command("makemigrations", "bench", verbosity=0)
call_command("migrate", verbosity=0)
User.objects.create_superuser(%(username)r, "bench@example.com", %(password)r)
Customer.objects.create(**json.loads(sys.argv[1]))
"""


def write_django(site: Path) -> None:
    """A Django project: settings, URLs, the model of the 40 fields and its admin."""
    (site / "benchsite").mkdir(parents=True)
    (site / "bench").mkdir()
    (site / "benchsite" / "__init__.py").write_text("")
    (site / "bench" / "__init__.py").write_text("")
    settings = DJANGO_SETTINGS % {"database": str(site / "db.sqlite3")}
    (site / "benchsite" / "settings.py").write_text(settings)
    (site / "benchsite" / "urls.py").write_text(
        "from django.contrib import admin\nfrom django.urls import path\n"
        "urlpatterns = [path('admin/', admin.site.urls)]\n"
    )
    (site / "benchsite" / "wsgi.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'benchsite.settings')\n"
        "from django.core.wsgi import get_wsgi_application\n"
        "application = get_wsgi_application()\n"
    )
    model = [
        "from django.core.validators import MaxValueValidator, MinValueValidator",
        "from django.db import models",
        "",
        "",
        "class Customer(models.Model):",
    ]
    model += [f"    {f.name} = {_django_field(f)}" for f in FIELDS]
    (site / "bench" / "models.py").write_text("\n".join(model) + "\n")
    fieldsets = [
        (label, {"fields": [f.name for f in FIELDS if f.group == code]}) for code, label in GROUPS
    ]
    (site / "bench" / "admin.py").write_text(
        "from django.contrib import admin\nfrom .models import Customer\n\n\n"
        "@admin.register(Customer)\nclass CustomerAdmin(admin.ModelAdmin):\n"
        f"    fieldsets = {fieldsets!r}\n"
    )


def seed_django(python: Path, site: Path) -> None:
    import random

    values = synthetic.record_values(random.Random(synthetic.SEED), "django")
    script = DJANGO_SEED % {"username": USERNAME, "password": PASSWORD}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchsite.settings", "PYTHONPATH": str(site)}
    subprocess.run([str(python), "-c", script, json.dumps(values)], cwd=site, env=env, check=True)


def start_django(python: Path, site: Path, tmp: Path) -> Server:
    port = synthetic.free_port()
    log = tmp / "django.log"
    command = [str(python), "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class"]
    command += ["sync", "--bind", f"{HOST}:{port}", "--pythonpath", str(site)]
    command += ["--log-level", "warning", "--timeout", "60", "benchsite.wsgi:application"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchsite.settings"}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=site, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server("django", process, port, log)


def django_log_in(port: int) -> str:
    """Log in to the admin as a browser would; the cookies of the signed-in session."""
    status, headers, page = synthetic.fetch(port, "GET", "/admin/login/")
    csrf = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urlencode(
        {
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token,
            "next": "/admin/",
        }
    )
    status, headers, _ = synthetic.fetch(
        port,
        "POST",
        "/admin/login/?next=/admin/",
        {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    session = re.search(r"sessionid=([^;]+)", headers.get("set-cookie", ""))
    if status != 302 or not session:
        raise SystemExit(f"Django admin log-in failed: {status}")
    return f"csrftoken={csrf}; sessionid={session.group(1)}"
