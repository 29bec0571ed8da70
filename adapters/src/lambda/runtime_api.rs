//! The local Lambda Runtime API (to come).
