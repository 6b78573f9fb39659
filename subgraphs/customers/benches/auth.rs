//! Login throughput and access-token verification cost (filled in below).
fn main() {}
