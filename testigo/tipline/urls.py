from django.urls import path

from testigo.tipline import views

app_name = "tipline"
urlpatterns = [
    path("", views.submit, name="submit"),
    path("sent/", views.sent, name="sent"),
    path("challenge/", views.challenge, name="challenge"),
    path("login/", views.login, name="login"),
    path("conversation/", views.conversation, name="conversation"),
    path("logout/", views.logout, name="logout"),
    path("exit/", views.quick_exit, name="exit"),
]
