"""What views receive through ``Depends``: a database session per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the view returns, rolled back if it raises."""
    with request.app.state.sessions() as session, session.begin():
        yield session
