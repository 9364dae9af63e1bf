"""Routes /auth/register and /auth/login: accounts and access tokens."""

from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.auth.deps import EngineDep, SettingsDep
from livequiz import accounts, tokens
from livequiz.config import Settings
from livequiz.ids import UserId
from livequiz.tokens import Claims, TokenKind

router = APIRouter(prefix="/auth", tags=["accounts"])

# One @, no whitespace, a dot in the domain: enough to catch typos. The address is never
# verified by sending mail in this version.
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=8, max_length=256)
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    user_id: int
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    # Lifetime of access_token in seconds.
    expires_in: int


def _token_response(settings: Settings, user_id: UserId) -> TokenResponse:
    token = tokens.issue(settings, Claims(TokenKind.ACCESS, str(user_id)))
    return TokenResponse(
        user_id=user_id, access_token=token, expires_in=settings.access_token_ttl_s
    )


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(request: RegisterRequest, settings: SettingsDep, engine: EngineDep) -> TokenResponse:
    """Create an account and log it in, or fail with 409 if the e-mail address is taken."""
    user_id = accounts.register(engine, request.email, request.password, request.display_name)
    return _token_response(settings, user_id)


@router.post("/login")
def login(request: LoginRequest, settings: SettingsDep, engine: EngineDep) -> TokenResponse:
    """Exchange an e-mail address and password for an access token, or fail with 401."""
    user_id = accounts.authenticate(engine, request.email, request.password)
    return _token_response(settings, user_id)
