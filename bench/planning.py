"""The pure planning maths at scale: recurrence rules and household balances.

Times occurrences() for 100,000 recurring entries (mixed rules, starts spread over six
years, asked about a three-day catch-up window and a month) at 10 % and 100 %, cold
(every rule parsed) and warm (compiled rules cached), beside dateutil walking from the
start for a sample; then settle() for a 10-member household and fewest_transfers() at
the exact-search limit. Usage: python bench/planning.py [--entries 100000]
"""

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dateutil.rrule import rrulestr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.households import settle as settle_module
from core.households.settle import Settlement, SharedExpense, fewest_transfers, settle
from core.recurring.schedule import compile_rule, occurrences

RULES = [
    "FREQ=MONTHLY;BYMONTHDAY=3",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY",
    "FREQ=WEEKLY;BYDAY=FR",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
    "FREQ=DAILY",
    "FREQ=YEARLY",
    "FREQ=MONTHLY;BYDAY=2FR",
]
TODAY = date(2026, 11, 26)


def entries(count: int, seed: int = 16) -> list[tuple[str, date]]:
    chooser = random.Random(seed)
    return [
        (chooser.choice(RULES), date(2020, 1, 1) + timedelta(days=chooser.randrange(2500)))
        for _ in range(count)
    ]


def time_occurrences(items: list[tuple[str, date]], window: tuple[date, date]) -> tuple[float, int]:
    """CPU seconds: the machine is shared, so wall time says more about the neighbours."""
    began = time.process_time()
    found = sum(len(occurrences(rule, start, None, window)) for rule, start in items)
    return time.process_time() - began, found


def bench_rules(count: int) -> None:
    catch_up = (TODAY - timedelta(days=2), TODAY)
    month = (date(2026, 11, 1), date(2026, 11, 30))
    for share in (0.1, 1.0):
        items = entries(int(count * share))
        compile_rule.cache_clear()
        cold, found = time_occurrences(items, catch_up)
        warm, _ = time_occurrences(items, catch_up)
        compile_rule.cache_clear()
        cold_month, found_month = time_occurrences(items, month)
        print(
            f"occurrences  {len(items):>7,} entries: 3-day window cold {cold:6.2f} s CPU "
            f"(warm {warm:5.2f} s, {found:,} dates); month cold {cold_month:6.2f} s "
            f"({found_month:,} dates)"
        )
    sample = entries(1000)
    began = time.process_time()
    for rule, start in sample:
        rrulestr(rule, dtstart=datetime(start.year, start.month, start.day)).between(
            datetime(2026, 11, 24), datetime(2026, 11, 26), inc=True
        )
    naive = (time.process_time() - began) * count / len(sample)
    print(f"dateutil walking from each start, same window: ~{naive:.1f} s CPU per {count:,}")


def bench_settle() -> None:
    chooser = random.Random(20)
    members = list(range(1, 11))
    expenses = []
    for _ in range(100_000):
        payer = chooser.choice(members)
        amount = Decimal(chooser.randrange(100, 20_000)).scaleb(-2)
        split = None
        if chooser.random() < 0.3:
            pair = chooser.sample(members, 3)
            split = {pair[0]: Decimal("0.5"), pair[1]: Decimal("0.3"), pair[2]: Decimal("0.2")}
        expenses.append(SharedExpense(payer, amount, split))
    settlements = [Settlement(1, 2, Decimal("50.00")), Settlement(3, 4, Decimal("12.34"))]
    for count in (10_000, 100_000):
        began = time.process_time()
        result = settle(members, expenses[:count], settlements, "EUR")
        elapsed = time.process_time() - began
        print(
            f"settle       10 members, {count:>7,} expenses (30 % split): {elapsed:6.3f} s CPU, "
            f"{len(result.transfers)} transfers"
        )
    for size in (10, settle_module.EXACT_LIMIT):
        # Distinct powers of two: no subset sums to zero, the exact search's worst case.
        values = [Decimal(2**i) for i in range(size - 1)]
        balances = {i + 1: v for i, v in enumerate([*values, -sum(values, Decimal(0))])}
        began = time.process_time()
        transfers = fewest_transfers(balances, "EUR")
        elapsed = time.process_time() - began
        print(
            f"fewest_transfers {size} open balances, exact search: {elapsed * 1000:6.1f} ms CPU, "
            f"{len(transfers)} transfers"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    arguments = parser.parse_args()
    bench_rules(arguments.entries)
    bench_settle()


if __name__ == "__main__":
    main()
