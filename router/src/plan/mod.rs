//! What the router does with a query plan between the planner and the executor: its own
//! rewrites of the plan (nested entities fetched by key), the planner's fetch rewrites, and
//! the schedule of each Sequence's steps. Planning writes them and execution reads them, so
//! they sit here, below both.

pub mod nested_entities;
pub mod rewrites;
pub mod schedule;
