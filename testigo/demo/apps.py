from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`testigo demo` and `testigo seed_demo`: the top layer, above every app it seeds."""

    name = "testigo.demo"
    label = "demo"
