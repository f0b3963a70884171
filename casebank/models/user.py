"""Accounts, roles and requests for access.

Roles: officer (vetted enforcement officer), partner (member of a partner organisation),
editor and admin (secretariat). A user may hold several.
"""

from datetime import date, datetime

from flask_security import RoleMixin, UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.case_study import utc_now, vocabulary
from casebank.models.partner import Partner
from casebank.models.vocab import RequestStatus, RoleName

roles_users = Table(
    "roles_users",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


# Every role logs in with two factors (ASVS 5.0 6.3.2): partners read their organisation's
# submissions, restricted notes included.
TWO_FACTOR_ROLES = (
    RoleName.OFFICER, RoleName.PARTNER, RoleName.EDITOR, RoleName.ADMIN, RoleName.JUDGE
)  # fmt: skip
# Roles that see restricted material of every case (not only their organisation's): their
# sessions idle out sooner (casebank/auth/sessions.py).
RESTRICTED_MATERIAL_ROLES = (RoleName.OFFICER, RoleName.EDITOR, RoleName.ADMIN)


class Role(db.Model, RoleMixin):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")


class User(db.Model, UserMixin):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    partner: Mapped[Partner | None] = relationship()
    # argon2 hash; None until the invited person sets a password.
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Changing it ends every session of the user (Flask-Security keys sessions on it).
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list[Role]] = relationship(secondary=roles_users, order_by=Role.name)
    tf_primary_method: Mapped[str | None] = mapped_column(String(64))
    tf_totp_secret: Mapped[str | None] = mapped_column(String(255))
    tf_phone_number: Mapped[str | None] = mapped_column(String(128))
    # The last TOTP time step accepted: a code cannot be replayed within its window.
    tf_totp_last_counter: Mapped[int | None]
    mf_recovery_codes: Mapped[list[str] | None] = mapped_column(MutableList.as_mutable(JSON))
    # Restricted access ends on this date unless an admin re-vets the officer.
    restricted_access_until: Mapped[date | None]
    access_reminder_sent_at: Mapped[datetime | None]
    # Account-wide failed logins (every address) since failed_logins_since, a rolling day;
    # past the limit the whole account locks until locked_until (casebank/auth/lockout.py).
    failed_logins: Mapped[int] = mapped_column(default=0)
    failed_logins_since: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    # The interface language the user last read casebank in: their e-mails are written in it.
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    def track_failed_authn(self, auth_type, tfa=False):
        """Flask-Security hook: a password or 2FA code failed (it also signals the audit log)."""
        from casebank.auth import lockout

        super().track_failed_authn(auth_type, tfa)
        lockout.record_failure(self)
        db.session.commit()  # the count must stand even if the request ends in an error

    def verify_and_update_password(self, password):
        """Flask-Security hook behind every password check: login, re-authentication (verify)
        and password change. A client locked out of the account gets no answer about the
        password, only the wrong-password one (so a stolen session is no password oracle)."""
        from casebank.auth import lockout

        right = super().verify_and_update_password(password)  # hashed either way: same timing
        return right and not lockout.is_locked(self)

    def is_locked(self, form_error=None):
        """Flask-Security hook, called after the password was checked (login, reset link)."""
        from casebank.auth import lockout

        locked = lockout.is_locked(self)
        if locked and form_error is not None:
            # The same words as a wrong password: a lock must not confirm a right one.
            from flask_security.utils import get_message

            form_error.append(get_message("INVALID_PASSWORD")[0])
        return locked

    def requires_two_factor(self):
        return any(self.has_role(r) for r in TWO_FACTOR_ROLES)

    def sees_restricted_material(self):
        """Whether the user's roles open restricted material beyond their own organisation's
        (whether vetting still holds for an officer is has_restricted_access's question)."""
        return any(self.has_role(r) for r in RESTRICTED_MATERIAL_ROLES)

    def check_tf_required(self, tf_fresh, tf_setup_methods):
        """Flask-Security hook: 2FA for every role, at every login."""
        return self.requires_two_factor() or bool(tf_setup_methods), tf_setup_methods

    def check_tf_required_setup(self):
        return self.requires_two_factor()

    def has_restricted_access(self, today=None):
        if not self.has_role(RoleName.OFFICER):
            return False
        today = today or date.today()
        return self.restricted_access_until is not None and today <= self.restricted_access_until

    def __repr__(self):
        return f"<User {self.id}>"


class AccessRequest(db.Model):
    """A request for an account from the public form; an admin approves or refuses it."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    country: Mapped[str] = mapped_column(String(2))
    role_wanted: Mapped[RoleName] = mapped_column(vocabulary(RoleName))
    # The organisation a request for the partner role names; approval gives it to the user.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    partner: Mapped[Partner | None] = relationship()
    justification: Mapped[str] = mapped_column(Text)
    supervisor_contact: Mapped[str] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(
        vocabulary(RequestStatus), default=RequestStatus.PENDING, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    decided_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The language the form was filled in: the invitation or refusal is written in it.
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class LoginThrottle(db.Model):
    """Failed logins on one account from one client (an IPv4 address or an IPv6 /64)."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("user_id", "client", name="uq_login_throttles_user_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
