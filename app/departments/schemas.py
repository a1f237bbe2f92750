"""Request and response schemas of departments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.departments.models import DepartmentKind

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class DepartmentCreate(InputModel):
    code: Code = Field(description="The intranet's key of the unit; unique.")
    name: Name
    kind: DepartmentKind
    parent_id: uuid.UUID | None = None
    active: bool = True


class DepartmentUpdate(PatchModel):
    code: NotNull[Code] = None
    name: NotNull[Name] = None
    kind: NotNull[DepartmentKind] = None
    parent_id: uuid.UUID | None = None
    active: NotNull[bool] = None


class DepartmentRef(Embedded):
    """A department wherever another resource refers to one."""

    id: uuid.UUID
    code: str
    name: str


# A department as the API shows it; `repository.to_item` builds it.
class DepartmentRead(TypedDict):
    id: uuid.UUID
    code: str
    name: str
    kind: DepartmentKind
    parentId: uuid.UUID | None
    parent: DepartmentRef | None
    active: bool
    version: int
    createdAt: datetime
    updatedAt: datetime


class DepartmentPage(ListPage):
    items: list[DepartmentRead]
