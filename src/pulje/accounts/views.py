from django.contrib.auth import views as auth_views

from pulje.accounts.forms import EmailAuthenticationForm
from pulje.core.access import public

login = public(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html", authentication_form=EmailAuthenticationForm
    )
)
logout = public(auth_views.LogoutView.as_view())
