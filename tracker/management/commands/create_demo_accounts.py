from django.core.management.base import BaseCommand

from tracker.models import User

# Demo logins for the quick start only; the passwords are public by design.
DEMO_ACCOUNTS = [
    {
        "email": "learner@example.com",
        "password": "learner-demo-pass",
        "display_name": "Demo Learner",
    },
    {
        "email": "mentor@example.com",
        "password": "mentor-demo-pass",
        "display_name": "Demo Mentor",
        "is_mentor": True,
    },
    {
        "email": "admin@example.com",
        "password": "admin-demo-pass",
        "display_name": "Demo Admin",
        "is_staff": True,
        "is_superuser": True,
    },
]


class Command(BaseCommand):
    help = "Create (or reset) the demo learner, mentor and admin accounts and print their logins."

    def handle(self, *args, **options):
        for account in DEMO_ACCOUNTS:
            fields = {k: v for k, v in account.items() if k not in {"email", "password"}}
            user, _ = User.objects.update_or_create(email=account["email"], defaults=fields)
            user.set_password(account["password"])
            user.save(update_fields=["password"])
        self.stdout.write(
            self.style.SUCCESS("Demo accounts (http://127.0.0.1:8000/accounts/login/):")
        )
        for account in DEMO_ACCOUNTS:
            role = (
                "admin"
                if account.get("is_staff")
                else "mentor"
                if account.get("is_mentor")
                else "learner"
            )
            self.stdout.write(f"  {role:8} {account['email']:22} password: {account['password']}")
