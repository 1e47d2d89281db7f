"""What views receive through ``Depends``: the request's unit of work.

The session commits once, when the view has returned and *before* the response is sent
(``scope="function"``). FastAPI's default for a dependency with ``yield`` ends it after the
response has gone, so a browser that followed a redirect could ask for the next page before
the sign-in (or the decision) it was redirected from had committed, and be told it was not
signed in. Every view and access dependency shares this one session (one dependency, one
cache key), so nothing a request writes is left out of its commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session


def unit_of_work(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the view returns, rolled back if it raises."""
    with request.app.state.sessions() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]


# The largest whole number the databases store (a signed 64-bit BIGINT). A larger number in a
# URL names nothing: it is refused before it reaches a query, where it would overflow.
BIGINT_MAX = 2**63 - 1
LogIndex = Annotated[int, Path(ge=0, le=BIGINT_MAX)]
RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
