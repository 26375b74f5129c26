from collections.abc import AsyncIterator

import pytest

from tests.support.fake_telegram import FakeTelegram


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """A fake Bot API server on a free port, for the test's bot to talk to."""
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()
