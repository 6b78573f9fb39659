//! The payments domain: validated inputs, payment intents and the rules every movement of
//! money obeys (what may be captured, refunded or voided, and the status that follows), the
//! ledger's kinds, and the webhook signature scheme. No I/O.

mod card;
mod input;
mod intent;
pub mod webhook;

pub use card::{CardSummary, card_digits};
pub use input::{IdempotencyKey, NewAuthorization, OptionalAmount, parse_amount, parse_reference};
pub use intent::{IntentId, IntentStatus, LedgerEntry, LedgerKind, PaymentIntent, RuleViolation};
