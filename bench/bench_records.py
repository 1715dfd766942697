"""Building typed records from database rows (issue 12, "Typed records"): a frozen dataclass against a frozen
msgspec.Struct, each built from the dict rows a query hands back, for the payment (25 columns, the widest row a
hot read builds: the payments of a program's ledger and the retry worker's queue).

Nothing touches a database: the rows are made once (as Piccolo returns them, a dict per row), then each way of
building N records is timed with timeit (best of --repeat runs, each building all N). Printed: µs per record,
and the plain dict copy that the code does today as the baseline.

    .venv/bin/python -m bench.bench_records [--rows 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import timeit
from datetime import datetime, timezone

import msgspec

from portal.payments.records import PaymentRecord


# The same 26 fields as the portal's record, as a frozen dataclass and as a plain frozen Struct.
_FIELDS = [(field.name, field.type) for field in msgspec.structs.fields(PaymentRecord)]
_Dataclass = dataclasses.make_dataclass("_Dataclass", _FIELDS, frozen=True, slots=True)
_Struct = msgspec.defstruct("_Struct", _FIELDS, frozen=True)


def rows(n: int) -> list[dict[str, object]]:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    return [{"id": i, "kind": "transfer", "rail": "stripe", "status": "released", "program": 1, "funder": None,
             "award_id": i, "tranche_id": i, "amount_cents": 250_000, "amount_reversed_cents": 0, "currency": "usd",
             "destination": "acct_1", "stripe_id": None, "idempotency_key": f"tranche-{i}-v1", "attempt": 1,
             "stripe_created": None, "reference": "", "failure_message": "", "retry_at": now, "retry_since": now,
             "send_attempts": 0, "send_error": None, "attention_at": None, "created_at": now, "updated_at": now,
             "paid_at": None} for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    data = rows(args.rows)
    ways = {
        "dict copy (today's rows)": lambda: [dict(row) for row in data],
        "frozen dataclass, slots (Cls(**row))": lambda: [_Dataclass(**row) for row in data],
        "msgspec.Struct, frozen (Cls(**row))": lambda: [_Struct(**row) for row in data],
        "msgspec.convert(rows, list[Cls])": lambda: msgspec.convert(data, list[_Struct]),
        "PaymentRecord.of(row) (the portal's)": lambda: [PaymentRecord.of(row) for row in data],
    }
    print(f"{args.rows:,} payment rows of {len(data[0])} columns; best of {args.repeat} runs")
    for name, build in ways.items():
        best = min(timeit.repeat(build, number=1, repeat=args.repeat))
        print(f"  {name:40} {best * 1000:8.2f} ms  {best / args.rows * 1e6:6.3f} µs/record")


if __name__ == "__main__":
    main()
