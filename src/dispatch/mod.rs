pub mod admission;
pub mod code;
pub mod metrics;
pub mod retry;
