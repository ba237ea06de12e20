pub mod admission;
pub mod attempt;
pub mod code;
pub mod engine;
pub mod metrics;
pub mod retry;
