"""The program staff's desk: a program's applications ranked, one application with its reviews and reviewer
assignment, invitations, the grace period, an application's deadline, and the undelivered mail."""
