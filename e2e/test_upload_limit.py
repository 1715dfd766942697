"""Issue 10, finding 6, in the browser: a file over its field's limit is refused before it is sent, with a message
beside the field, and the page (with whatever was typed in it) stays as it was."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.test_application_form import open_draft


def test_a_file_over_the_fields_limit_is_refused_before_it_is_sent(page: Page, axe, applicant: dict):
    application = open_draft(page, applicant)
    steps = page.get_by_test_id("step-indicator").locator("li")
    keys = [key.removeprefix("step-") for key in steps.evaluate_all("items => items.map(i => i.dataset.testid)")]
    file_input = None
    for key in keys:
        application.go_to_step(key)
        if page.locator("input[type=file]").count():
            file_input = page.locator("input[type=file]").first
            break
    assert file_input is not None, "the draft has no file field"
    limit = int(file_input.get_attribute("data-max-bytes"))
    address = page.url
    uploads = []
    page.on("request", lambda request: uploads.append(request.url) if request.url.endswith("/files") else None)
    file_input.set_input_files({"name": "too-big.pdf", "mimeType": "application/pdf",
                                "buffer": b"%PDF-1.4\n" + b"0" * limit})
    field_id = file_input.get_attribute("id")
    page.get_by_test_id(f"upload-{field_id.removeprefix('field-')}").click()
    message = page.get_by_test_id(f"size-error-{field_id}")
    expect(message).to_be_visible()
    expect(message).to_contain_text("too-big.pdf")
    expect(message).to_contain_text("not sent")
    assert (page.url, uploads) == (address, [])
    axe(page)
