"""The mail pages of the staff's desk: a program's undelivered email, and the administrators' outbox."""
