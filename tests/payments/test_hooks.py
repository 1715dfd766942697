"""The payments status hook (portal/payments/hooks.py) is wired wherever payments can move: each check runs in a
fresh interpreter, since this test process has long imported everything."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def run(code: str, tmp_path) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_"))}
    environ |= {"PORTAL_DATA_DIR": str(tmp_path), "PICCOLO_CONF": "portal.piccolo_conf"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environ, capture_output=True,
                          text=True, timeout=120)


def test_payments_alone_import_no_awards_and_refuse_to_move_a_tranche_payment_unfollowed(tmp_path):
    result = run("""
        import asyncio, sys
        from portal.payments import controllers, hooks, services
        from portal.payments.ledger import queries as ledger
        assert not [m for m in sys.modules if m.startswith("portal.awards")], "payments imported awards"
        moved = hooks.StatusMoved(payment_id=1, kind="transfer", old="released", new="paid", tranche_id=7,
                                  award_id=3)
        try:
            asyncio.run(hooks.status_moved(moved))
        except hooks.NoListener as exc:
            print("refused:", exc)
        asyncio.run(hooks.status_moved(moved.__class__(**{**moved.__dict__, "tranche_id": None})))
        print("no tranche: fine")
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "refused: payment 1 of tranche 7 moved to paid" in result.stdout and "no tranche: fine" in result.stdout


def test_the_app_registers_the_tranche_listener(tmp_path):
    result = run("""
        import portal.app
        from portal.payments import hooks
        print([f"{l.__module__}.{l.__qualname__}" for l in hooks.listeners()])
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['portal.awards.tranches.services.follow_payment']"


def test_every_cli_command_on_the_database_registers_the_tranche_listener(tmp_path):
    result = run("""
        import asyncio
        from portal import cli
        from portal.payments import hooks

        async def work():
            return [f"{l.__module__}.{l.__qualname__}" for l in hooks.listeners()]

        print(asyncio.run(cli._with_engine(cli._settings(), work)))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['portal.awards.tranches.services.follow_payment']"
