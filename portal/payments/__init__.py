"""Payments: Stripe Connect transfers to grantees, funders' pledges by PaymentIntent, manual ACH or cheque
payments, and the Stripe webhook that confirms them (docs/payments.md)."""
