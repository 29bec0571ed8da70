//! Where client and server run relative to each other during a bench.
//!
//! On a small VM a cross-thread wake-up costs tens of microseconds, more
//! than a whole HTTP/1.1 exchange (DESIGN.md), so a latency figure means
//! nothing without its topology, and a driver is only ever compared with a
//! floor measured in the same one.

use std::fmt;
use std::str::FromStr;

/// The thread placement of client and server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Topology {
    /// Client and server on one current-thread runtime (hyper's end-to-end
    /// benches do this): measures the protocol stack, not thread wake-ups.
    #[default]
    SameThread,
    /// The server on its own runtime thread, as the shared test fixtures run
    /// it: includes the cross-thread wake-ups a test suite pays.
    CrossThread,
}

impl Topology {
    /// The name written in bench JSON (`same-thread`, `cross-thread`).
    ///
    /// ```
    /// use crossdrive::bench::Topology;
    /// assert_eq!(Topology::SameThread.as_str(), "same-thread");
    /// assert_eq!("cross-thread".parse::<Topology>(), Ok(Topology::CrossThread));
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SameThread => "same-thread",
            Self::CrossThread => "cross-thread",
        }
    }
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Topology {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "same-thread" => Ok(Self::SameThread),
            "cross-thread" => Ok(Self::CrossThread),
            other => Err(format!(
                "unknown topology `{other}`; use same-thread or cross-thread"
            )),
        }
    }
}
