"""The letter pipeline against a bare WeasyPrint render of the same HTML (issue 5, Performance): a round of 500
letters (400 award letters, 100 decline letters with reviewers' comments) on SQLite or PostgreSQL.

One run:
1. a fresh data directory (and for PostgreSQL a fresh database, dropped at the end: bench_pages.fresh_portal),
   `portal migrate`, then `python -m bench.bench_letters measure` in the portal's environment, which
2. seeds a network, a program with default letter templates, 500 cities with an application each: 400
   awarded (amount and conditions), 100 declined (two submitted reviews each, with comments for the applicant);
3. **pipeline**: queues a batch for the round (`letters.services.request_batch`) and runs it as the worker does
   (`process_next_batch`: claim, then for each letter the database reads, the sandboxed template, WeasyPrint with
   the static-only fetcher, the file and its SHA-256 stored, the `letter` row and the batch's counters written);
4. **bare**: the very HTML of every letter of the round (built beforehand, not timed) rendered by WeasyPrint alone
   (`weasyprint.HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticOnlyFetcher()).write_pdf()`: the
   same fetcher, so the same fonts; nothing stored);
5. repeats 3 and 4 `--rounds` times alternately and reports the best round of each, letters per second, and
   the ratio pipeline / bare (the aim is 0.8 or more); writes report.md / report.json to bench/results/.

    .venv/bin/python -m bench.bench_letters [--engine sqlite|postgres] [--letters 500] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import time
from datetime import date, datetime, timedelta, timezone

from bench.bench_pages import RESULTS, ROOT, VENV_BIN, fresh_portal, run

CHUNK = 400


async def measure(letters: int, rounds: int) -> dict:
    from weasyprint import HTML

    from portal import db
    from portal.accounts import services as accounts
    from portal.accounts.tables import Organisation, User
    from portal.applications.tables import Application
    from portal.awards.tables import Award
    from portal.core import clock, pdf
    from portal.core.actor import Actor
    from portal.letters import services
    from portal.letters.tables import LetterBatch
    from portal.programs.tables import FormVersion, Program
    from portal.reviews.tables import Assignment
    from portal.settings import load_settings

    async def bulk(table, rows, returning=None):
        ids = []
        for start_at in range(0, len(rows), CHUNK):
            query = table.insert(*rows[start_at:start_at + CHUNK])
            if returning is not None:
                ids += [r["id"] for r in await query.returning(returning)]
            else:
                await query
        return ids

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    try:
        system = Actor(user=None)
        now = clock.now()
        network = await accounts.create_organisation(system, "network", "Bench Network", "bench-network")
        staff = await accounts.create_user(system, "Bench Staff", "staff@bench-network.example", "bench-password-2026")
        await accounts.add_membership(system, staff, network, "staff")
        password_hash = (await User.select(User.password_hash).where(User.id == staff).first())["password_hash"]
        program = (await Program.insert(Program(
            network=network, slug="bench-letters", title="Letters benchmark", summary="500 letters.",
            offer_kind="cash", budget_cents=1_000_000_000, max_award_cents=5_000_000, status="closed",
            opens_at=now - timedelta(days=90), deadline_at=now - timedelta(days=30), created_at=now,
            letter_signatory="Dana Director, Program Director", contact_email="grants@bench-network.example",
        )).returning(Program.id))[0]["id"]
        form = (await FormVersion.insert(FormVersion(program=program, kind="application", version=1,
                                                     title="Application", schema={"sections": []}, created_at=now)
                                         ).returning(FormVersion.id))[0]["id"]
        await services.ensure_default_templates(program)
        cities = await bulk(Organisation, [
            Organisation(kind="city", name=f"Bench City {n:04d}", slug=f"bench-city-{n}", state="WI",
                         population=20_000 + n, email_domain=f"city-{n}.example", created_at=now)
            for n in range(letters)], Organisation.id)
        owners = await bulk(User, [
            User(email=f"owner{n}@city-{n}.example", name=f"Owner {n}", password_hash=password_hash, created_at=now)
            for n in range(letters)], User.id)
        awarded = letters * 4 // 5
        app_ids = await bulk(Application, [
            Application(program=program, organisation=c, form_version=form,
                        status="awarded" if n < awarded else "declined",
                        title=f"Project {n:04d}: safer streets near schools", answers={},
                        requested_cents=1_000_00 * (n % 50 + 1), created_by=u, created_at=now, updated_at=now,
                        submitted_at=now, submitted_by=u, receipt_number=f"R-{program}-{n}")
            for n, (c, u) in enumerate(zip(cities, owners))], Application.id)
        await bulk(Award, [
            Award(application=a, amount_cents=2_500_000 + 100 * n, conditions="Share the outcomes at the spring "
                  "convening.\nKeep receipts for three years.", start_date=date(2027, 1, 1),
                  end_date=date(2027, 12, 31), status="offered", decided_by=staff, decided_at=now)
            for n, a in enumerate(app_ids[:awarded])])
        reviewers = await bulk(User, [
            User(email=f"reviewer{n}@experts.example", name=f"Reviewer {n}", password_hash=password_hash,
                 created_at=now) for n in range(2)], User.id)
        await bulk(Assignment, [
            Assignment(application=a, reviewer=r, assigned_by=staff, assigned_at=now, status="submitted",
                       submitted_at=now, applicant_comment=f"Comment {i} for the applicant: a clear plan; say more "
                       "about how residents take part.", version=1, revision=1)
            for a in app_ids[awarded:] for i, r in enumerate(reviewers)])

        files_dir = settings.files_dir
        targets = [(a, "award") for a in app_ids[:awarded]] + [(a, "decline") for a in app_ids[awarded:]]
        started = time.perf_counter()
        html = [await services.letter_html(a, kind) for a, kind in targets]  # the same HTML, built untimed
        html_only_s = time.perf_counter() - started  # (but noted: database reads and templates alone)
        assert all(html)

        def bare_round() -> float:
            started = time.perf_counter()
            for document in html:
                HTML(string=document, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticOnlyFetcher()).write_pdf()
            return time.perf_counter() - started

        async def pipeline_round() -> float:
            rows = await LetterBatch.insert(LetterBatch(
                program=program, kinds="award,decline", total=len(targets), status="queued", requested_by=staff,
                requested_at=clock.now())).returning(LetterBatch.id)
            started = time.perf_counter()
            assert await services.process_next_batch(files_dir, executor=renderer)
            elapsed = time.perf_counter() - started
            batch = await LetterBatch.select().where(LetterBatch.id == rows[0]["id"]).first()
            assert (batch["status"], batch["done"], batch["failed"]) == ("done", len(targets), 0), batch
            return elapsed

        for document in html[:3]:  # warm up: fonts loaded and caches filled before either is timed
            HTML(string=document, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticOnlyFetcher()).write_pdf()
        renderer = services.renderer_process()  # as the app's worker renders
        renderer.submit(pdf.render_pdf, html[0]).result()  # started and warmed up before timing
        pipeline_s, bare_s = [], []
        try:
            for _ in range(rounds):
                pipeline_s.append(await pipeline_round())
                bare_s.append(await asyncio.to_thread(bare_round))
        finally:
            renderer.shutdown()
        best_pipeline, best_bare = min(pipeline_s), min(bare_s)
        return {
            "letters": len(targets), "award_letters": awarded, "decline_letters": len(targets) - awarded,
            "rounds": rounds, "pipeline_seconds": pipeline_s, "bare_seconds": bare_s,
            "pipeline_letters_per_second": len(targets) / best_pipeline,
            "bare_letters_per_second": len(targets) / best_bare,
            "pipeline_ms_per_letter": 1000 * best_pipeline / len(targets),
            "bare_ms_per_letter": 1000 * best_bare / len(targets),
            "ratio": best_bare / best_pipeline,
            "database_and_template_ms_per_letter": 1000 * html_only_s / len(targets),
            "html_bytes_mean": sum(len(h) for h in html) // len(html),
        }
    finally:
        await db.close_engine(engine)


def report(engine: str, result: dict) -> str:
    return "\n".join([
        f"# Letters benchmark ({engine})", "",
        f"{result['letters']} letters ({result['award_letters']} award, {result['decline_letters']} decline), "
        f"best of {result['rounds']} rounds; {platform.python_version()}, {os.cpu_count()} CPUs.", "",
        "| | letters/s | ms per letter | rounds (s) |", "|---|---:|---:|---|",
        f"| pipeline (database, template, WeasyPrint, stored with SHA-256) | {result['pipeline_letters_per_second']:.1f} | "
        f"{result['pipeline_ms_per_letter']:.1f} | {', '.join(f'{s:.1f}' for s in result['pipeline_seconds'])} |",
        f"| bare WeasyPrint, same HTML | {result['bare_letters_per_second']:.1f} | {result['bare_ms_per_letter']:.1f} | "
        f"{', '.join(f'{s:.1f}' for s in result['bare_seconds'])} |", "",
        f"Ratio pipeline / bare: **{result['ratio']:.2f}** (aim: 0.8 or more).", "",
        f"Database reads and template alone (untimed pass that builds the bare HTML): "
        f"{result['database_and_template_ms_per_letter']:.1f} ms per letter.", "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "measure"])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--letters", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()
    if opts.command == "measure":
        print(json.dumps(asyncio.run(measure(opts.letters, opts.rounds))))
        return
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = RESULTS / f"{stamp}-letters-{opts.engine}"
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir, pg_name, _base_url, env = fresh_portal(opts.engine, "bench-letters")
    try:
        print(f"A round of {opts.letters} letters on a fresh {opts.engine} database ...", flush=True)
        run([str(VENV_BIN / "portal"), "migrate"], env)
        result = json.loads(run([sys.executable, "-m", "bench.bench_letters", "measure", "--letters",
                                 str(opts.letters), "--rounds", str(opts.rounds)], env).strip().splitlines()[-1])
        text = report(opts.engine, result)
        print(text)
        (out_dir / "report.md").write_text(text)
        (out_dir / "report.json").write_text(json.dumps({"engine": opts.engine, **result}, indent=2))
        print(f"Written to {out_dir.relative_to(ROOT)}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if pg_name:
            sys.path.insert(0, str(ROOT))
            from tests.support import drop_pg_database

            asyncio.run(drop_pg_database(pg_name))


if __name__ == "__main__":
    main()
