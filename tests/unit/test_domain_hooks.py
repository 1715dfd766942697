"""The hooks that keep a lower domain from importing a higher one (docs/architecture.md, "The layer contract"):
accounts/hooks.py, served by reviews (a reviewer who accepts joins the panel), and awards/hooks.py, served by
letters (an award's letter). Each check runs in a fresh interpreter, since this test process has long imported
everything."""

from __future__ import annotations

from tests.payments.test_hooks import run  # a fresh interpreter with a data directory of its own


def test_accounts_alone_import_no_reviews_and_refuse_a_reviewer_nobody_seats(tmp_path):
    result = run("""
        import asyncio, sys
        from portal.accounts import controllers, hooks, services
        from portal.core.actor import Actor
        assert not [m for m in sys.modules if m.startswith("portal.reviews")], "accounts imported reviews"
        try:
            asyncio.run(hooks.reviewer_joined(Actor(user=None), 4, 9))
        except hooks.NoListener as exc:
            print("refused:", exc)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "refused: user 9 accepted a reviewer invitation to program 4" in result.stdout


def test_awards_alone_import_no_letters_and_refuse_a_letter_nobody_makes(tmp_path):
    result = run("""
        import sys
        from portal.awards import controllers, hooks, services
        assert not [m for m in sys.modules if m.startswith("portal.letters")], "awards imported letters"
        try:
            hooks.letters()
        except hooks.NoLetters as exc:
            print("refused:", exc)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "refused: an award letter is needed, but nothing makes letters" in result.stdout


def test_the_app_registers_the_panel_seat_and_the_award_letters(tmp_path):
    result = run("""
        import portal.app
        from portal.accounts import hooks as accounts_hooks
        from portal.awards import hooks as award_hooks
        from portal.letters import services as letters
        print([f"{l.__module__}.{l.__qualname__}" for l in accounts_hooks._listeners.values()])
        print(award_hooks.letters().make_letter is letters.make_letter)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['portal.reviews.panels.services.join_panel_of_program']", "True"]
