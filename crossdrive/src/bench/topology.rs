//! Where client and server run relative to each other during a bench.
//!
//! On a small VM a cross-thread wake-up costs tens of microseconds, more
//! than a whole HTTP/1.1 exchange (docs/benchmarks.md), so a latency figure means
//! nothing without its topology, and a driver is only ever compared with a
//! floor measured in the same one.

use std::fmt;
use std::str::FromStr;

/// The thread placement of client and server.
///
/// ```
/// use crossdrive::bench::Topology;
/// assert_eq!(Topology::default(), Topology::SameThread);
/// assert_eq!(Topology::CrossThread.to_string(), "cross-thread");
/// assert!("same_thread".parse::<Topology>().unwrap_err().contains("same-thread"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Topology {
    /// Client and server on one current-thread runtime (hyper's end-to-end
    /// benches do this): measures the protocol stack, not thread wake-ups.
    #[default]
    SameThread,
    /// The server on its own runtime thread, the client on the bench's:
    /// includes the cross-thread wake-ups; in load mode, the server's
    /// capacity.
    CrossThread,
    /// Each driver reached exactly as a `suite!` test reaches it: through
    /// the test [`Client`](crate::Client) (its request check, secrets
    /// marked, the request kept for reports, the [`TestResponse`](crate::TestResponse)),
    /// under the watchdog's watch, socket drivers on the shared server. Its
    /// floor is still the same-thread raw loop: what a test's request costs
    /// against the least it could.
    Suite,
}

impl Topology {
    /// Every topology, for messages and flags.
    ///
    /// ```
    /// use crossdrive::bench::Topology;
    /// assert_eq!(Topology::ALL.len(), 3);
    /// assert!(Topology::ALL.iter().all(|t| t.as_str().parse::<Topology>() == Ok(*t)));
    /// ```
    pub const ALL: &'static [Topology] = &[Self::SameThread, Self::CrossThread, Self::Suite];

    /// The name written in bench JSON (`same-thread`, `cross-thread`,
    /// `suite`).
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
            Self::Suite => "suite",
        }
    }

    /// One sentence saying what a latency table in this topology measured.
    ///
    /// ```
    /// use crossdrive::bench::Topology;
    /// assert!(Topology::Suite.describe().contains("suite!"));
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            Self::SameThread => {
                "client and server on one current-thread runtime: the protocol stack's cost, \
                 without thread wake-ups"
            }
            Self::CrossThread => {
                "the server on its own runtime thread, the client on the bench's: includes the \
                 cross-thread wake-ups"
            }
            Self::Suite => {
                "each driver reached exactly as a `suite!` test reaches it, through the test \
                 Client, socket drivers on the shared server; floors stay the same-thread raw loop"
            }
        }
    }

    /// One sentence saying what a load table in this topology measured.
    ///
    /// ```
    /// use crossdrive::bench::Topology;
    /// assert!(Topology::CrossThread.describe_load().contains("capacity"));
    /// ```
    pub fn describe_load(self) -> &'static str {
        match self {
            Self::SameThread => {
                "client and server share one thread, so this is CPU per request, not capacity"
            }
            Self::CrossThread => {
                "server and client on different threads, so this is the server's capacity"
            }
            Self::Suite => {
                "each driver as a `suite!` test reaches it: what a concurrent test suite gets"
            }
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
            "suite" => Ok(Self::Suite),
            other => Err(format!(
                "unknown topology `{other}`; use same-thread, cross-thread or suite"
            )),
        }
    }
}
