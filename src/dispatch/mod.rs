pub mod metrics;
pub mod retry;
