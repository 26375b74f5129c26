"""aiogram runs a filter that is not a coroutine in a worker thread, one hop per check
(`asyncio.to_thread`): every filter of finbot's routers must be one that runs on the loop
(bot/filters.py's `on_loop` for magic filters, aiogram's `StateFilter` for states)."""

from aiogram import Router

from bot.app import make_dispatcher
from finbot.processes import create_app


def filters_of(router: Router):
    for name, observer in router.observers.items():
        for check in observer._handler.filters or []:  # the router's own filters
            yield f"{router.name}.{name}", check
        for handler in observer.handlers:
            for check in handler.filters or []:
                yield f"{router.name}.{name} -> {handler.callback.__name__}", check


async def test_no_filter_of_the_bot_leaves_the_event_loop(settings):
    app = create_app(settings)
    dispatcher = make_dispatcher(app.state.database, app.state.store, settings)
    checked = [
        (where, check) for router in dispatcher.chain_tail for where, check in filters_of(router)
    ]
    assert len(checked) > 20  # the routers' filters were found at all
    threaded = [f"{where}: {check.callback!r}" for where, check in checked if not check.awaitable]
    assert threaded == []
    await app.state.database.dispose()
