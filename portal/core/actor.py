"""Who is acting, and from where: passed from controllers into every service that changes state."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """A signed-in user with the roles the access rules need, loaded once per request."""

    id: int
    email: str
    name: str
    is_admin: bool = False
    # organisation id -> role (owner | member | staff | funder)
    org_roles: dict[int, str] = field(default_factory=dict)
    # organisation id -> kind (city | network | funder)
    org_kinds: dict[int, str] = field(default_factory=dict)
    # program ids this user reviews for
    reviewer_programs: frozenset[int] = frozenset()

    def orgs_of_kind(self, kind: str) -> list[int]:
        return [org for org, k in self.org_kinds.items() if k == kind]

    @property
    def city_ids(self) -> list[int]:
        return self.orgs_of_kind("city")

    @property
    def network_ids(self) -> list[int]:
        return [org for org in self.orgs_of_kind("network") if self.org_roles.get(org) == "staff"]

    @property
    def funder_ids(self) -> list[int]:
        return self.orgs_of_kind("funder")

    @property
    def is_staff(self) -> bool:
        return self.is_admin or bool(self.network_ids)

    @property
    def is_reviewer(self) -> bool:
        return bool(self.reviewer_programs)

    @property
    def is_funder(self) -> bool:
        return bool(self.funder_ids)

    @property
    def is_applicant(self) -> bool:
        return bool(self.city_ids)


@dataclass(frozen=True)
class Actor:
    user: Principal | None
    ip: str = ""

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None
