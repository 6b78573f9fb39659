//! The payments domain: validated inputs, payment intents and the rules every movement of
//! money obeys (what may be captured, refunded or voided, and the status that follows), the
//! ledger's kinds, the webhook signature scheme, and the events payments publishes. No I/O.

mod card;
pub mod events;
mod input;
mod intent;
pub mod webhook;

pub use card::{CardSummary, card_digits};
pub use input::{IdempotencyKey, NewAuthorization, OptionalAmount, parse_amount, parse_reference};
pub use intent::{IntentId, IntentStatus, LedgerEntry, LedgerKind, PaymentIntent, RuleViolation};
