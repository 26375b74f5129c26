from fastapi import APIRouter, BackgroundTasks, Request, Response

from api.deps import CurrentUser, DatabaseDep, SessionDep, SettingsDep, TokenDep
from core.auth import service as auth
from core.auth.mail import Mailer
from core.auth.schemas import (
    LoginRequest,
    Me,
    MeUpdate,
    ResetConfirm,
    ResetRequest,
    SignupRequest,
    TokenAnswer,
    UserOut,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])

RESET_SUBJECT = "Reset your finbot password"
RESET_BODY = """Someone (hopefully you) asked to reset the finbot password of {username}.

Open this link within 30 minutes to choose a new one; it works once:

{link}

If it was not you, ignore this e-mail: nothing changes.
"""


def client_address(request: Request) -> str:
    # The peer address as the server sees it (uvicorn's --proxy-headers sets it from
    # X-Forwarded-For only for trusted proxies, so a client cannot pick its own).
    return request.client.host if request.client else "unknown"


@router.post(
    "/signup/",
    status_code=201,
    response_model=UserOut,
    responses={
        429: {
            "description": "Too many sign-ups from this address (10 an hour), or too many "
            "password hashes at once; retry after Retry-After seconds"
        }
    },
)
async def signup(
    request: Request, database: DatabaseDep, session: SessionDep, body: SignupRequest
) -> UserOut:
    # Counted in its own transaction first: a refused or failed sign-up still counts.
    await auth.allow_signup(database, client_address(request))
    return UserOut.model_validate(await auth.signup(session, body))


@router.post(
    "/login/",
    response_model=TokenAnswer,
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Locked out"}},
)
async def login(request: Request, database: DatabaseDep, body: LoginRequest) -> TokenAnswer:
    address = client_address(request)
    return TokenAnswer(token=await auth.login(database, body.username, body.password, address))


@router.post("/logout/", status_code=204)
async def logout(session: SessionDep, _: CurrentUser, token: TokenDep) -> Response:
    await auth.logout(session, token)
    return Response(status_code=204)


@router.post(
    "/reset-password/",
    status_code=202,
    responses={
        429: {
            "description": "Too many reset requests from this address (10 an hour); "
            "retry after Retry-After seconds"
        }
    },
)
async def reset_password(
    request: Request,
    database: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
    body: ResetRequest,
    background: BackgroundTasks,
) -> Response:
    # Past 3 mails an hour to one account nothing is sent, and the answer is the same.
    mail = await auth.request_reset(database, session, body.email, client_address(request))
    if mail is not None:
        link = auth.reset_link(settings.public_url, mail.token)
        body_text = RESET_BODY.format(username=mail.username, link=link)
        # Sent after the answer, so known and unknown addresses answer alike.
        background.add_task(Mailer(settings).send, mail.to, RESET_SUBJECT, body_text)
    return Response(status_code=202)


@router.post("/reset-password/confirm/", status_code=204)
async def reset_password_confirm(session: SessionDep, body: ResetConfirm) -> Response:
    await auth.confirm_reset(session, body.token, body.new_password)
    return Response(status_code=204)


@router.get("/me/", response_model=Me)
async def me(user: CurrentUser) -> Me:
    return Me.model_validate(user)


@router.patch("/me/", response_model=Me)
async def update_me(session: SessionDep, user: CurrentUser, token: TokenDep, body: MeUpdate) -> Me:
    # A new e-mail ends the other sessions and unused reset links; this one goes on.
    return Me.model_validate(await auth.update_me(session, user, body, token))
