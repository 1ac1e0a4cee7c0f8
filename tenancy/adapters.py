from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils.translation import get_language


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """A new account keeps the language the person signed up in (mails, portal)."""
        user = super().save_user(request, user, form, commit=False)
        language = (get_language() or "").split("-")[0]
        if language in dict(settings.LANGUAGES):
            user.language = language
        if commit:
            user.save()
        return user
