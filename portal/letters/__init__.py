"""Letters (issue 5): per-program award, decline and waitlist templates, round batches made in the background,
and the stored PDFs with their SHA-256."""
